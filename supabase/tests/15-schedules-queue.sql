-- Schedules and the run queue: next runs in the clinic's time zone, enqueueing due schedules,
-- one backup at a time per clinic, leases (claim / heartbeat / finish), cancellation,
-- the state machine, and the history list's filters and paging.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(20);

-- The shared fixture: two clinics, a member per role, their destinations, schedules, a
-- finished backup each, and pg_temp.act_as()/try() (see fixtures/cofre.psql).
\ir fixtures/cofre.psql

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
select is((select string_agg(status::text, ',') from cofre.list_backups('0000000a-0000-4000-8000-000000000000', p_limit => 1)),
  'cancelled', 'list_backups pages, newest first');
select is((select string_agg(id::text, ',') from cofre.list_backups('0000000a-0000-4000-8000-000000000000', p_status => 'succeeded',
  p_destination_id => '000000da-0000-4000-8000-000000000000', p_backup_type => 'full')), '000000ea-0000-4000-8000-000000000000',
  'list_backups filters by status, destination and type');
select pg_temp.act_as('owner');

select * from finish();
rollback;
