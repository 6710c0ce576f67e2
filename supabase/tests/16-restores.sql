-- Restores: dry run first, confirmation with the report's code, the engine's lease, one at a time
-- per clinic, the state machine, and an audit row for every step.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(26);

\ir fixtures/cofre.psql

create temp table ids (name text primary key, id uuid, code text);
grant all on ids to authenticated, service_role;

-- Input checks (as the project owner, the only one who may ask for scope tables).
select pg_temp.act_as('service_role');
select throws_ok($$select cofre.start_restore('000000ea-0000-4000-8000-000000000000', 'tables')$$, '22023',
  'Cofre: list 1 to 500 tables as schema.table (lower-case names)', 'scope tables needs tables');
select throws_ok($$select cofre.start_restore('000000ea-0000-4000-8000-000000000000', 'tables', '{"public.patients; drop table x"}')$$, '22023',
  'Cofre: list 1 to 500 tables as schema.table (lower-case names)', 'table names are checked');
select throws_ok($$select cofre.start_restore('000000ea-0000-4000-8000-000000000000', 'whole', '{public.patients}')$$, '22023',
  'Cofre: tables are listed only for a restore of scope tables', 'tables only with scope tables');
insert into ids (name, id) values ('t', cofre.start_restore('000000ea-0000-4000-8000-000000000000', 'tables',
  '{public.patients,public.appointments,public.patients}'));
select is((select status::text || ' ' || array_to_string(tables, ',') || ' ' || coalesce(requested_by::text, 'no user')
             from cofre.restores where id = (select id from ids where name = 't')),
  'dry_run_requested public.appointments,public.patients no user', 'the owner''s tables restore starts as a dry-run request (tables de-duplicated, sorted)');
select is(cofre.cancel_restore((select id from ids where name = 't')), 'cancelled'::cofre.restore_status, 'the owner cancels it');
select pg_temp.act_as('owner');
insert into cofre.runs (id, tenant_id, destination_ids) values
  ('0000e0a1-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', '{000000da-0000-4000-8000-000000000000}');
select pg_temp.act_as('admin_a');
select throws_ok($$select cofre.start_restore('0000e0a1-0000-4000-8000-000000000000')$$, '55000',
  'Cofre: only a finished backup can be restored', 'a queued backup cannot be restored');

-- The happy path: a clinic admin restores the clinic's own rows (scope tenant, the default).
insert into ids (name, id) values ('r', cofre.start_restore('000000ea-0000-4000-8000-000000000000'));
select is((select status::text || ' ' || scope::text || ' ' || requested_by::text from cofre.restores where id = (select id from ids where name = 'r')),
  'dry_run_requested tenant 00000000-0000-4000-8000-0000000000a1', 'a restore starts as a dry-run request of the clinic''s rows');
select throws_ok($$select cofre.start_restore('000000ea-0000-4000-8000-000000000000')$$, '55006',
  'Cofre: a restore is already in progress for this clinic', 'one restore at a time per clinic');
select throws_ok(format($$select cofre.confirm_restore(%L, '000000')$$, (select id from ids where name = 'r')), '55000',
  'Cofre: this restore is not waiting for confirmation', 'nothing to confirm before the dry run');

select pg_temp.act_as('service_role');
select is((select status::text || ' ' || lease_owner from cofre.claim_next_restore('worker-r')), 'dry_run_running worker-r',
  'the engine claims the dry run');
select is((select count(*) from cofre.claim_next_restore('worker-other')), 0::bigint, 'a second worker gets nothing');
select is(cofre.heartbeat_restore((select id from ids where name = 'r'), 'worker-r'), false, 'heartbeat: no cancellation');
update ids set code = cofre.report_restore_dry_run((select id from ids where name = 'r'), 'worker-r',
  '{"tables":{"public.patients":{"insert":10,"conflicts":0}}}') where name = 'r';
select matches((select code from ids where name = 'r'), '^[0-9]{6}$', 'the dry-run report comes with a 6-digit confirmation code');
select throws_ok(format($$select cofre.finish_restore(%L, 'worker-r', 'succeeded')$$, (select id from ids where name = 'r')), '55006',
  'Cofre: this worker no longer holds the restore''s lease', 'a reported dry run is no longer the worker''s');

select pg_temp.act_as('viewer_a');
select is((select status::text || ' ' || (dry_run_report -> 'tables' -> 'public.patients' ->> 'insert')
             from cofre.restores where id = (select id from ids where name = 'r')),
  'awaiting_confirmation 10', 'members read the report');
select pg_temp.act_as('admin_a');
select throws_ok(format($$select cofre.confirm_restore(%L, 'nope')$$, (select id from ids where name = 'r')), '22023',
  'Cofre: the confirmation code does not match the dry-run report', 'a wrong code does not confirm');
select lives_ok(format($$select cofre.confirm_restore(%L, %L)$$, (select id from ids where name = 'r'), (select code from ids where name = 'r')),
  'the right code confirms');

select pg_temp.act_as('service_role');
select is((select status::text from cofre.claim_next_restore('worker-r')), 'running', 'the engine claims the apply phase');
select cofre.finish_restore((select id from ids where name = 'r'), 'worker-r', 'succeeded', '{"rows_restored":10}');
select pg_temp.act_as('owner');
select is((select status::text || ' ' || (duration is not null) || ' ' || (lease_owner is null)
             from cofre.restores where id = (select id from ids where name = 'r')),
  'succeeded true true', 'a finished restore has its duration (RTO) and no lease');
select throws_ok(format($$update cofre.restores set status = 'running' where id = %L$$, (select id from ids where name = 'r')), '55000',
  'Cofre: a restore cannot go from succeeded to running', 'a finished restore cannot be revived');
select is((select string_agg(action, ',' order by id) from cofre.audit_log where target_id = (select id::text from ids where name = 'r')),
  'restore.requested,restore.dry_run_reported,restore.confirmed,restore.applied', 'every step is audited');

-- Cancelling: before the dry run at once; while the engine holds it, at its next heartbeat.
select pg_temp.act_as('admin_a');
insert into ids (name, id) values ('c1', cofre.start_restore('000000ea-0000-4000-8000-000000000000', p_drill => true));
select is(cofre.cancel_restore((select id from ids where name = 'c1')), 'cancelled'::cofre.restore_status, 'a waiting restore is cancelled at once');
select throws_ok(format($$select cofre.cancel_restore(%L)$$, (select id from ids where name = 'c1')), '55000',
  'Cofre: this restore has already finished', 'a finished restore cannot be cancelled');
insert into ids (name, id) values ('c2', cofre.start_restore('000000ea-0000-4000-8000-000000000000', 'tenant'));
select pg_temp.act_as('service_role');
select cofre.claim_next_restore('worker-c');
select pg_temp.act_as('admin_a');
select is(cofre.cancel_restore((select id from ids where name = 'c2')), 'dry_run_running'::cofre.restore_status,
  'cancelling a running dry run asks its worker');
select pg_temp.act_as('service_role');
select is(cofre.heartbeat_restore((select id from ids where name = 'c2'), 'worker-c'), true, 'the worker learns of it at its heartbeat');
select lives_ok(format($$select cofre.finish_restore(%L, 'worker-c', 'cancelled')$$, (select id from ids where name = 'c2')),
  'and ends it as cancelled');
select pg_temp.act_as('owner');

select * from finish();
rollback;
