-- RPC matrix: every Cofre RPC × {anon, authenticated non-member, viewer, operator, admin of
-- another clinic, admin, service_role}. Denials are checked on the exact SQLSTATE and message
-- (throws_ok); allowed calls must succeed (and are rolled back, so each cell starts from the
-- same fixture). Tab RPCs are for signed-in members only; worker RPCs for service_role only.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(226);

-- The shared fixture: two clinics, a member per role, their destinations, schedules, a
-- finished backup each, and pg_temp.act_as()/try() (see fixtures/cofre.psql).
\ir fixtures/cofre.psql

-- An unused destination (deletable) and a queued verification (cancellable) in clinic A.
insert into cofre.destinations (id, tenant_id, name, kind, settings) values
  ('00000d2a-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'Spare A', 'local', '{"path":"/srv/a"}');
insert into cofre.runs (id, tenant_id, kind, parent_run_id, destination_ids) values
  ('00000e2a-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'verification',
   '000000ea-0000-4000-8000-000000000000', '{000000da-0000-4000-8000-000000000000}');

create function pg_temp.check_as(p_who text, p_sql text, p_code text, p_msg text, p_desc text)
returns text language plpgsql as $fx$
declare
  v text;
begin
  perform pg_temp.act_as(p_who);
  if p_code is null then
    v := extensions.is(pg_temp.try(p_sql), 'ok', p_desc);
  else
    v := extensions.throws_ok(p_sql, p_code, p_msg, p_desc);
  end if;
  perform pg_temp.act_as('owner');
  return v;
end;
$fx$;

with rpc(fn, call, min_role, denial) as (values
  -- Tab RPCs: min_role = the least role that may call it; denial = what a caller without it gets.
  -- any = every signed-in user and service_role; signed_in = every signed-in user.
  ('update_tenant', $$select cofre.update_tenant('0000000a-0000-4000-8000-000000000000', 'Clínica A2')$$, 'admin', null),
  ('set_tenant_member', $$select cofre.set_tenant_member('0000000a-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000f0', 'viewer')$$, 'admin', null),
  ('remove_tenant_member', $$select cofre.remove_tenant_member('0000000a-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a3')$$, 'admin', null),
  ('create_destination', $$select cofre.create_destination('0000000a-0000-4000-8000-000000000000', 'NAS', 'local', '{"path":"/mnt/nas"}')$$, 'admin', null),
  ('update_destination', $$select cofre.update_destination('000000da-0000-4000-8000-000000000000', 'Local A2')$$, 'admin', null),
  ('delete_destination', $$select cofre.delete_destination('00000d2a-0000-4000-8000-000000000000')$$, 'admin', null),
  ('request_connection_test', $$select cofre.request_connection_test('000000da-0000-4000-8000-000000000000')$$, 'operator', null),
  ('create_schedule', $$select cofre.create_schedule('0000000a-0000-4000-8000-000000000000', 'Weekly A', 'full', 'weekly', '02:00', '{000000da-0000-4000-8000-000000000000}', '{0}')$$, 'admin', null),
  ('update_schedule', $$select cofre.update_schedule('0000005a-0000-4000-8000-000000000000', p_run_at => '03:00')$$, 'admin', null),
  ('pause_schedule', $$select cofre.pause_schedule('0000005a-0000-4000-8000-000000000000')$$, 'admin', null),
  ('resume_schedule', $$select cofre.resume_schedule('0000005a-0000-4000-8000-000000000000')$$, 'admin', null),
  ('delete_schedule', $$select cofre.delete_schedule('0000005a-0000-4000-8000-000000000000')$$, 'admin', null),
  ('start_backup', $$select cofre.start_backup('0000000a-0000-4000-8000-000000000000', '{000000da-0000-4000-8000-000000000000}')$$, 'operator', null),
  ('start_verification', $$select cofre.start_verification('000000ea-0000-4000-8000-000000000000')$$, 'operator', null),
  ('cancel_run', $$select cofre.cancel_run('00000e2a-0000-4000-8000-000000000000')$$, 'operator', null),
  ('list_backups', $$select * from cofre.list_backups('0000000a-0000-4000-8000-000000000000')$$, 'viewer', null),
  ('get_backup', $$select cofre.get_backup('000000ea-0000-4000-8000-000000000000')$$, 'viewer', 'P0002: Cofre: backup not found'),
  ('list_audit_events', $$select * from cofre.list_audit_events('0000000a-0000-4000-8000-000000000000')$$, 'admin', null),
  ('preview_schedule_runs', $$select cofre.preview_schedule_runs('daily', '02:00')$$, 'any', null),
  ('list_my_tenants', $$select * from cofre.list_my_tenants()$$, 'signed_in', null),
  ('assert_role_on_tenant', $$select cofre.assert_role_on_tenant('0000000a-0000-4000-8000-000000000000', 'admin')$$, 'admin', null),
  ('has_role_on_tenant', $$select cofre.has_role_on_tenant('0000000a-0000-4000-8000-000000000000', 'viewer')$$, 'any', null),
  -- Worker / backend RPCs: service_role only.
  ('create_tenant', $$select cofre.create_tenant('Clínica C')$$, 'service', null),
  ('verify_audit_chain', $$select * from cofre.verify_audit_chain()$$, 'service', null),
  ('record_audit_event', $$select cofre.record_audit_event('0000000a-0000-4000-8000-000000000000', 'backup.download', 'run', '000000ea-0000-4000-8000-000000000000')$$, 'service', null),
  ('report_connection_test', $$select cofre.report_connection_test('000000da-0000-4000-8000-000000000000', true)$$, 'service', null),
  ('reveal_secret_for_engine', $$select cofre.reveal_secret_for_engine('destination', '000000da-0000-4000-8000-000000000000')$$, 'service', null),
  ('enqueue_due_runs', $$select cofre.enqueue_due_runs()$$, 'service', null),
  ('claim_next_run', $$select * from cofre.claim_next_run('worker-1')$$, 'service', null),
  ('heartbeat_run', $$select cofre.heartbeat_run('00000e2a-0000-4000-8000-000000000000', 'nobody')$$, 'service', 'lease'),
  ('finish_run', $$select cofre.finish_run('00000e2a-0000-4000-8000-000000000000', 'nobody', 'failed')$$, 'service', 'lease')
), who(persona, rank) as (values
  ('anon', -1), ('service_role', -2), ('outsider', 0), ('admin_b', 0), ('viewer_a', 1), ('operator_a', 2), ('admin_a', 3)
), cell as (
  select r.fn, r.call, w.persona,
    case
      when w.persona = 'anon' then '42501|permission denied for schema cofre'
      when w.persona = 'service_role' and r.min_role not in ('service', 'any') then '42501|permission denied for function ' || r.fn
      when w.persona <> 'service_role' and r.min_role = 'service' then '42501|permission denied for function ' || r.fn
      when r.min_role = 'service' and r.denial = 'lease' then '55006|Cofre: this worker no longer holds the run''s lease'
      when r.min_role in ('service', 'any', 'signed_in') then null
      when w.rank >= case r.min_role when 'viewer' then 1 when 'operator' then 2 else 3 end then null
      when r.denial is not null then regexp_replace(r.denial, ': ', '|')
      else '42501|Cofre: permission denied for this tenant'
    end as expected
  from rpc r cross join who w
)
select pg_temp.check_as(c.persona, c.call, split_part(c.expected, '|', 1), split_part(c.expected, '|', 2),
  format('%s: %s %s', c.fn, c.persona, coalesce('is refused (' || split_part(c.expected, '|', 2) || ')', 'succeeds')))
from cell c
order by c.fn, c.persona;

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
