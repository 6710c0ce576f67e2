-- Cofre insights: what the tab's dashboard, backup diff and analytics read, and the columns the
-- engine must fill for them (docs/database.md, "Engine contract").
--
--   runs.content_stats       per-table row counts and content hashes, file counts (+ deltas)
--   runs.stats_base_run_id   the backup the deltas in content_stats are relative to
--   artifacts.deleted_at     when retention removed an object (space used over time)
--
-- 3-2-1 rule, computed from artifacts of the last successful backup:
--   copies  = destinations holding a complete copy (≥ 1 artifact, none pending/corrupt/missing/
--             deleted); the live database is NOT counted (strict reading);
--   media   = distinct cofre_private.destination_media() of those destinations;
--   offsite = those destinations for which cofre_private.destination_is_offsite() is true.
--   ok when copies ≥ 3, media ≥ 2 and offsite ≥ 1.
-- Media and off-site per destination kind:
--   local                 local_disk      on-site  (settings.offsite = true marks a remote mount)
--   ftp, sftp             file_server     on-site  (settings.offsite = true for a remote server)
--   s3, storj             object_storage  off-site
--   google_drive, dropbox cloud_drive     off-site

-- ---------------------------------------------------------------------------------------------
-- Columns the engine fills
-- ---------------------------------------------------------------------------------------------
create function cofre_private.is_content_stats(p jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  with counts(v) as (values ('rows'), ('inserted'), ('updated'), ('deleted'), ('count'), ('bytes'), ('added'), ('changed'), ('removed'))
  select jsonb_typeof(p) = 'object'
     and not exists (select 1 from jsonb_object_keys(p) k where k not in ('tables', 'files'))
     and (p -> 'tables' is null or (
          jsonb_typeof(p -> 'tables') = 'object'
          and not exists (
            select 1 from jsonb_each(p -> 'tables') t(name, s)
             where t.name !~ '^[^.]{1,63}\.[^.]{1,63}$'
                or jsonb_typeof(t.s) <> 'object'
                or jsonb_typeof(t.s -> 'rows') is distinct from 'number'
                or coalesce(t.s ->> 'sha256', '') !~ '^[0-9a-f]{64}$'
                or exists (select 1 from jsonb_object_keys(t.s) k where k not in ('rows', 'sha256', 'inserted', 'updated', 'deleted'))
                or exists (select 1 from jsonb_each(t.s) f(k, v), counts c
                            where f.k = c.v and (jsonb_typeof(f.v) <> 'number' or f.v::text !~ '^[0-9]{1,18}$')))))
     and (p -> 'files' is null or (
          jsonb_typeof(p -> 'files') = 'object'
          and jsonb_typeof(p -> 'files' -> 'count') = 'number'
          and coalesce(p -> 'files' ->> 'sha256', '') ~ '^[0-9a-f]{64}$'
          and not exists (select 1 from jsonb_object_keys(p -> 'files') k
                           where k not in ('count', 'bytes', 'sha256', 'added', 'changed', 'removed'))
          and not exists (select 1 from jsonb_each(p -> 'files') f(k, v), counts c
                           where f.k = c.v and (jsonb_typeof(f.v) <> 'number' or f.v::text !~ '^[0-9]{1,18}$'))))
$$;
comment on function cofre_private.is_content_stats(jsonb) is
  'Shape of runs.content_stats: {"tables": {"schema.table": {"rows", "sha256", ["inserted", "updated", "deleted"]}}, "files": {"count", "sha256", ["bytes", "added", "changed", "removed"]}}; counts are non-negative integers, hashes 64 lower-case hex digits.';
revoke execute on function cofre_private.is_content_stats(jsonb) from public;
grant execute on function cofre_private.is_content_stats(jsonb) to service_role;

alter table cofre.runs
  add column content_stats jsonb check (content_stats is null or cofre_private.is_content_stats(content_stats)),
  add column stats_base_run_id uuid,
  add foreign key (tenant_id, stats_base_run_id) references cofre.runs (tenant_id, id) on delete set null (stats_base_run_id);
comment on column cofre.runs.content_stats is
  'Written by the engine for each backup: per table (schema.table) the row count and a SHA-256 over the rows, per backup the file count, bytes and a SHA-256 over the file list; with stats_base_run_id also the rows inserted/updated/deleted and files added/changed/removed since that backup. Drives get_backup_diff.';
comment on column cofre.runs.stats_base_run_id is
  'The backup the deltas in content_stats are measured against (usually the previous successful backup, or the parent of an incremental/differential); null when content_stats has no deltas.';

alter table cofre.artifacts add column deleted_at timestamptz;
comment on column cofre.artifacts.deleted_at is
  'When the object was removed from its destination (retention); stamped when status becomes deleted. Space-used series count an object from created_at until deleted_at.';

create function cofre_private.stamp_artifact_deleted()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status = 'deleted' then
    new.deleted_at := coalesce(new.deleted_at, now());
  end if;
  return new;
end;
$$;
comment on function cofre_private.stamp_artifact_deleted() is
  'Trigger: stamps artifacts.deleted_at when an artifact''s status becomes deleted.';
revoke execute on function cofre_private.stamp_artifact_deleted() from public;

create trigger artifacts_stamp_deleted before insert or update of status on cofre.artifacts
  for each row execute function cofre_private.stamp_artifact_deleted();

create function cofre.record_run_stats(p_run_id uuid, p_worker text, p_content_stats jsonb, p_stats_base_run_id uuid default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.runs;
begin
  if p_content_stats is null or not cofre_private.is_content_stats(p_content_stats) then
    raise exception 'Cofre: content statistics do not have the documented shape' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  select * into r from cofre.runs x
   where x.id = p_run_id and x.kind = 'backup' and x.lease_owner = p_worker and x.status in ('running', 'verifying')
   for update;
  if not found then
    perform cofre_private.raise_lease_lost('run');
  end if;
  if p_stats_base_run_id is not null and not exists (
       select 1 from cofre.runs b where b.id = p_stats_base_run_id and b.tenant_id = r.tenant_id
                                    and b.kind = 'backup' and b.id <> r.id) then
    raise exception 'Cofre: the base backup of these statistics is not a backup of this clinic'
      using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_stats_base_run_id is null and (
       exists (select 1 from jsonb_each(coalesce(p_content_stats -> 'tables', '{}')) t(n, s)
                where s ?| array['inserted', 'updated', 'deleted'])
       or coalesce(p_content_stats -> 'files', '{}') ?| array['added', 'changed', 'removed']) then
    raise exception 'Cofre: deltas need the backup they are measured against (p_stats_base_run_id)'
      using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  update cofre.runs x set content_stats = p_content_stats, stats_base_run_id = p_stats_base_run_id where x.id = r.id;
end;
$$;
comment on function cofre.record_run_stats(uuid, text, jsonb, uuid) is
  'A worker stores the content statistics of the backup it holds (shape: cofre_private.is_content_stats; deltas only with the base backup they are measured against). service_role only.';
revoke execute on function cofre.record_run_stats(uuid, text, jsonb, uuid) from public, anon, authenticated;
grant execute on function cofre.record_run_stats(uuid, text, jsonb, uuid) to service_role;

-- ---------------------------------------------------------------------------------------------
-- 3-2-1: media and off-site per destination
-- ---------------------------------------------------------------------------------------------
create function cofre_private.destination_media(p_kind cofre.destination_kind)
returns text
language sql
immutable
set search_path = ''
as $$
  select case p_kind
    when 'local' then 'local_disk'
    when 'ftp' then 'file_server'
    when 'sftp' then 'file_server'
    when 's3' then 'object_storage'
    when 'storj' then 'object_storage'
    when 'google_drive' then 'cloud_drive'
    when 'dropbox' then 'cloud_drive'
  end
$$;
comment on function cofre_private.destination_media(cofre.destination_kind) is
  'Kind of media a destination kind stores on, for the 3-2-1 rule: local_disk, file_server, object_storage or cloud_drive.';
revoke execute on function cofre_private.destination_media(cofre.destination_kind) from public;

create function cofre_private.destination_is_offsite(p_kind cofre.destination_kind, p_settings jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case when p_kind in ('local', 'ftp', 'sftp') then coalesce((p_settings ->> 'offsite')::boolean, false)
              else true end
$$;
comment on function cofre_private.destination_is_offsite(cofre.destination_kind, jsonb) is
  'Whether a destination keeps its copy away from the clinic''s premises: cloud kinds always; local, FTP and SFTP only when their settings say "offsite": true.';
revoke execute on function cofre_private.destination_is_offsite(cofre.destination_kind, jsonb) from public;

-- ---------------------------------------------------------------------------------------------
-- Dashboard
-- ---------------------------------------------------------------------------------------------
-- The dashboard and the series run as the owner (security definer) because they use the
-- cofre_private helpers above; each checks the caller's role first and filters every query by
-- p_tenant_id, so they see exactly what RLS would show a member.
create function cofre.get_dashboard_summary(p_tenant_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_last_ok cofre.runs;
  v jsonb;
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'viewer');
  select * into v_last_ok from cofre.runs r
   where r.tenant_id = p_tenant_id and r.kind = 'backup' and r.status in ('succeeded', 'partial')
   order by r.finished_at desc nulls last, r.id desc limit 1;
  with finished as (
    select r.status from cofre.runs r
     where r.tenant_id = p_tenant_id and r.kind = 'backup' and r.finished_at >= now() - interval '30 days'
  ), copies as (
    select d.id, cofre_private.destination_media(d.kind) as media, cofre_private.destination_is_offsite(d.kind, d.settings) as offsite
      from cofre.destinations d
     where d.tenant_id = p_tenant_id
       and exists (select 1 from cofre.artifacts a where a.run_id = v_last_ok.id and a.destination_id = d.id)
       and not exists (select 1 from cofre.artifacts a where a.run_id = v_last_ok.id and a.destination_id = d.id
                                                        and a.status not in ('stored', 'verified'))
  )
  select jsonb_build_object(
    'success_rate_30d', (select round(count(*) filter (where status = 'succeeded')::numeric
                                      / nullif(count(*) filter (where status in ('succeeded', 'partial', 'failed')), 0), 4)
                           from finished),
    'backups_30d', (select jsonb_build_object(
                       'succeeded', count(*) filter (where status = 'succeeded'),
                       'partial', count(*) filter (where status = 'partial'),
                       'failed', count(*) filter (where status = 'failed'),
                       'cancelled', count(*) filter (where status = 'cancelled')) from finished),
    'stored_bytes_by_destination', coalesce((
       select jsonb_agg(jsonb_build_object('destination_id', d.id, 'name', d.name, 'kind', d.kind,
                 'media', cofre_private.destination_media(d.kind),
                 'offsite', cofre_private.destination_is_offsite(d.kind, d.settings),
                 'bytes', coalesce(s.bytes, 0), 'objects', coalesce(s.objects, 0)) order by d.name)
         from cofre.destinations d
         left join lateral (select sum(a.size_bytes)::bigint as bytes, count(*) as objects from cofre.artifacts a
                             where a.destination_id = d.id and a.status in ('stored', 'verified')) s on true
        where d.tenant_id = p_tenant_id and d.deleted_at is null), '[]'::jsonb),
    'last_backup', (select jsonb_build_object('run_id', r.id, 'status', r.status, 'backup_type', r.backup_type,
                                              'started_at', r.started_at, 'finished_at', r.finished_at)
                      from cofre.runs r
                     where r.tenant_id = p_tenant_id and r.kind = 'backup' and r.finished_at is not null
                     order by r.finished_at desc, r.id desc limit 1),
    'last_successful_backup', case when v_last_ok.id is not null then jsonb_build_object(
                       'run_id', v_last_ok.id, 'status', v_last_ok.status, 'backup_type', v_last_ok.backup_type,
                       'started_at', v_last_ok.started_at, 'finished_at', v_last_ok.finished_at) end,
    'next_scheduled', (select jsonb_build_object('schedule_id', s.id, 'name', s.name, 'backup_type', s.backup_type,
                                                 'next_run_at', s.next_run_at)
                         from cofre.schedules s
                        where s.tenant_id = p_tenant_id and s.status = 'active' and s.next_run_at is not null
                        order by s.next_run_at, s.id limit 1),
    -- The data of a backup is as of its start (one snapshot), so that is what RPO is measured from.
    'rpo_seconds', case when v_last_ok.id is not null
                        then floor(extract(epoch from now() - coalesce(v_last_ok.started_at, v_last_ok.created_at)))::bigint end,
    'last_rto', (select jsonb_build_object('restore_id', x.id, 'drill', x.drill, 'finished_at', x.finished_at,
                                           'seconds', round(extract(epoch from x.duration), 3))
                   from cofre.restores x
                  where x.tenant_id = p_tenant_id and x.status = 'succeeded' and x.duration is not null
                  order by x.finished_at desc, x.id desc limit 1),
    'three_two_one', (select jsonb_build_object(
                        'run_id', v_last_ok.id,
                        'copies', count(*),
                        'media', coalesce(jsonb_agg(distinct media) filter (where media is not null), '[]'::jsonb),
                        'offsite_copies', count(*) filter (where offsite),
                        'ok', count(*) >= 3 and count(distinct media) >= 2 and count(*) filter (where offsite) >= 1)
                        from copies)
  ) into v;
  return v;
end;
$$;
comment on function cofre.get_dashboard_summary(uuid) is
  'The dashboard of a clinic in one call: success rate of the backups finished in the last 30 days (succeeded / (succeeded + partial + failed); null without any), their counts, bytes stored per live destination (stored/verified artifacts), last backup, last successful backup, next scheduled run, RPO now (seconds since the start of the last successful backup), last measured RTO (duration of the last succeeded restore or drill), and the 3-2-1 status of the last successful backup (see the header of 20261125020200). Clinic members.';
revoke execute on function cofre.get_dashboard_summary(uuid) from public, anon, service_role;
grant execute on function cofre.get_dashboard_summary(uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Analytics series
-- ---------------------------------------------------------------------------------------------
create function cofre_private.check_day_range(p_from date, p_to date)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_from is null or p_to is null or p_from > p_to or p_to - p_from > 366 then
    raise exception 'Cofre: give a day range of at most 367 days (p_from <= p_to)' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
end;
$$;
comment on function cofre_private.check_day_range(date, date) is 'Raises 22023 unless [p_from, p_to] is a range of 1 to 367 days.';
revoke execute on function cofre_private.check_day_range(date, date) from public;

-- The opening of every per-day report of a clinic.
create function cofre_private.daily_report_time_zone(p_tenant_id uuid, p_from date, p_to date)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_tz text;
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'viewer');
  perform cofre_private.check_day_range(p_from, p_to);
  select t.time_zone into v_tz from cofre.tenants t where t.id = p_tenant_id;
  return v_tz;
end;
$$;
comment on function cofre_private.daily_report_time_zone(uuid, date, date) is
  'The clinic''s time zone, in which a per-day report counts its days, after checking the caller is a member of the clinic (42501) and [p_from, p_to] is a range of 1 to 367 days (22023).';
revoke execute on function cofre_private.daily_report_time_zone(uuid, date, date) from public;

create function cofre.list_daily_backup_stats(p_tenant_id uuid, p_from date, p_to date)
returns table (day date, runs bigint, succeeded bigint, failed bigint, bytes_written bigint, avg_duration_seconds numeric)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_tz text;
begin
  v_tz := cofre_private.daily_report_time_zone(p_tenant_id, p_from, p_to);
  return query
    select g.d::date,
           count(r.id),
           count(r.id) filter (where r.status = 'succeeded'),
           count(r.id) filter (where r.status = 'failed'),
           coalesce(sum(r.bytes_written), 0)::bigint,
           round(avg(extract(epoch from r.duration)), 3)
      from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') g(d)  -- local midnights: `at time zone` makes them instants
      left join cofre.runs r
        on r.tenant_id = p_tenant_id and r.kind = 'backup' and r.created_at >= (g.d at time zone v_tz)
       and r.created_at < ((g.d + interval '1 day') at time zone v_tz)
     group by g.d
     order by g.d;
end;
$$;
comment on function cofre.list_daily_backup_stats(uuid, date, date) is
  'One row per day of [p_from, p_to] (at most 367, days in the clinic''s time zone, by creation): backups started, succeeded, failed, bytes written and mean duration in seconds. Clinic members.';
revoke execute on function cofre.list_daily_backup_stats(uuid, date, date) from public, anon, service_role;
grant execute on function cofre.list_daily_backup_stats(uuid, date, date) to authenticated;

create function cofre.list_daily_storage_usage(p_tenant_id uuid, p_from date, p_to date)
returns table (day date, destination_id uuid, destination_name text, bytes bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_tz text;
begin
  v_tz := cofre_private.daily_report_time_zone(p_tenant_id, p_from, p_to);
  return query
    select g.d::date, d.id, d.name,
           coalesce((select sum(a.size_bytes) from cofre.artifacts a
                      where a.destination_id = d.id and a.status <> 'pending'
                        and a.created_at < ((g.d + interval '1 day') at time zone v_tz)
                        and (a.deleted_at is null or a.deleted_at >= ((g.d + interval '1 day') at time zone v_tz))), 0)::bigint
      from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') g(d)  -- local midnights: `at time zone` makes them instants
      cross join cofre.destinations d
     where d.tenant_id = p_tenant_id
       and (d.deleted_at is null or d.deleted_at >= (g.d at time zone v_tz))
     order by g.d, d.name;
end;
$$;
comment on function cofre.list_daily_storage_usage(uuid, date, date) is
  'Space used per destination at the end of each day of [p_from, p_to] (at most 367, clinic''s time zone): bytes of the objects stored by then and not yet removed by retention. Clinic members.';
revoke execute on function cofre.list_daily_storage_usage(uuid, date, date) from public, anon, service_role;
grant execute on function cofre.list_daily_storage_usage(uuid, date, date) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Diff between two backups
-- ---------------------------------------------------------------------------------------------
-- security definer, not RLS: both backups are looked up, then one role check runs on their
-- common tenant (none when either is unknown or they differ), so unknown and foreign ids take
-- the same path (19-no-inference.sql).
create function cofre.get_backup_diff(p_from_run_id uuid, p_to_run_id uuid)
returns table (
  item_type text, name text, before_count bigint, after_count bigint,
  added bigint, changed bigint, removed bigint, content_changed boolean, exact boolean
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  a cofre.runs;
  b cofre.runs;
  v_same boolean;
  v_forward boolean;
  v_backward boolean;
begin
  select * into a from cofre.runs r where r.id = p_from_run_id and r.kind = 'backup';
  select * into b from cofre.runs r where r.id = p_to_run_id and r.kind = 'backup';
  if not cofre.has_role_on_tenant(coalesce(case when a.tenant_id = b.tenant_id then a.tenant_id end,
                                           '00000000-0000-0000-0000-000000000000'), 'viewer') then
    raise exception 'Cofre: backup not found' using errcode = 'P0002', hint = 'COFRE_NOT_FOUND';
  end if;
  if a.content_stats is null or b.content_stats is null then
    raise exception 'Cofre: one of these backups has no content statistics to compare'
      using errcode = '55000', hint = 'COFRE_NO_CONTENT_STATS';
  end if;
  -- Exact counts exist only when one backup's deltas are measured against the other.
  v_same := a.id = b.id;
  v_forward := coalesce(b.stats_base_run_id = a.id, false);
  v_backward := not v_forward and coalesce(a.stats_base_run_id = b.id, false);
  return query
    with ta as (select t.key as n, t.value as s from jsonb_each(coalesce(a.content_stats -> 'tables', '{}')) t),
         tb as (select t.key as n, t.value as s from jsonb_each(coalesce(b.content_stats -> 'tables', '{}')) t),
         pairs as (
           select 'table'::text as item_type, coalesce(ta.n, tb.n) as n, ta.s as sa, tb.s as sb
             from ta full join tb on ta.n = tb.n
           union all
           select 'files', 'files', a.content_stats -> 'files', b.content_stats -> 'files'
            where a.content_stats ? 'files' or b.content_stats ? 'files'),
         keys as (
           select p.*, case p.item_type when 'table' then 'rows' else 'count' end as k_count,
                  case p.item_type when 'table' then 'inserted' else 'added' end as k_add,
                  case p.item_type when 'table' then 'updated' else 'changed' end as k_chg,
                  case p.item_type when 'table' then 'deleted' else 'removed' end as k_del
             from pairs p)
    select k.item_type, k.n,
           (k.sa ->> k.k_count)::bigint, (k.sb ->> k.k_count)::bigint,
           case when k.sa is null then (k.sb ->> k.k_count)::bigint when k.sb is null or v_same then 0
                when v_forward then (k.sb ->> k.k_add)::bigint when v_backward then (k.sa ->> k.k_del)::bigint end,
           case when k.sa is null or k.sb is null or v_same then 0
                when v_forward then (k.sb ->> k.k_chg)::bigint when v_backward then (k.sa ->> k.k_chg)::bigint end,
           case when k.sb is null then (k.sa ->> k.k_count)::bigint when k.sa is null or v_same then 0
                when v_forward then (k.sb ->> k.k_del)::bigint when v_backward then (k.sa ->> k.k_add)::bigint end,
           k.sa is null or k.sb is null or (k.sa ->> 'sha256') <> (k.sb ->> 'sha256'),
           k.sa is null or k.sb is null or v_same
             or (v_forward and k.sb ? k.k_add and k.sb ? k.k_chg and k.sb ? k.k_del)
             or (v_backward and k.sa ? k.k_add and k.sa ? k.k_chg and k.sa ? k.k_del)
      from keys k
     order by k.item_type desc, k.n;
end;
$$;
comment on function cofre.get_backup_diff(uuid, uuid) is
  'What changed from backup p_from_run_id to backup p_to_run_id, per table (rows) and for files: counts before/after, added/changed/removed and whether the content hash changed. Counts are exact (exact = true) when one backup''s content_stats deltas are measured against the other, when both are the same backup, or when the item exists in only one; otherwise added/changed/removed are null and only the counts and content_changed are known. Unknown and other clinics'' backups raise P0002 "Cofre: backup not found". Clinic members.';
revoke execute on function cofre.get_backup_diff(uuid, uuid) from public, anon, service_role;
grant execute on function cofre.get_backup_diff(uuid, uuid) to authenticated;
