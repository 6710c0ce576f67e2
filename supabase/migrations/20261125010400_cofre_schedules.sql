-- Cofre schedules: full / incremental / differential backups, daily at a time, weekly on one
-- or more weekdays, or monthly on a day of month (clamped to the month's last day), always in
-- the tenant's time zone (America/Sao_Paulo by default); retention, compression, encryption
-- (write-only passphrase in the secret store of 20261125010300), active/paused, and
-- next_run_at computed here in SQL (preview_schedule_runs), the one place pg_cron's tick and
-- the tab agree on.

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------
create type cofre.backup_type as enum ('full', 'incremental', 'differential');
comment on type cofre.backup_type is
  'full: independent; incremental: changes since the last backup of any type; differential: changes since the last full.';

create type cofre.schedule_frequency as enum ('daily', 'weekly', 'monthly');
comment on type cofre.schedule_frequency is 'How often a schedule runs (at run_at, in the tenant''s time zone).';

create type cofre.schedule_status as enum ('active', 'paused');
comment on type cofre.schedule_status is 'Whether a schedule enqueues runs.';

-- ---------------------------------------------------------------------------------------------
-- Next runs (pure)
-- ---------------------------------------------------------------------------------------------
create function cofre.preview_schedule_runs(
  p_frequency cofre.schedule_frequency, p_run_at time, p_weekdays smallint[] default null,
  p_day_of_month smallint default null, p_time_zone text default 'America/Sao_Paulo',
  p_count integer default 5, p_after timestamptz default now()
)
returns setof timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
  v_start date;
begin
  if p_frequency is null or p_run_at is null then
    raise exception 'Cofre: frequency and time are required' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_count is null or p_count not between 1 and 60 then
    raise exception 'Cofre: p_count must be between 1 and 60' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  begin
    perform now() at time zone p_time_zone;
  exception when others then
    raise exception 'Cofre: unknown time zone' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end;
  if p_time_zone is null then
    raise exception 'Cofre: unknown time zone' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_frequency = 'weekly' and (p_weekdays is null or cardinality(p_weekdays) = 0
      or exists (select 1 from unnest(p_weekdays) w where w is null or w not between 0 and 6)) then
    raise exception 'Cofre: weekly schedules need weekdays from 0 (Sunday) to 6 (Saturday)'
      using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_frequency = 'monthly' and (p_day_of_month is null or p_day_of_month not between 1 and 31) then
    raise exception 'Cofre: monthly schedules need a day of month from 1 to 31' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  v_start := (coalesce(p_after, now()) at time zone p_time_zone)::date;
  return query
    select (d + p_run_at) at time zone p_time_zone
    from generate_series(0, case p_frequency when 'daily' then p_count + 2
                                             when 'weekly' then 7 * (p_count + 2)
                                             else 31 * (p_count + 2) end) g(i)
    cross join lateral (select v_start + g.i as d) x
    where case p_frequency
            when 'daily' then true
            when 'weekly' then extract(dow from d)::smallint = any (p_weekdays)
            else extract(day from d) = least(p_day_of_month,
                   extract(day from (date_trunc('month', d) + interval '1 month - 1 day')))
          end
      and (d + p_run_at) at time zone p_time_zone > coalesce(p_after, now())
    order by 1
    limit p_count;
end;
$$;
comment on function cofre.preview_schedule_runs(cofre.schedule_frequency, time, smallint[], smallint, text, integer, timestamptz) is
  'The next p_count run instants (1..60) of a schedule rule after p_after, computed in p_time_zone: daily at p_run_at; weekly on p_weekdays (0 = Sunday); monthly on p_day_of_month (clamped to the month''s last day). Pure: reads no Cofre data. Used by the tab''s preview and to compute next_run_at.';
revoke execute on function cofre.preview_schedule_runs(cofre.schedule_frequency, time, smallint[], smallint, text, integer, timestamptz) from public, anon, service_role;
grant execute on function cofre.preview_schedule_runs(cofre.schedule_frequency, time, smallint[], smallint, text, integer, timestamptz) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table cofre.schedules (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references cofre.tenants (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 120),
  backup_type cofre.backup_type not null,
  frequency cofre.schedule_frequency not null,
  run_at time not null,
  weekdays smallint[] check (weekdays is null or (cardinality(weekdays) between 1 and 7 and weekdays <@ '{0,1,2,3,4,5,6}')),
  day_of_month smallint check (day_of_month between 1 and 31),
  retention_days integer not null default 30 check (retention_days between 1 and 3650),
  compression boolean not null default true,
  encryption boolean not null default false,
  passphrase_hint text,
  passphrase_set_at timestamptz,
  status cofre.schedule_status not null default 'active',
  next_run_at timestamptz,
  last_enqueued_at timestamptz,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id),
  check ((frequency = 'weekly') = (weekdays is not null)),
  check ((frequency = 'monthly') = (day_of_month is not null)),
  check (status = 'active' or next_run_at is null)
);
comment on table cofre.schedules is
  'Recurring backups of a clinic: type, rule (daily/weekly/monthly at run_at in the tenant''s time zone), retention, compression, encryption (passphrase write-only: passphrase_hint/passphrase_set_at only), status and the computed next_run_at.';
create unique index schedules_name_per_tenant on cofre.schedules (tenant_id, lower(name));
create index schedules_due_idx on cofre.schedules (next_run_at) where status = 'active';

create trigger schedules_set_updated_at before update on cofre.schedules
  for each row execute function cofre_private.set_updated_at();

create table cofre.schedule_destinations (
  tenant_id uuid not null,
  schedule_id uuid not null,
  destination_id uuid not null,
  primary key (schedule_id, destination_id),
  foreign key (tenant_id, schedule_id) references cofre.schedules (tenant_id, id) on delete cascade,
  -- Destinations are only ever hard-deleted with their tenant (otherwise deleted_at).
  foreign key (tenant_id, destination_id) references cofre.destinations (tenant_id, id) on delete cascade
);
comment on table cofre.schedule_destinations is
  'The destinations a schedule writes to (3-2-1: several per schedule). The composite keys keep a schedule and its destinations in the same tenant.';
create index schedule_destinations_destination_idx on cofre.schedule_destinations (destination_id);

-- ---------------------------------------------------------------------------------------------
-- Internals
-- ---------------------------------------------------------------------------------------------
create function cofre_private.schedule_next_run(p_schedule cofre.schedules, p_after timestamptz default now())
returns timestamptz
language sql
stable
security definer
set search_path = ''
as $$
  select case when p_schedule.status = 'active' then
    (select r from cofre.preview_schedule_runs(p_schedule.frequency, p_schedule.run_at, p_schedule.weekdays,
                                                p_schedule.day_of_month, t.time_zone, 1, p_after) r)
  end
  from cofre.tenants t where t.id = p_schedule.tenant_id
$$;
comment on function cofre_private.schedule_next_run(cofre.schedules, timestamptz) is
  'The first run of a schedule after p_after in its tenant''s time zone; null when paused.';
revoke execute on function cofre_private.schedule_next_run(cofre.schedules, timestamptz) from public;

create function cofre_private.tenant_time_zone_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update cofre.schedules s set next_run_at = cofre_private.schedule_next_run(s)
   where s.tenant_id = new.id and s.status = 'active';
  return null;
end;
$$;
comment on function cofre_private.tenant_time_zone_changed() is
  'Trigger: recomputes the next runs of a tenant''s active schedules when its time zone changes.';
revoke execute on function cofre_private.tenant_time_zone_changed() from public;

create trigger tenants_time_zone_changed after update of time_zone on cofre.tenants
  for each row when (old.time_zone is distinct from new.time_zone)
  execute function cofre_private.tenant_time_zone_changed();

create function cofre_private.destination_in_use()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if exists (select 1 from cofre.schedule_destinations sd where sd.destination_id = new.id) then
    raise exception 'Cofre: this destination is used by a schedule; remove it from the schedule first'
      using errcode = '23503', hint = 'COFRE_DESTINATION_IN_USE';
  end if;
  return new;
end;
$$;
comment on function cofre_private.destination_in_use() is
  'Trigger: refuses to delete (deleted_at) a destination that a schedule still writes to.';
revoke execute on function cofre_private.destination_in_use() from public;

create trigger destinations_in_use before update of deleted_at on cofre.destinations
  for each row when (old.deleted_at is null and new.deleted_at is not null)
  execute function cofre_private.destination_in_use();

create function cofre_private.set_schedule_destinations(p_tenant_id uuid, p_schedule_id uuid, p_destination_ids uuid[])
returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_destination_ids is null or cardinality(p_destination_ids) = 0 then
    raise exception 'Cofre: a schedule needs at least one destination' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  -- Destinations of other clinics are reported exactly like unknown ones.
  if (select count(*) from cofre.destinations d
       where d.id = any (p_destination_ids) and d.tenant_id = p_tenant_id and d.deleted_at is null)
     <> (select count(distinct x) from unnest(p_destination_ids) x) then
    raise exception 'Cofre: unknown destination' using errcode = '22023', hint = 'COFRE_UNKNOWN_DESTINATION';
  end if;
  delete from cofre.schedule_destinations sd where sd.schedule_id = p_schedule_id;
  insert into cofre.schedule_destinations (tenant_id, schedule_id, destination_id)
  select distinct p_tenant_id, p_schedule_id, x from unnest(p_destination_ids) x;
end;
$$;
comment on function cofre_private.set_schedule_destinations(uuid, uuid, uuid[]) is
  'Replaces a schedule''s destinations after checking each is a live destination of the same tenant (others: "unknown destination").';
revoke execute on function cofre_private.set_schedule_destinations(uuid, uuid, uuid[]) from public;

-- ---------------------------------------------------------------------------------------------
-- API
-- ---------------------------------------------------------------------------------------------
create function cofre.create_schedule(
  p_tenant_id uuid, p_name text, p_backup_type cofre.backup_type, p_frequency cofre.schedule_frequency,
  p_run_at time, p_destination_ids uuid[], p_weekdays smallint[] default null, p_day_of_month smallint default null,
  p_retention_days integer default 30, p_compression boolean default true, p_encryption boolean default false
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  s cofre.schedules;
  v_tz text;
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'admin');
  if p_name is null or length(btrim(p_name)) not between 1 and 120 then
    raise exception 'Cofre: schedule name must have 1 to 120 characters' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_backup_type is null then
    raise exception 'Cofre: backup type is required' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_retention_days is null or p_retention_days not between 1 and 3650 then
    raise exception 'Cofre: retention must be between 1 and 3650 days' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  select t.time_zone into v_tz from cofre.tenants t where t.id = p_tenant_id;
  -- Validates the rule (frequency, weekdays, day of month) with clear errors.
  perform cofre.preview_schedule_runs(p_frequency, p_run_at, p_weekdays, p_day_of_month, v_tz, 1);
  if exists (select 1 from cofre.schedules x where x.tenant_id = p_tenant_id and lower(x.name) = lower(btrim(p_name))) then
    raise exception 'Cofre: a schedule with this name already exists' using errcode = '23505', hint = 'COFRE_DUPLICATE';
  end if;
  insert into cofre.schedules (tenant_id, name, backup_type, frequency, run_at, weekdays, day_of_month,
                                retention_days, compression, encryption, created_by)
  values (p_tenant_id, btrim(p_name), p_backup_type, p_frequency, p_run_at,
          case when p_frequency = 'weekly' then (select array_agg(distinct w order by w) from unnest(p_weekdays) w) end,
          case when p_frequency = 'monthly' then p_day_of_month end,
          p_retention_days, coalesce(p_compression, true), coalesce(p_encryption, false), auth.uid())
  returning * into s;
  update cofre.schedules x set next_run_at = cofre_private.schedule_next_run(s) where x.id = s.id;
  perform cofre_private.set_schedule_destinations(p_tenant_id, s.id, p_destination_ids);
  perform cofre_private.audit(p_tenant_id, 'schedule.created', 'schedule', s.id::text,
    jsonb_build_object('name', s.name, 'backup_type', s.backup_type, 'frequency', s.frequency, 'run_at', s.run_at,
                       'weekdays', s.weekdays, 'day_of_month', s.day_of_month, 'retention_days', s.retention_days,
                       'compression', s.compression, 'encryption', s.encryption, 'destination_ids', p_destination_ids));
  return s.id;
end;
$$;
comment on function cofre.create_schedule(uuid, text, cofre.backup_type, cofre.schedule_frequency, time, uuid[], smallint[], smallint, integer, boolean, boolean) is
  'Creates an active schedule writing to one or more of the clinic''s destinations; computes next_run_at in the clinic''s time zone. With encryption on, runs are refused until the passphrase is set through the secrets Edge Function (cofre.put_sealed_secret / put_vault_secret; never through this RPC). Clinic admins only.';
revoke execute on function cofre.create_schedule(uuid, text, cofre.backup_type, cofre.schedule_frequency, time, uuid[], smallint[], smallint, integer, boolean, boolean) from public, anon, service_role;
grant execute on function cofre.create_schedule(uuid, text, cofre.backup_type, cofre.schedule_frequency, time, uuid[], smallint[], smallint, integer, boolean, boolean) to authenticated;

create function cofre.update_schedule(
  p_schedule_id uuid, p_name text default null, p_backup_type cofre.backup_type default null,
  p_frequency cofre.schedule_frequency default null, p_run_at time default null,
  p_destination_ids uuid[] default null, p_weekdays smallint[] default null, p_day_of_month smallint default null,
  p_retention_days integer default null, p_compression boolean default null, p_encryption boolean default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  s cofre.schedules;
  n cofre.schedules;
  v_tz text;
begin
  s := cofre_private.lock_owned_row(null::cofre.schedules, p_schedule_id, 'admin');
  n := s;
  n.name := coalesce(btrim(p_name), s.name);
  n.backup_type := coalesce(p_backup_type, s.backup_type);
  n.frequency := coalesce(p_frequency, s.frequency);
  n.run_at := coalesce(p_run_at, s.run_at);
  n.weekdays := case when n.frequency = 'weekly' then
                  (select array_agg(distinct w order by w) from unnest(coalesce(p_weekdays, s.weekdays)) w) end;
  n.day_of_month := case when n.frequency = 'monthly' then coalesce(p_day_of_month, s.day_of_month) end;
  n.retention_days := coalesce(p_retention_days, s.retention_days);
  n.compression := coalesce(p_compression, s.compression);
  n.encryption := coalesce(p_encryption, s.encryption);
  if length(n.name) not between 1 and 120 then
    raise exception 'Cofre: schedule name must have 1 to 120 characters' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if n.retention_days not between 1 and 3650 then
    raise exception 'Cofre: retention must be between 1 and 3650 days' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  select t.time_zone into v_tz from cofre.tenants t where t.id = s.tenant_id;
  perform cofre.preview_schedule_runs(n.frequency, n.run_at, n.weekdays, n.day_of_month, v_tz, 1);
  if exists (select 1 from cofre.schedules x
              where x.tenant_id = s.tenant_id and x.id <> s.id and lower(x.name) = lower(n.name)) then
    raise exception 'Cofre: a schedule with this name already exists' using errcode = '23505', hint = 'COFRE_DUPLICATE';
  end if;
  update cofre.schedules x
     set name = n.name, backup_type = n.backup_type, frequency = n.frequency, run_at = n.run_at,
         weekdays = n.weekdays, day_of_month = n.day_of_month, retention_days = n.retention_days,
         compression = n.compression, encryption = n.encryption,
         next_run_at = cofre_private.schedule_next_run(n)
   where x.id = s.id;
  if p_destination_ids is not null then
    perform cofre_private.set_schedule_destinations(s.tenant_id, s.id, p_destination_ids);
  end if;
  perform cofre_private.audit(s.tenant_id, 'schedule.updated', 'schedule', s.id::text,
    jsonb_strip_nulls(jsonb_build_object('name', p_name, 'backup_type', p_backup_type, 'frequency', p_frequency,
      'run_at', p_run_at, 'weekdays', p_weekdays, 'day_of_month', p_day_of_month, 'retention_days', p_retention_days,
      'compression', p_compression, 'encryption', p_encryption, 'destination_ids', p_destination_ids)));
end;
$$;
comment on function cofre.update_schedule(uuid, text, cofre.backup_type, cofre.schedule_frequency, time, uuid[], smallint[], smallint, integer, boolean, boolean) is
  'Changes any part of a schedule (null = keep) and recomputes next_run_at. The passphrase is replaced through the secrets Edge Function. Clinic admins only.';
revoke execute on function cofre.update_schedule(uuid, text, cofre.backup_type, cofre.schedule_frequency, time, uuid[], smallint[], smallint, integer, boolean, boolean) from public, anon, service_role;
grant execute on function cofre.update_schedule(uuid, text, cofre.backup_type, cofre.schedule_frequency, time, uuid[], smallint[], smallint, integer, boolean, boolean) to authenticated;

create function cofre.pause_schedule(p_schedule_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  s cofre.schedules;
begin
  s := cofre_private.lock_owned_row(null::cofre.schedules, p_schedule_id, 'admin');
  update cofre.schedules x set status = 'paused', next_run_at = null where x.id = s.id;
  perform cofre_private.audit(s.tenant_id, 'schedule.paused', 'schedule', s.id::text, '{}');
end;
$$;
comment on function cofre.pause_schedule(uuid) is 'Pauses a schedule (no runs are enqueued; next_run_at becomes null). Clinic admins only.';
revoke execute on function cofre.pause_schedule(uuid) from public, anon, service_role;
grant execute on function cofre.pause_schedule(uuid) to authenticated;

create function cofre.resume_schedule(p_schedule_id uuid)
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
  s cofre.schedules;
  v_next timestamptz;
begin
  s := cofre_private.lock_owned_row(null::cofre.schedules, p_schedule_id, 'admin');
  s.status := 'active';
  v_next := cofre_private.schedule_next_run(s);
  update cofre.schedules x set status = 'active', next_run_at = v_next where x.id = s.id;
  perform cofre_private.audit(s.tenant_id, 'schedule.resumed', 'schedule', s.id::text,
    jsonb_build_object('next_run_at', v_next));
  return v_next;
end;
$$;
comment on function cofre.resume_schedule(uuid) is 'Resumes a paused schedule and returns its next run (missed runs are not replayed). Clinic admins only.';
revoke execute on function cofre.resume_schedule(uuid) from public, anon, service_role;
grant execute on function cofre.resume_schedule(uuid) to authenticated;

create function cofre.delete_schedule(p_schedule_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  s cofre.schedules;
begin
  s := cofre_private.lock_owned_row(null::cofre.schedules, p_schedule_id, 'admin');
  delete from cofre.schedules x where x.id = s.id;
  perform cofre_private.audit(s.tenant_id, 'schedule.deleted', 'schedule', s.id::text,
    jsonb_build_object('name', s.name, 'passphrase_destroyed', cofre_private.forget_secret('schedule', s.id)));
end;
$$;
comment on function cofre.delete_schedule(uuid) is
  'Deletes a schedule and its passphrase; its past runs stay (schedule_id becomes null). Clinic admins only.';
revoke execute on function cofre.delete_schedule(uuid) from public, anon, service_role;
grant execute on function cofre.delete_schedule(uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Privileges and RLS
-- ---------------------------------------------------------------------------------------------
revoke all on table cofre.schedules, cofre.schedule_destinations from anon, authenticated;
grant select on table cofre.schedules, cofre.schedule_destinations to authenticated;
grant all on table cofre.schedules, cofre.schedule_destinations to service_role;

alter table cofre.schedules enable row level security;
alter table cofre.schedule_destinations enable row level security;

create policy "Clinic members can see their schedules" on cofre.schedules
  for select to authenticated
  using (cofre.has_role_on_tenant(tenant_id, 'viewer'));

create policy "Clinic members can see where their schedules write" on cofre.schedule_destinations
  for select to authenticated
  using (cofre.has_role_on_tenant(tenant_id, 'viewer'));
