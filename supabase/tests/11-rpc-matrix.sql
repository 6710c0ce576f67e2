-- RPC matrix: every Cofre RPC × {anon, authenticated non-member, viewer, operator, admin of
-- another clinic, admin, service_role}. Denials are checked on the exact SQLSTATE and message
-- (throws_ok); allowed calls must succeed (and are rolled back, so each cell starts from the
-- same fixture). Tab RPCs are for signed-in members only; worker RPCs for service_role only.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(402);

-- The shared fixture: two clinics, a member per role, their destinations, schedules, a
-- finished backup each, and pg_temp.act_as()/try() (see fixtures/cofre.psql).
\ir fixtures/cofre.psql

-- An unused destination (deletable) and a queued verification (cancellable) in clinic A.
insert into cofre.destinations (id, tenant_id, name, kind, settings) values
  ('00000d2a-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'Spare A', 'local', '{"path":"/srv/a"}');
insert into cofre.runs (id, tenant_id, kind, parent_run_id, destination_ids) values
  ('00000e2a-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'verification',
   '000000ea-0000-4000-8000-000000000000', '{000000da-0000-4000-8000-000000000000}');

-- A stored content_stats on clinic A's backup (for get_backup_diff).
update cofre.runs set content_stats = jsonb_build_object('tables', jsonb_build_object(
    'public.patients', jsonb_build_object('rows', 10, 'sha256', repeat('ab', 32))))
 where id = '000000ea-0000-4000-8000-000000000000';

-- An awaiting restore of clinic A, made by the owner inside a cell (rolled back with it).
create function pg_temp.awaiting_restore_sql() returns text language sql as $fx$
  select $s$insert into cofre.restores (id, tenant_id, backup_run_id, scope, status, confirmation_code)
            values ('0000ffa1-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000',
                    '000000ea-0000-4000-8000-000000000000', 'tenant', 'awaiting_confirmation', '123456')$s$
$fx$;

with rpc(fn, call, min_role, denial, setup) as (values
  -- Tab RPCs: min_role = the least role that may call it; denial = what a caller without it gets.
  -- any = every signed-in user and service_role; signed_in = every signed-in user;
  -- admin+owner = the clinic's admins and the project owner (service_role).
  ('update_tenant', $$select cofre.update_tenant('0000000a-0000-4000-8000-000000000000', 'Clínica A2')$$, 'admin', null, null),
  ('set_tenant_member', $$select cofre.set_tenant_member('0000000a-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000f0', 'viewer')$$, 'admin', null, null),
  ('remove_tenant_member', $$select cofre.remove_tenant_member('0000000a-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a3')$$, 'admin', null, null),
  ('create_destination', $$select cofre.create_destination('0000000a-0000-4000-8000-000000000000', 'NAS', 'local', '{"path":"/mnt/nas"}')$$, 'admin', null, null),
  ('update_destination', $$select cofre.update_destination('000000da-0000-4000-8000-000000000000', 'Local A2')$$, 'admin', null, null),
  ('delete_destination', $$select cofre.delete_destination('00000d2a-0000-4000-8000-000000000000')$$, 'admin', null, null),
  ('request_connection_test', $$select cofre.request_connection_test('000000da-0000-4000-8000-000000000000')$$, 'operator', null, null),
  ('create_schedule', $$select cofre.create_schedule('0000000a-0000-4000-8000-000000000000', 'Weekly A', 'full', 'weekly', '02:00', '{000000da-0000-4000-8000-000000000000}', '{0}')$$, 'admin', null, null),
  ('update_schedule', $$select cofre.update_schedule('0000005a-0000-4000-8000-000000000000', p_run_at => '03:00')$$, 'admin', null, null),
  ('pause_schedule', $$select cofre.pause_schedule('0000005a-0000-4000-8000-000000000000')$$, 'admin', null, null),
  ('resume_schedule', $$select cofre.resume_schedule('0000005a-0000-4000-8000-000000000000')$$, 'admin', null, null),
  ('delete_schedule', $$select cofre.delete_schedule('0000005a-0000-4000-8000-000000000000')$$, 'admin', null, null),
  ('start_backup', $$select cofre.start_backup('0000000a-0000-4000-8000-000000000000', '{000000da-0000-4000-8000-000000000000}')$$, 'operator', null, null),
  ('start_verification', $$select cofre.start_verification('000000ea-0000-4000-8000-000000000000')$$, 'operator', null, null),
  ('cancel_run', $$select cofre.cancel_run('00000e2a-0000-4000-8000-000000000000')$$, 'operator', null, null),
  ('list_backups', $$select * from cofre.list_backups('0000000a-0000-4000-8000-000000000000')$$, 'viewer', null, null),
  ('get_backup', $$select cofre.get_backup('000000ea-0000-4000-8000-000000000000')$$, 'viewer', 'P0002: Cofre: backup not found', null),
  ('get_backup_diff', $$select * from cofre.get_backup_diff('000000ea-0000-4000-8000-000000000000', '000000ea-0000-4000-8000-000000000000')$$, 'viewer', 'P0002: Cofre: backup not found', null),
  ('get_dashboard_summary', $$select cofre.get_dashboard_summary('0000000a-0000-4000-8000-000000000000')$$, 'viewer', null, null),
  ('list_daily_backup_stats', $$select * from cofre.list_daily_backup_stats('0000000a-0000-4000-8000-000000000000', current_date - 7, current_date)$$, 'viewer', null, null),
  ('list_daily_storage_usage', $$select * from cofre.list_daily_storage_usage('0000000a-0000-4000-8000-000000000000', current_date - 7, current_date)$$, 'viewer', null, null),
  -- Restores of scope tenant (every scope × persona: 20-restore-scopes.sql); admin+owner = clinic admins and service_role.
  ('start_restore', $$select cofre.start_restore('000000ea-0000-4000-8000-000000000000', 'tenant')$$, 'admin+owner', null, null),
  ('confirm_restore', $$select cofre.confirm_restore('0000ffa1-0000-4000-8000-000000000000', '123456')$$, 'admin+owner', null, pg_temp.awaiting_restore_sql()),
  ('cancel_restore', $$select cofre.cancel_restore('0000ffa1-0000-4000-8000-000000000000')$$, 'admin+owner', null, pg_temp.awaiting_restore_sql()),
  ('set_notification_settings', $$select cofre.set_notification_settings('0000000a-0000-4000-8000-000000000000', '{Ops@Clinic-A.test}', 'en', '{backup_failed,weekly_report}')$$, 'admin', null, null),
  ('list_audit_events', $$select * from cofre.list_audit_events('0000000a-0000-4000-8000-000000000000')$$, 'admin', null, null),
  ('preview_schedule_runs', $$select cofre.preview_schedule_runs('daily', '02:00')$$, 'any', null, null),
  ('list_my_tenants', $$select * from cofre.list_my_tenants()$$, 'signed_in', null, null),
  ('assert_role_on_tenant', $$select cofre.assert_role_on_tenant('0000000a-0000-4000-8000-000000000000', 'admin')$$, 'admin', null, null),
  ('has_role_on_tenant', $$select cofre.has_role_on_tenant('0000000a-0000-4000-8000-000000000000', 'viewer')$$, 'any', null, null),
  -- Worker / backend RPCs: service_role only; denial = what service_role itself gets for this call.
  ('create_tenant', $$select cofre.create_tenant('Clínica C')$$, 'service', null, null),
  ('verify_audit_chain', $$select * from cofre.verify_audit_chain()$$, 'service', null, null),
  ('record_audit_event', $$select cofre.record_audit_event('0000000a-0000-4000-8000-000000000000', 'backup.download', 'run', '000000ea-0000-4000-8000-000000000000')$$, 'service', null, null),
  ('report_connection_test', $$select cofre.report_connection_test('000000da-0000-4000-8000-000000000000', true)$$, 'service', null, null),
  ('enqueue_due_runs', $$select cofre.enqueue_due_runs()$$, 'service', null, null),
  ('claim_next_run', $$select * from cofre.claim_next_run('worker-1')$$, 'service', null, null),
  ('heartbeat_run', $$select cofre.heartbeat_run('00000e2a-0000-4000-8000-000000000000', 'nobody')$$, 'service', '55006: Cofre: this worker no longer holds the run''s lease', null),
  ('finish_run', $$select cofre.finish_run('00000e2a-0000-4000-8000-000000000000', 'nobody', 'failed')$$, 'service', '55006: Cofre: this worker no longer holds the run''s lease', null),
  ('record_artifact', $$select cofre.record_artifact('000000ea-0000-4000-8000-000000000000', '000000da-0000-4000-8000-000000000000', 'a/full/manifest.json', 10, repeat('0', 64), repeat('0', 32))$$, 'service', null, null),
  ('record_run_stats', $$select cofre.record_run_stats('00000e2a-0000-4000-8000-000000000000', 'nobody', '{}')$$, 'service', '55006: Cofre: this worker no longer holds the run''s lease', null),
  ('claim_next_restore', $$select * from cofre.claim_next_restore('worker-1')$$, 'service', null, null),
  ('heartbeat_restore', $$select cofre.heartbeat_restore('000000fa-0000-4000-8000-000000000000', 'nobody')$$, 'service', '55006: Cofre: this worker no longer holds the restore''s lease', null),
  ('report_restore_dry_run', $$select cofre.report_restore_dry_run('000000fa-0000-4000-8000-000000000000', 'nobody', '{}')$$, 'service', '55006: Cofre: this worker no longer holds the restore''s lease', null),
  ('finish_restore', $$select cofre.finish_restore('000000fa-0000-4000-8000-000000000000', 'nobody', 'failed')$$, 'service', '55006: Cofre: this worker no longer holds the restore''s lease', null),
  ('record_notification', $$select cofre.record_notification('0000000a-0000-4000-8000-000000000000', 'backup_failed', '000000ea-0000-4000-8000-000000000000', '{admin.a@clinic-a.test}', 'pt-BR', 'failed', null, 'EMAIL_PROVIDER_DOWN')$$, 'service', null, null),
  ('get_secret_store', $$select cofre.get_secret_store()$$, 'service', null, null),
  ('put_sealed_secret', $$select cofre.put_sealed_secret('destination', '000000da-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a1', '…', 'k1', 'AAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAAA')$$, 'service', null, null),
  ('put_vault_secret', $$select cofre.put_vault_secret('destination', '000000da-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a1', '…', 'x')$$, 'service', '55000: Cofre: Vault is not installed in this database; seal secrets with put_sealed_secret', null),
  ('read_secret_for_engine', $$select * from cofre.read_secret_for_engine('destination', '000000da-0000-4000-8000-000000000000')$$, 'service', null, null)
), who(persona, rank) as (values
  ('anon', -1), ('service_role', -2), ('outsider', 0), ('admin_b', 0), ('viewer_a', 1), ('operator_a', 2), ('admin_a', 3)
), cell as (
  select r.fn, r.call, r.setup, w.persona,
    case
      when w.persona = 'anon' then '42501: permission denied for schema cofre'
      when w.persona = 'service_role' and r.min_role = 'admin+owner' then 'ok'
      when w.persona = 'service_role' and r.min_role not in ('service', 'any') then '42501: permission denied for function ' || r.fn
      when w.persona <> 'service_role' and r.min_role = 'service' then '42501: permission denied for function ' || r.fn
      when r.min_role = 'service' then coalesce(r.denial, 'ok')
      when r.min_role in ('any', 'signed_in') then 'ok'
      when w.rank >= case r.min_role when 'viewer' then 1 when 'operator' then 2 else 3 end then 'ok'
      else coalesce(r.denial, '42501: Cofre: permission denied for this tenant')
    end as expected
  from rpc r cross join who w
)
select is(pg_temp.try_as(c.setup, c.persona, c.call), c.expected,
  format('%s: %s %s', c.fn, c.persona, case when c.expected = 'ok' then 'succeeds' else 'is refused (' || c.expected || ')' end))
from cell c
order by c.fn, c.persona;

-- Every function in schema cofre is in the matrix above (a new RPC cannot be forgotten).
select set_eq(
  $$ select p.proname::text from pg_proc p where p.pronamespace = 'cofre'::regnamespace $$,
  $$ values ('update_tenant'), ('set_tenant_member'), ('remove_tenant_member'), ('create_destination'), ('update_destination'),
            ('delete_destination'), ('request_connection_test'), ('create_schedule'), ('update_schedule'), ('pause_schedule'),
            ('resume_schedule'), ('delete_schedule'), ('start_backup'), ('start_verification'), ('cancel_run'), ('list_backups'),
            ('get_backup'), ('get_backup_diff'), ('get_dashboard_summary'), ('list_daily_backup_stats'), ('list_daily_storage_usage'),
            ('start_restore'), ('confirm_restore'), ('cancel_restore'), ('set_notification_settings'), ('list_audit_events'),
            ('preview_schedule_runs'), ('list_my_tenants'), ('assert_role_on_tenant'), ('has_role_on_tenant'), ('create_tenant'),
            ('verify_audit_chain'), ('record_audit_event'), ('report_connection_test'), ('enqueue_due_runs'), ('claim_next_run'),
            ('heartbeat_run'), ('finish_run'), ('record_artifact'), ('record_run_stats'), ('claim_next_restore'), ('heartbeat_restore'),
            ('report_restore_dry_run'), ('finish_restore'), ('record_notification'), ('get_secret_store'), ('put_sealed_secret'),
            ('put_vault_secret'), ('read_secret_for_engine') $$,
  'the matrix covers every function in schema cofre'
);

-- No inference: for every RPC that takes an object id, a non-member and another clinic's admin get
-- exactly the same answer for clinic A's existing object as for an id that exists nowhere.
select is(pg_temp.try_as(i.setup, w.persona, format(i.call, i.existing)),
          pg_temp.try_as(i.setup, w.persona, format(i.call, '0000dead-0000-4000-8000-000000000000')),
          format('%s: %s gets the same answer for clinic A''s object as for an unknown id', i.fn, w.persona))
from (values
  ('update_tenant', $$select cofre.update_tenant(%L, 'x')$$, '0000000a-0000-4000-8000-000000000000', null::text),
  ('set_tenant_member', $$select cofre.set_tenant_member(%L, '00000000-0000-4000-8000-0000000000f0', 'viewer')$$, '0000000a-0000-4000-8000-000000000000', null),
  ('create_destination', $$select cofre.create_destination(%L, 'NAS', 'local', '{"path":"/mnt/nas"}')$$, '0000000a-0000-4000-8000-000000000000', null),
  ('update_destination', $$select cofre.update_destination(%L, 'x')$$, '000000da-0000-4000-8000-000000000000', null),
  ('delete_destination', $$select cofre.delete_destination(%L)$$, '00000d2a-0000-4000-8000-000000000000', null),
  ('request_connection_test', $$select cofre.request_connection_test(%L)$$, '000000da-0000-4000-8000-000000000000', null),
  ('update_schedule', $$select cofre.update_schedule(%L, p_run_at => '03:00')$$, '0000005a-0000-4000-8000-000000000000', null),
  ('pause_schedule', $$select cofre.pause_schedule(%L)$$, '0000005a-0000-4000-8000-000000000000', null),
  ('delete_schedule', $$select cofre.delete_schedule(%L)$$, '0000005a-0000-4000-8000-000000000000', null),
  ('start_backup', $$select cofre.start_backup(%L, '{000000da-0000-4000-8000-000000000000}')$$, '0000000a-0000-4000-8000-000000000000', null),
  ('start_verification', $$select cofre.start_verification(%L)$$, '000000ea-0000-4000-8000-000000000000', null),
  ('cancel_run', $$select cofre.cancel_run(%L)$$, '00000e2a-0000-4000-8000-000000000000', null),
  ('list_backups', $$select * from cofre.list_backups(%L)$$, '0000000a-0000-4000-8000-000000000000', null),
  ('get_backup', $$select cofre.get_backup(%L)$$, '000000ea-0000-4000-8000-000000000000', null),
  ('get_backup_diff', $$select * from cofre.get_backup_diff(%1$L, %1$L)$$, '000000ea-0000-4000-8000-000000000000', null),
  ('get_dashboard_summary', $$select cofre.get_dashboard_summary(%L)$$, '0000000a-0000-4000-8000-000000000000', null),
  ('list_daily_backup_stats', $$select * from cofre.list_daily_backup_stats(%L, current_date - 7, current_date)$$, '0000000a-0000-4000-8000-000000000000', null),
  ('list_daily_storage_usage', $$select * from cofre.list_daily_storage_usage(%L, current_date - 7, current_date)$$, '0000000a-0000-4000-8000-000000000000', null),
  ('start_restore', $$select cofre.start_restore(%L)$$, '000000ea-0000-4000-8000-000000000000', null),
  ('confirm_restore', $$select cofre.confirm_restore(%L, '123456')$$, '0000ffa1-0000-4000-8000-000000000000', pg_temp.awaiting_restore_sql()),
  ('cancel_restore', $$select cofre.cancel_restore(%L)$$, '0000ffa1-0000-4000-8000-000000000000', pg_temp.awaiting_restore_sql()),
  ('set_notification_settings', $$select cofre.set_notification_settings(%L, '{a@b.test}')$$, '0000000a-0000-4000-8000-000000000000', null),
  ('list_audit_events', $$select * from cofre.list_audit_events(%L)$$, '0000000a-0000-4000-8000-000000000000', null)
) i(fn, call, existing, setup)
cross join (values ('outsider'), ('admin_b')) w(persona)
order by i.fn, w.persona;

-- The service-role secret RPCs act for a named user: the same rule holds for that user.
select is(pg_temp.try_as(null, 'service_role', format($$select cofre.put_sealed_secret('destination', %L, '00000000-0000-4000-8000-0000000000b1', '…', 'k1', 'AAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAAA')$$, x.id)),
          '42501: Cofre: permission denied for this tenant',
          format('put_sealed_secret for clinic B''s admin on %s is refused like any foreign owner', x.what))
from (values ('clinic A''s destination', '000000da-0000-4000-8000-000000000000'), ('an unknown destination', '0000dead-0000-4000-8000-000000000000')) x(what, id);
select is(pg_temp.try_as(null, 'service_role', $$select cofre.put_sealed_secret('destination', '000000da-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a2', '…', 'k1', 'AAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAAA')$$),
          '42501: Cofre: permission denied for this tenant', 'put_sealed_secret for an operator (not an admin) is refused');

-- The answers of the "any" RPCs depend on who asks.
create function pg_temp.my_tenants(p_who text) returns text language plpgsql as $fx$
declare v text;
begin
  perform pg_temp.act_as(p_who);
  select coalesce(string_agg(name || ':' || role, ',' order by name), '') into v from cofre.list_my_tenants();
  perform pg_temp.act_as('owner');
  return v;
end;
$fx$;
select is(pg_temp.my_tenants('outsider'), '', 'list_my_tenants: a non-member belongs to no clinic');
select is(pg_temp.my_tenants('viewer_a'), 'Clínica A:viewer', 'list_my_tenants: the viewer sees clinic A as viewer');
select is(pg_temp.my_tenants('admin_b'), 'Clínica B:admin', 'list_my_tenants: the admin of B sees only clinic B');

-- A foreign id reads exactly like an unknown id (no inference by error).
select pg_temp.act_as('admin_b');
select throws_ok($$select cofre.update_destination('000000da-0000-4000-8000-000000000000', 'x')$$, '42501',
  'Cofre: permission denied for this tenant', 'another clinic''s destination: same error as …');
select throws_ok($$select cofre.update_destination('0000dead-0000-4000-8000-000000000000', 'x')$$, '42501',
  'Cofre: permission denied for this tenant', '… an unknown destination');
select throws_ok($$select cofre.get_backup('000000ea-0000-4000-8000-000000000000')$$, 'P0002',
  'Cofre: backup not found', 'another clinic''s backup: same error as …');
select throws_ok($$select cofre.get_backup('0000dead-0000-4000-8000-000000000000')$$, 'P0002',
  'Cofre: backup not found', '… an unknown backup');
select throws_ok($$select cofre.create_schedule('0000000b-0000-4000-8000-000000000000', 'Steal', 'full', 'daily', '02:00', '{000000da-0000-4000-8000-000000000000}')$$,
  '22023', 'Cofre: unknown destination', 'a schedule cannot write to another clinic''s destination (same error as an unknown one)');
select throws_ok($$select cofre.start_backup('0000000b-0000-4000-8000-000000000000', '{000000da-0000-4000-8000-000000000000}')$$,
  '22023', 'Cofre: unknown destination', 'a backup cannot be sent to another clinic''s destination');
select pg_temp.act_as('owner');

select * from finish();
rollback;
