-- What the tab reads: dashboard summary (success rate, stored bytes, last/next backup, RPO, RTO,
-- 3-2-1), backup history with keyset paging, the diff between two backups (from the engine's
-- content_stats), the analytics series; and the validation of what the engine writes for them.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(30);

\ir fixtures/cofre.psql

-- Clinic A: two more destinations (S3 off-site, Drive off-site), the fixture's backup stored on all
-- three, a failed backup two days ago, an object that retention removed yesterday.
insert into cofre.destinations (id, tenant_id, name, kind, settings) values
  ('00000d3a-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'S3 A', 's3', '{"bucket":"a","region":"sa-east-1"}'),
  ('00000d4a-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'Drive A', 'google_drive', '{"folder_name":"cofre"}');
insert into cofre.artifacts (tenant_id, run_id, destination_id, object_key, size_bytes, status) values
  ('0000000a-0000-4000-8000-000000000000', '000000ea-0000-4000-8000-000000000000', '00000d3a-0000-4000-8000-000000000000', 'a/full/vol-0001.zip', 350000, 'verified'),
  ('0000000a-0000-4000-8000-000000000000', '000000ea-0000-4000-8000-000000000000', '00000d4a-0000-4000-8000-000000000000', 'a/full/vol-0001.zip', 350000, 'stored');
insert into cofre.runs (id, tenant_id, backup_type, destination_ids, status, created_at, started_at, finished_at, error_code) values
  ('0000e1a1-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'full', '{000000da-0000-4000-8000-000000000000}',
   'failed', now() - interval '2 days', now() - interval '2 days', now() - interval '2 days' + interval '1 minute', 'DESTINATION_AUTH');
insert into cofre.artifacts (tenant_id, run_id, destination_id, object_key, size_bytes, status, created_at, deleted_at) values
  ('0000000a-0000-4000-8000-000000000000', '0000e1a1-0000-4000-8000-000000000000', '00000d3a-0000-4000-8000-000000000000',
   'a/old/vol-0001.zip', 1000, 'deleted', now() - interval '3 days', now() - interval '1 day');

-- ---------------------------------------------------------------------------------------------
-- Dashboard
-- ---------------------------------------------------------------------------------------------
create function pg_temp.dash() returns jsonb language plpgsql as $fx$
declare v jsonb;
begin
  perform pg_temp.act_as('viewer_a');
  v := cofre.get_dashboard_summary('0000000a-0000-4000-8000-000000000000');
  perform pg_temp.act_as('owner');
  return v;
end;
$fx$;
select is(pg_temp.dash() ->> 'success_rate_30d', '0.5000', 'success rate: 1 succeeded of 2 finished in 30 days');
select is(pg_temp.dash() -> 'backups_30d', '{"failed": 1, "partial": 0, "cancelled": 0, "succeeded": 1}', 'backup counts of 30 days');
select is((select string_agg(e ->> 'name' || '=' || (e ->> 'bytes') || '/' || (e ->> 'media') || '/' || (e ->> 'offsite'), ', ')
             from jsonb_array_elements(pg_temp.dash() -> 'stored_bytes_by_destination') e),
  'Drive A=350000/cloud_drive/true, Local A=350000/local_disk/false, S3 A=350000/object_storage/true',
  'bytes stored per destination, with its media and whether it is off-site (removed objects not counted)');
select is(pg_temp.dash() -> 'last_backup' ->> 'run_id', '000000ea-0000-4000-8000-000000000000', 'last backup');
select is(pg_temp.dash() -> 'last_successful_backup' ->> 'run_id', '000000ea-0000-4000-8000-000000000000', 'last successful backup');
select is(pg_temp.dash() -> 'next_scheduled' ->> 'name', 'Daily A', 'next scheduled backup');
select ok((pg_temp.dash() ->> 'rpo_seconds')::bigint between 600 and 660, 'RPO: seconds since the start of the last successful backup');
select is(pg_temp.dash() -> 'last_rto', jsonb_build_object('restore_id', '000000fa-0000-4000-8000-000000000000', 'drill', true,
  'seconds', 90.000, 'finished_at', (select finished_at from cofre.restores where id = '000000fa-0000-4000-8000-000000000000')),
  'last measured RTO: the last succeeded restore (a drill) took 90 s');
select is(pg_temp.dash() -> 'three_two_one', jsonb_build_object('run_id', '000000ea-0000-4000-8000-000000000000', 'copies', 3,
  'media', '["cloud_drive", "local_disk", "object_storage"]'::jsonb, 'offsite_copies', 2, 'ok', true),
  '3-2-1 holds: 3 complete copies, 3 media, 2 off-site');
update cofre.artifacts set status = 'corrupt' where destination_id = '00000d4a-0000-4000-8000-000000000000';
select is((pg_temp.dash() -> 'three_two_one') - 'run_id'::text, '{"copies": 2, "media": ["local_disk", "object_storage"], "offsite_copies": 1, "ok": false}',
  'a corrupt copy does not count: 3-2-1 fails with 2 copies');
select pg_temp.act_as('admin_b');
select is(cofre.get_dashboard_summary('0000000b-0000-4000-8000-000000000000') -> 'three_two_one' ->> 'copies', '1',
  'clinic B sees only its own copies');
select pg_temp.act_as('owner');

-- ---------------------------------------------------------------------------------------------
-- History: keyset paging walks every backup exactly once, newest first
-- ---------------------------------------------------------------------------------------------
insert into cofre.runs (tenant_id, destination_ids, status, created_at, finished_at)
select '0000000a-0000-4000-8000-000000000000', '{000000da-0000-4000-8000-000000000000}', 'succeeded',
       now() - interval '1 hour' * (i % 3), now()  -- equal timestamps: the id breaks ties
  from generate_series(1, 5) i;
create function pg_temp.walk(p_page integer) returns text language plpgsql as $fx$
declare
  v_at timestamptz;
  v_id uuid;
  v_out text := '';
  r record;
  n integer;
begin
  perform pg_temp.act_as('viewer_a');
  loop
    n := 0;
    for r in select * from cofre.list_backups('0000000a-0000-4000-8000-000000000000', p_limit => p_page,
                                                p_after_created_at => v_at, p_after_id => v_id) loop
      v_out := v_out || r.id || ' ';
      v_at := r.created_at; v_id := r.id; n := n + 1;
    end loop;
    exit when n < p_page;
  end loop;
  perform pg_temp.act_as('owner');
  return v_out;
end;
$fx$;
select is(pg_temp.walk(2),
  (select string_agg(id::text || ' ', '' order by created_at desc, id desc) from cofre.runs
    where tenant_id = '0000000a-0000-4000-8000-000000000000' and kind = 'backup'),
  'pages of 2 walk all 7 backups once, newest first, ties broken by id');
select pg_temp.act_as('viewer_a');
select throws_ok($$select * from cofre.list_backups('0000000a-0000-4000-8000-000000000000', p_after_created_at => now())$$,
  '22023', 'Cofre: p_after_created_at and p_after_id go together (the last row of the previous page)', 'a half cursor is refused');
select is((select string_agg(error_code, ',') from cofre.list_backups('0000000a-0000-4000-8000-000000000000', p_status => 'failed',
    p_from => now() - interval '3 days', p_to => now() - interval '1 day')), 'DESTINATION_AUTH', 'filters by status and date range');
select pg_temp.act_as('owner');

-- ---------------------------------------------------------------------------------------------
-- Diff between two backups
-- ---------------------------------------------------------------------------------------------
insert into cofre.runs (id, tenant_id, destination_ids, status, finished_at, content_stats) values
  ('0000e2a1-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', '{}', 'succeeded', now(),
   jsonb_build_object('tables', jsonb_build_object(
     'public.patients', jsonb_build_object('rows', 100, 'sha256', repeat('1', 64)),
     'public.appointments', jsonb_build_object('rows', 50, 'sha256', repeat('2', 64)),
     'public.old_table', jsonb_build_object('rows', 5, 'sha256', repeat('3', 64))),
     'files', jsonb_build_object('count', 10, 'bytes', 1000, 'sha256', repeat('f', 64)))),
  ('0000e3a1-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', '{}', 'succeeded', now(),
   jsonb_build_object('tables', jsonb_build_object(
     'public.patients', jsonb_build_object('rows', 100, 'sha256', repeat('9', 64)))));
insert into cofre.runs (id, tenant_id, destination_ids, status, finished_at, stats_base_run_id, content_stats) values
  ('0000e4a1-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', '{}', 'succeeded', now(),
   '0000e2a1-0000-4000-8000-000000000000',
   jsonb_build_object('tables', jsonb_build_object(
     'public.patients', jsonb_build_object('rows', 103, 'sha256', repeat('4', 64), 'inserted', 5, 'updated', 7, 'deleted', 2),
     'public.appointments', jsonb_build_object('rows', 50, 'sha256', repeat('2', 64), 'inserted', 0, 'updated', 0, 'deleted', 0),
     'public.new_table', jsonb_build_object('rows', 4, 'sha256', repeat('5', 64))),
     'files', jsonb_build_object('count', 12, 'bytes', 1300, 'sha256', repeat('e', 64), 'added', 3, 'changed', 0, 'removed', 1)));
create function pg_temp.diff(p_a uuid, p_b uuid) returns text language plpgsql as $fx$
declare v text;
begin
  perform pg_temp.act_as('viewer_a');
  select string_agg(format('%s %s %s→%s +%s ~%s -%s %s %s', item_type, name, coalesce(before_count::text, '_'), coalesce(after_count::text, '_'),
                           coalesce(added::text, '?'), coalesce(changed::text, '?'), coalesce(removed::text, '?'),
                           case when content_changed then 'changed' else 'same' end, case when exact then 'exact' else 'estimate' end), ' | ')
    into v from cofre.get_backup_diff(p_a, p_b);
  perform pg_temp.act_as('owner');
  return v;
end;
$fx$;
select is(pg_temp.diff('0000e2a1-0000-4000-8000-000000000000', '0000e4a1-0000-4000-8000-000000000000'),
  'table public.appointments 50→50 +0 ~0 -0 same exact | table public.new_table _→4 +4 ~0 -0 changed exact | '
  || 'table public.old_table 5→_ +0 ~0 -5 changed exact | table public.patients 100→103 +5 ~7 -2 changed exact | files files 10→12 +3 ~0 -1 changed exact',
  'diff forward: exact counts from the later backup''s deltas, whole tables added and removed');
select is(pg_temp.diff('0000e4a1-0000-4000-8000-000000000000', '0000e2a1-0000-4000-8000-000000000000'),
  'table public.appointments 50→50 +0 ~0 -0 same exact | table public.new_table 4→_ +0 ~0 -4 changed exact | '
  || 'table public.old_table _→5 +5 ~0 -0 changed exact | table public.patients 103→100 +2 ~7 -5 changed exact | files files 12→10 +1 ~0 -3 changed exact',
  'diff backward: the deltas inverted');
select is(pg_temp.diff('0000e3a1-0000-4000-8000-000000000000', '0000e4a1-0000-4000-8000-000000000000'),
  'table public.appointments _→50 +50 ~0 -0 changed exact | table public.new_table _→4 +4 ~0 -0 changed exact | '
  || 'table public.patients 100→103 +? ~? -? changed estimate | files files _→12 +12 ~0 -0 changed exact',
  'unrelated backups: only counts and whether the content changed are known');
select is(pg_temp.diff('0000e3a1-0000-4000-8000-000000000000', '0000e3a1-0000-4000-8000-000000000000'),
  'table public.patients 100→100 +0 ~0 -0 same exact', 'a backup compared with itself: nothing changed');
select pg_temp.act_as('viewer_a');
select throws_ok($$select * from cofre.get_backup_diff('000000ea-0000-4000-8000-000000000000', '0000e4a1-0000-4000-8000-000000000000')$$,
  '55000', 'Cofre: one of these backups has no content statistics to compare', 'a backup without statistics cannot be compared');
select pg_temp.act_as('admin_b');
select throws_ok($$select * from cofre.get_backup_diff('0000e2a1-0000-4000-8000-000000000000', '0000e4a1-0000-4000-8000-000000000000')$$,
  'P0002', 'Cofre: backup not found', 'another clinic''s backups read as unknown');
select pg_temp.act_as('owner');

-- The engine's writes are validated.
insert into cofre.runs (id, tenant_id, destination_ids, status, lease_owner, lease_expires_at, started_at) values
  ('0000e5a1-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', '{}', 'running', 'w1', now() + interval '1 minute', now());
select pg_temp.act_as('service_role');
select throws_ok($$select cofre.record_run_stats('0000e5a1-0000-4000-8000-000000000000', 'w1', '{"tables":{"patients":{"rows":1,"sha256":"x"}}}')$$,
  '22023', 'Cofre: content statistics do not have the documented shape', 'malformed statistics are refused');
select throws_ok($$select cofre.record_run_stats('0000e5a1-0000-4000-8000-000000000000', 'w1',
    jsonb_build_object('tables', jsonb_build_object('public.p', jsonb_build_object('rows', 1, 'sha256', repeat('a', 64), 'inserted', 1))))$$,
  '22023', 'Cofre: deltas need the backup they are measured against (p_stats_base_run_id)', 'deltas need their base');
select throws_ok($$select cofre.record_run_stats('0000e5a1-0000-4000-8000-000000000000', 'w1',
    jsonb_build_object('tables', jsonb_build_object('public.p', jsonb_build_object('rows', 1, 'sha256', repeat('a', 64)))), '000000eb-0000-4000-8000-000000000000')$$,
  '22023', 'Cofre: the base backup of these statistics is not a backup of this clinic', 'the base must be a backup of the same clinic');
select lives_ok($$select cofre.record_run_stats('0000e5a1-0000-4000-8000-000000000000', 'w1',
    jsonb_build_object('tables', jsonb_build_object('public.p', jsonb_build_object('rows', 1, 'sha256', repeat('a', 64), 'inserted', 1, 'updated', 0, 'deleted', 0))),
    '000000ea-0000-4000-8000-000000000000')$$, 'the lease holder stores valid statistics with their base');
select pg_temp.act_as('owner');

-- ---------------------------------------------------------------------------------------------
-- Analytics series (days in the clinic's time zone)
-- ---------------------------------------------------------------------------------------------
create function pg_temp.day_ago(n integer) returns date language sql as
  $fx$ select ((now() - make_interval(days => n)) at time zone 'America/Sao_Paulo')::date $fx$;
-- Two runs at the edges of one São Paulo day (00:30 and 23:30 local, 03:30 and 02:30 UTC the
-- next day): whatever the hour the suite runs, both belong to that day and none to its neighbours.
select pg_temp.act_as('owner');
insert into cofre.runs (id, tenant_id, backup_type, destination_ids, status, created_at, error_code) values
  ('0000e1b1-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'full', '{000000da-0000-4000-8000-000000000000}',
   'failed', (pg_temp.day_ago(4) + time '00:30') at time zone 'America/Sao_Paulo', 'DESTINATION_AUTH'),
  ('0000e1b2-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'full', '{000000da-0000-4000-8000-000000000000}',
   'failed', (pg_temp.day_ago(4) + time '23:30') at time zone 'America/Sao_Paulo', 'DESTINATION_AUTH');
select pg_temp.act_as('viewer_a');
select is((select string_agg(format('%s=%s', day - pg_temp.day_ago(5), runs), ',' order by day)
             from cofre.list_daily_backup_stats('0000000a-0000-4000-8000-000000000000', pg_temp.day_ago(5), pg_temp.day_ago(3))),
  '0=0,1=2,2=0', 'days are the clinic''s local days: runs at 00:30 and 23:30 São Paulo time count on that day');
select is((select count(*) from cofre.list_daily_backup_stats('0000000a-0000-4000-8000-000000000000', pg_temp.day_ago(6), pg_temp.day_ago(0))),
  7::bigint, 'one row per day, empty days included');
select is((select format('%s/%s/%s', runs, succeeded, failed) from cofre.list_daily_backup_stats('0000000a-0000-4000-8000-000000000000', pg_temp.day_ago(6), pg_temp.day_ago(0))
            where day = pg_temp.day_ago(2)), '1/0/1', 'the failed backup is counted on its day');
select is((select string_agg(destination_name || '=' || bytes, ',' order by destination_name)
             from cofre.list_daily_storage_usage('0000000a-0000-4000-8000-000000000000', pg_temp.day_ago(2), pg_temp.day_ago(2))),
  'Drive A=0,Local A=0,S3 A=1000', 'two days ago S3 held the object retention later removed');
select is((select string_agg(destination_name || '=' || bytes, ',' order by destination_name)
             from cofre.list_daily_storage_usage('0000000a-0000-4000-8000-000000000000', pg_temp.day_ago(0), pg_temp.day_ago(0))),
  'Drive A=350000,Local A=350000,S3 A=350000', 'today: the removed object is gone, the new copies are counted');
select throws_ok($$select * from cofre.list_daily_backup_stats('0000000a-0000-4000-8000-000000000000', current_date - 400, current_date)$$,
  '22023', 'Cofre: give a day range of at most 367 days (p_from <= p_to)', 'series are bounded');
select pg_temp.act_as('owner');

select * from finish();
rollback;
