-- Schedules and the run queue: next runs in the clinic's time zone, enqueueing due schedules,
-- one backup at a time per clinic, leases (claim / heartbeat / finish), cancellation,
-- the state machine, and the history list's filters and paging.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(20);

-- ---------------------------------------------------------------------------------------------
-- Fixture (identical in every 1x test file): two clinics, one member per role in clinic A, an
-- admin of clinic B, an authenticated non-member; a destination, a schedule, a finished
-- backup with one artifact in each clinic. pg_temp.act_as() switches identity exactly as
-- PostgREST does: set_config('role', …, true) and set_config('request.jwt.claims', …, true).
-- ---------------------------------------------------------------------------------------------
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000000a1', 'admin.a@clinic-a.test'),
  ('00000000-0000-4000-8000-0000000000a2', 'operator.a@clinic-a.test'),
  ('00000000-0000-4000-8000-0000000000a3', 'viewer.a@clinic-a.test'),
  ('00000000-0000-4000-8000-0000000000b1', 'admin.b@clinic-b.test'),
  ('00000000-0000-4000-8000-0000000000f0', 'outsider@nowhere.test');
insert into cofre.tenants (id, name, external_ref) values
  ('0000000a-0000-4000-8000-000000000000', 'Clínica A', 'clinic-a'),
  ('0000000b-0000-4000-8000-000000000000', 'Clínica B', 'clinic-b');
insert into cofre.tenant_members (tenant_id, user_id, role) values
  ('0000000a-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a1', 'admin'),
  ('0000000a-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a2', 'operator'),
  ('0000000a-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a3', 'viewer'),
  ('0000000b-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000b1', 'admin');
insert into cofre.destinations (id, tenant_id, name, kind, settings) values
  ('000000da-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'Local A', 'local', '{"path":"/var/backups/a"}'),
  ('000000db-0000-4000-8000-000000000000', '0000000b-0000-4000-8000-000000000000', 'Local B', 'local', '{"path":"/var/backups/b"}');
insert into cofre.schedules (id, tenant_id, name, backup_type, frequency, run_at, next_run_at) values
  ('0000005a-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'Daily A', 'full', 'daily', '02:00', now() + interval '1 day'),
  ('0000005b-0000-4000-8000-000000000000', '0000000b-0000-4000-8000-000000000000', 'Daily B', 'full', 'daily', '02:00', now() + interval '1 day');
insert into cofre.schedule_destinations (tenant_id, schedule_id, destination_id) values
  ('0000000a-0000-4000-8000-000000000000', '0000005a-0000-4000-8000-000000000000', '000000da-0000-4000-8000-000000000000'),
  ('0000000b-0000-4000-8000-000000000000', '0000005b-0000-4000-8000-000000000000', '000000db-0000-4000-8000-000000000000');
insert into cofre.runs (id, tenant_id, backup_type, destination_ids, status, started_at, finished_at, bytes_read, bytes_written) values
  ('000000ea-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'full', '{000000da-0000-4000-8000-000000000000}', 'queued', null, null, 0, 0),
  ('000000eb-0000-4000-8000-000000000000', '0000000b-0000-4000-8000-000000000000', 'full', '{000000db-0000-4000-8000-000000000000}', 'queued', null, null, 0, 0);
update cofre.runs set status = 'running', started_at = now() - interval '10 minutes', bytes_read = 1000000, bytes_written = 350000
 where id in ('000000ea-0000-4000-8000-000000000000', '000000eb-0000-4000-8000-000000000000');
update cofre.runs set status = 'succeeded', finished_at = now() - interval '5 minutes'
 where id in ('000000ea-0000-4000-8000-000000000000', '000000eb-0000-4000-8000-000000000000');
insert into cofre.artifacts (tenant_id, run_id, destination_id, object_key, size_bytes, sha256, md5, status) values
  ('0000000a-0000-4000-8000-000000000000', '000000ea-0000-4000-8000-000000000000', '000000da-0000-4000-8000-000000000000',
   'a/full/vol-0001.zip', 350000, repeat('ab', 32), repeat('cd', 16), 'stored'),
  ('0000000b-0000-4000-8000-000000000000', '000000eb-0000-4000-8000-000000000000', '000000db-0000-4000-8000-000000000000',
   'b/full/vol-0001.zip', 350000, repeat('ab', 32), repeat('cd', 16), 'stored');
select cofre_private.audit('0000000a-0000-4000-8000-000000000000', 'fixture.created', 'tenant', 'a', '{}');
select cofre_private.audit('0000000b-0000-4000-8000-000000000000', 'fixture.created', 'tenant', 'b', '{}');

create function pg_temp.act_as(p_who text) returns void language plpgsql as $fx$
declare
  v_sub text := case p_who
    when 'admin_a' then '00000000-0000-4000-8000-0000000000a1' when 'operator_a' then '00000000-0000-4000-8000-0000000000a2'
    when 'viewer_a' then '00000000-0000-4000-8000-0000000000a3' when 'admin_b' then '00000000-0000-4000-8000-0000000000b1'
    when 'outsider' then '00000000-0000-4000-8000-0000000000f0' end;
begin
  perform set_config('role', 'none', true);
  if p_who = 'owner' then
    perform set_config('request.jwt.claims', '', true);
  elsif p_who = 'anon' then
    perform set_config('request.jwt.claims', '{"role":"anon"}', true);
    perform set_config('role', 'anon', true);
  elsif p_who = 'service_role' then
    perform set_config('request.jwt.claims', '{"role":"service_role"}', true);
    perform set_config('role', 'service_role', true);
  else
    perform set_config('request.jwt.claims', json_build_object('sub', v_sub, 'role', 'authenticated')::text, true);
    perform set_config('role', 'authenticated', true);
  end if;
end;
$fx$;

-- Runs p_sql and rolls its effects back; returns 'ok' or 'SQLSTATE: message'.
create function pg_temp.try(p_sql text) returns text language plpgsql as $fx$
begin
  begin
    execute p_sql;
    raise exception 'rollback' using errcode = 'ZZ999';
  exception when sqlstate 'ZZ999' then
    return 'ok';
  end;
exception when others then
  return sqlstate || ': ' || sqlerrm;
end;
$fx$;

-- Next runs (America/Sao_Paulo is UTC-3; 2026-11-25 is a Wednesday).
select results_eq($$ select * from cofre.preview_schedule_runs('weekly', '02:00', '{0,3}', null, 'America/Sao_Paulo', 3, '2026-11-25 12:00Z') $$,
  $$ values ('2026-11-29 05:00Z'::timestamptz), ('2026-12-02 05:00Z'), ('2026-12-06 05:00Z') $$,
  'weekly on Sunday and Wednesday at 02:00 local');
select results_eq($$ select * from cofre.preview_schedule_runs('monthly', '02:00', null, 31::smallint, 'America/Sao_Paulo', 3, '2026-11-25 12:00Z') $$,
  $$ values ('2026-11-30 05:00Z'::timestamptz), ('2026-12-31 05:00Z'), ('2027-01-31 05:00Z') $$,
  'monthly on the 31st falls on the last day of shorter months');
select results_eq($$ select * from cofre.preview_schedule_runs('daily', '02:00', null, null, 'Europe/Lisbon', 2, '2026-11-25 01:00Z') $$,
  $$ values ('2026-11-25 02:00Z'::timestamptz), ('2026-11-26 02:00Z') $$,
  'daily, still today when the time has not passed, in another zone');
select throws_ok($$ select cofre.preview_schedule_runs('weekly', '02:00', '{7}') $$, '22023',
  'Cofre: weekly schedules need weekdays from 0 (Sunday) to 6 (Saturday)', 'weekdays are validated');
select throws_ok($$ select cofre.preview_schedule_runs('daily', '02:00', null, null, 'Mars/Olympus') $$, '22023',
  'Cofre: unknown time zone', 'time zones are validated');

-- create_schedule computes next_run_at; a time-zone change moves it.
select pg_temp.act_as('admin_a');
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;
insert into ids values ('s', cofre.create_schedule('0000000a-0000-4000-8000-000000000000', 'Nightly', 'incremental', 'daily',
  '03:00', '{000000da-0000-4000-8000-000000000000}'));
select is((select next_run_at from cofre.schedules where id = (select id from ids where name = 's')),
  (select r from cofre.preview_schedule_runs('daily', '03:00', null, null, 'America/Sao_Paulo', 1) r),
  'create_schedule stores the first run in the clinic''s time zone');
select cofre.update_tenant('0000000a-0000-4000-8000-000000000000', p_time_zone => 'America/Manaus');
select is((select next_run_at from cofre.schedules where id = (select id from ids where name = 's')),
  (select r from cofre.preview_schedule_runs('daily', '03:00', null, null, 'America/Manaus', 1) r),
  'changing the clinic''s time zone recomputes next_run_at');

-- Manual start; one at a time.
select pg_temp.act_as('operator_a');
insert into ids values ('r', cofre.start_backup('0000000a-0000-4000-8000-000000000000', '{000000da-0000-4000-8000-000000000000}', 'incremental'));
select is((select parent_run_id from cofre.runs where id = (select id from ids where name = 'r')), '000000ea-0000-4000-8000-000000000000'::uuid,
  'an incremental builds on the last successful backup');
select throws_ok($$select cofre.start_backup('0000000a-0000-4000-8000-000000000000', '{000000da-0000-4000-8000-000000000000}')$$,
  '55006', 'Cofre: a backup is already queued or running for this clinic', 'a second backup of the same clinic is refused');

-- Due schedules: the scheduled run is skipped while one is in progress (and audited), but advances.
select pg_temp.act_as('service_role');
update cofre.schedules set next_run_at = now() - interval '1 minute' where id = (select id from ids where name = 's');
select is(cofre.enqueue_due_runs(), 0, 'a due schedule is skipped while the clinic has a backup in progress');
select cmp_ok((select next_run_at from cofre.schedules where id = (select id from ids where name = 's')), '>', now(),
  '… and its next run moves forward');

-- Leases.
select is((select id from cofre.claim_next_run('worker-1', 60)), (select id from ids where name = 'r'), 'a worker claims the oldest queued run');
select is((select count(*) from cofre.claim_next_run('worker-2', 60)), 0::bigint, 'a second worker gets nothing');
select is(cofre.heartbeat_run((select id from ids where name = 'r'), 'worker-1', '{"step":"tables","done":3}', '{"table":"patients","offset":1000}',
  5000, 2000, 60, 'running'), false, 'heartbeat saves progress and reports no cancellation');
select throws_ok(format($$select cofre.heartbeat_run(%L, 'worker-2')$$, (select id from ids where name = 'r')), '55006',
  'Cofre: this worker no longer holds the run''s lease', 'another worker cannot heartbeat it');
select pg_temp.act_as('operator_a');
select is(cofre.cancel_run((select id from ids where name = 'r')), 'running'::cofre.run_status, 'cancelling a running run asks its worker');
select pg_temp.act_as('service_role');
select is(cofre.heartbeat_run((select id from ids where name = 'r'), 'worker-1'), true, 'the worker learns of the cancellation at its heartbeat');
select cofre.finish_run((select id from ids where name = 'r'), 'worker-1', 'cancelled', 'CANCELLED');
select throws_ok(format($$update cofre.runs set status = 'running' where id = %L$$, (select id from ids where name = 'r')), '55000',
  'Cofre: a run cannot go from cancelled to running', 'a finished run cannot be revived');

-- History (the fixture's backup is a day older than the cancelled one).
select pg_temp.act_as('owner');
update cofre.runs set created_at = now() - interval '1 day' where id = '000000ea-0000-4000-8000-000000000000';
select pg_temp.act_as('viewer_a');
select is((select string_agg(status::text || ':' || total_count, ',') from cofre.list_backups('0000000a-0000-4000-8000-000000000000', p_limit => 1)),
  'cancelled:2', 'list_backups pages (newest first) and reports the total');
select is((select string_agg(id::text, ',') from cofre.list_backups('0000000a-0000-4000-8000-000000000000', p_status => 'succeeded',
  p_destination_id => '000000da-0000-4000-8000-000000000000', p_backup_type => 'full')), '000000ea-0000-4000-8000-000000000000',
  'list_backups filters by status, destination and type');
select pg_temp.act_as('owner');

select * from finish();
rollback;
