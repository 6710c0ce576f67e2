-- Cofre runs (also the job queue) and artifacts.
--
-- A run is one backup (or one verification of a backup). It is the queue item too:
--   queued → running (lease) → verifying → succeeded | partial | failed
--   queued | running | verifying → cancelled
-- Workers (Edge Functions, `cofre worker`, all as service_role) claim runs with
-- claim_next_run (FOR UPDATE SKIP LOCKED), hold a lease renewed by heartbeat_run (which also
-- stores progress, the serialisable checkpoint and the byte counters), and end with
-- finish_run. A run whose lease expired is claimable again and continues from its checkpoint.
-- One backup at a time per clinic: a second start is refused while one is queued or running.
-- An artifact is one stored object (volume, manifest) of a run on one destination, with its
-- size, SHA-256, MD5 and verification state.

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------
create type cofre.run_status as enum ('queued', 'running', 'verifying', 'succeeded', 'partial', 'failed', 'cancelled');
comment on type cofre.run_status is
  'Life of a run: queued → running → verifying → succeeded | partial (some destinations failed) | failed; or cancelled.';

create type cofre.run_kind as enum ('backup', 'verification');
comment on type cofre.run_kind is 'backup writes a new backup; verification re-reads an existing backup''s artifacts.';

create type cofre.run_trigger as enum ('manual', 'schedule');
comment on type cofre.run_trigger is 'Who asked for the run: a person (manual) or a schedule.';

create type cofre.artifact_status as enum ('pending', 'stored', 'verified', 'corrupt', 'missing', 'deleted');
comment on type cofre.artifact_status is 'State of one stored object on one destination.';

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table cofre.runs (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references cofre.tenants (id) on delete cascade,
  kind cofre.run_kind not null default 'backup',
  backup_type cofre.backup_type not null default 'full',
  trigger cofre.run_trigger not null default 'manual',
  schedule_id uuid references cofre.schedules (id) on delete set null,
  parent_run_id uuid references cofre.runs (id) on delete set null,
  destination_ids uuid[] not null default '{}',
  compression boolean not null default true,
  encryption boolean not null default false,
  status cofre.run_status not null default 'queued',
  requested_by uuid,
  cancel_requested_at timestamptz,
  lease_owner text,
  lease_expires_at timestamptz,
  heartbeat_at timestamptz,
  attempts integer not null default 0,
  progress jsonb not null default '{}'::jsonb check (jsonb_typeof(progress) = 'object'),
  checkpoint jsonb check (checkpoint is null or jsonb_typeof(checkpoint) = 'object'),
  bytes_read bigint not null default 0 check (bytes_read >= 0),
  bytes_written bigint not null default 0 check (bytes_written >= 0),
  compression_ratio numeric generated always as
    (case when bytes_read > 0 then round(bytes_written::numeric / bytes_read, 4) end) stored,
  duration interval generated always as (finished_at - started_at) stored,
  throughput_bytes_per_second numeric generated always as
    (case when finished_at > started_at
          then round(bytes_read / extract(epoch from (finished_at - started_at)), 1) end) stored,
  error_code text,
  error_message text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now(),
  unique (tenant_id, id),
  check ((kind = 'verification') = (parent_run_id is not null) or kind = 'backup')
);
comment on table cofre.runs is
  'Backups and verifications of a clinic, and the job queue the workers claim (lease_owner/lease_expires_at, heartbeat_at, progress, checkpoint). Metrics: bytes read/written, compression ratio (written/read), duration, throughput.';
create index runs_tenant_created_idx on cofre.runs (tenant_id, created_at desc, id desc);
create index runs_claimable_idx on cofre.runs (created_at) where status in ('queued', 'running', 'verifying');
create unique index runs_one_active_backup_per_tenant on cofre.runs (tenant_id)
  where kind = 'backup' and status in ('queued', 'running', 'verifying');

create trigger runs_set_updated_at before update on cofre.runs
  for each row execute function cofre_private.set_updated_at();

create table cofre.artifacts (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  run_id uuid not null,
  destination_id uuid not null,
  object_key text not null check (length(object_key) between 1 and 1024),
  size_bytes bigint not null check (size_bytes >= 0),
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  md5 text check (md5 ~ '^[0-9a-f]{32}$'),
  status cofre.artifact_status not null default 'pending',
  verified_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (run_id, destination_id, object_key),
  foreign key (tenant_id, run_id) references cofre.runs (tenant_id, id) on delete cascade,
  -- Destinations are only ever hard-deleted with their tenant (otherwise deleted_at).
  foreign key (tenant_id, destination_id) references cofre.destinations (tenant_id, id) on delete cascade
);
comment on table cofre.artifacts is
  'One stored object of a run on one destination: key, size, SHA-256, MD5, status and when it was last verified.';
create index artifacts_destination_idx on cofre.artifacts (destination_id, created_at);
create index artifacts_tenant_idx on cofre.artifacts (tenant_id, run_id);

create trigger artifacts_set_updated_at before update on cofre.artifacts
  for each row execute function cofre_private.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Internals
-- ---------------------------------------------------------------------------------------------
create function cofre_private.check_run_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status is distinct from old.status and not (
       (old.status = 'queued' and new.status in ('running', 'verifying', 'cancelled'))
    or (old.status = 'running' and new.status in ('verifying', 'succeeded', 'partial', 'failed', 'cancelled'))
    or (old.status = 'verifying' and new.status in ('succeeded', 'partial', 'failed', 'cancelled'))) then
    raise exception 'Cofre: a run cannot go from % to %', old.status, new.status
      using errcode = '55000', hint = 'COFRE_BAD_TRANSITION';
  end if;
  if new.status in ('succeeded', 'partial', 'failed', 'cancelled') and old.status not in ('succeeded', 'partial', 'failed', 'cancelled') then
    new.finished_at := coalesce(new.finished_at, now());
    new.lease_owner := null;
    new.lease_expires_at := null;
  end if;
  return new;
end;
$$;
comment on function cofre_private.check_run_transition() is
  'Trigger: enforces the run state machine (queued → running → verifying → succeeded|partial|failed, or cancelled) and releases the lease when a run ends.';
revoke execute on function cofre_private.check_run_transition() from public;

create trigger runs_check_transition before update of status on cofre.runs
  for each row execute function cofre_private.check_run_transition();

create function cofre_private.backup_parent(p_tenant_id uuid, p_backup_type cofre.backup_type)
returns uuid
language sql
stable
set search_path = ''
as $$
  select r.id from cofre.runs r
   where r.tenant_id = p_tenant_id and r.kind = 'backup' and r.status = 'succeeded'
     and (p_backup_type = 'incremental' or r.backup_type = 'full')
   order by r.finished_at desc
   limit 1
$$;
comment on function cofre_private.backup_parent(uuid, cofre.backup_type) is
  'The backup a new one builds on: incremental → the last successful backup of any type; differential → the last successful full; full → none (null).';
revoke execute on function cofre_private.backup_parent(uuid, cofre.backup_type) from public;

create function cofre_private.enqueue_backup(
  p_tenant_id uuid, p_backup_type cofre.backup_type, p_trigger cofre.run_trigger, p_schedule_id uuid,
  p_destination_ids uuid[], p_compression boolean, p_encryption boolean
)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
  v_parent uuid;
  v_id uuid;
begin
  if p_encryption and not exists (select 1 from cofre_private.secrets x
                                   where x.owner_type = 'schedule' and x.owner_id = p_schedule_id) then
    raise exception 'Cofre: set the encryption passphrase of this schedule before it runs'
      using errcode = '55000', hint = 'COFRE_PASSPHRASE_REQUIRED';
  end if;
  if p_backup_type <> 'full' then
    v_parent := cofre_private.backup_parent(p_tenant_id, p_backup_type);
    if v_parent is null then
      raise exception 'Cofre: an % backup needs a successful full backup first', p_backup_type
        using errcode = '55000', hint = 'COFRE_NEEDS_FULL';
    end if;
  end if;
  begin
    insert into cofre.runs (tenant_id, kind, backup_type, trigger, schedule_id, parent_run_id, destination_ids,
                             compression, encryption, requested_by)
    values (p_tenant_id, 'backup', p_backup_type, p_trigger, p_schedule_id, v_parent, p_destination_ids,
            p_compression, p_encryption, auth.uid())
    returning id into v_id;
  exception when unique_violation then
    raise exception 'Cofre: a backup is already queued or running for this clinic'
      using errcode = '55006', hint = 'COFRE_BACKUP_IN_PROGRESS';
  end;
  return v_id;
end;
$$;
comment on function cofre_private.enqueue_backup(uuid, cofre.backup_type, cofre.run_trigger, uuid, uuid[], boolean, boolean) is
  'Queues a backup run, resolving its parent for incremental/differential types; 55006 when the clinic already has one queued or running; 55000 COFRE_PASSPHRASE_REQUIRED for an encrypted schedule whose passphrase is not set.';
revoke execute on function cofre_private.enqueue_backup(uuid, cofre.backup_type, cofre.run_trigger, uuid, uuid[], boolean, boolean) from public;

-- ---------------------------------------------------------------------------------------------
-- API for the tab
-- ---------------------------------------------------------------------------------------------
create function cofre.start_backup(
  p_tenant_id uuid, p_destination_ids uuid[] default null, p_backup_type cofre.backup_type default 'full',
  p_compression boolean default true, p_schedule_id uuid default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  s cofre.schedules;
  v_dest uuid[];
  v_id uuid;
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'operator');
  if p_schedule_id is not null then
    select * into s from cofre.schedules x where x.id = p_schedule_id and x.tenant_id = p_tenant_id;
    if not found then
      raise exception 'Cofre: schedule not found' using errcode = 'P0002', hint = 'COFRE_NOT_FOUND';
    end if;
    select array_agg(sd.destination_id order by sd.destination_id) into v_dest
      from cofre.schedule_destinations sd where sd.schedule_id = s.id;
    v_id := cofre_private.enqueue_backup(p_tenant_id, s.backup_type, 'manual', s.id, v_dest, s.compression, s.encryption);
  else
    if p_destination_ids is null or cardinality(p_destination_ids) = 0 then
      raise exception 'Cofre: choose at least one destination' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
    end if;
    if (select count(*) from cofre.destinations d
         where d.id = any (p_destination_ids) and d.tenant_id = p_tenant_id and d.deleted_at is null and d.enabled)
       <> (select count(distinct x) from unnest(p_destination_ids) x) then
      raise exception 'Cofre: unknown destination' using errcode = '22023', hint = 'COFRE_UNKNOWN_DESTINATION';
    end if;
    if p_backup_type is null then
      raise exception 'Cofre: backup type is required' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
    end if;
    select array_agg(distinct x order by x) into v_dest from unnest(p_destination_ids) x;
    v_id := cofre_private.enqueue_backup(p_tenant_id, p_backup_type, 'manual', null, v_dest,
                                         coalesce(p_compression, true), false);
  end if;
  perform cofre_private.audit(p_tenant_id, 'backup.started', 'run', v_id::text,
    jsonb_build_object('backup_type', coalesce(s.backup_type, p_backup_type), 'schedule_id', p_schedule_id,
                       'destination_ids', v_dest));
  return v_id;
end;
$$;
comment on function cofre.start_backup(uuid, uuid[], cofre.backup_type, boolean, uuid) is
  '"Criar Backup Agora": queues a manual backup, either with a schedule''s settings (p_schedule_id) or to the given destinations (unencrypted). 55006 when one is already queued or running. Operators and admins.';
revoke execute on function cofre.start_backup(uuid, uuid[], cofre.backup_type, boolean, uuid) from public, anon, service_role;
grant execute on function cofre.start_backup(uuid, uuid[], cofre.backup_type, boolean, uuid) to authenticated;

create function cofre.start_verification(p_run_id uuid)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.runs;
  v_id uuid;
begin
  r := cofre_private.lock_owned_row(null::cofre.runs, p_run_id, 'operator');
  if r.kind <> 'backup' or r.status not in ('succeeded', 'partial') then
    raise exception 'Cofre: only a finished backup can be verified' using errcode = '55000', hint = 'COFRE_NOT_VERIFIABLE';
  end if;
  insert into cofre.runs (tenant_id, kind, backup_type, trigger, parent_run_id, destination_ids, requested_by)
  values (r.tenant_id, 'verification', r.backup_type, 'manual', r.id, r.destination_ids, auth.uid())
  returning id into v_id;
  perform cofre_private.audit(r.tenant_id, 'backup.verification_started', 'run', r.id::text,
    jsonb_build_object('verification_run_id', v_id));
  return v_id;
end;
$$;
comment on function cofre.start_verification(uuid) is
  'Queues a verification of a finished backup (re-reads every artifact and checks SHA-256/MD5). Operators and admins.';
revoke execute on function cofre.start_verification(uuid) from public, anon, service_role;
grant execute on function cofre.start_verification(uuid) to authenticated;

create function cofre.cancel_run(p_run_id uuid)
returns cofre.run_status
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.runs;
  v_status cofre.run_status;
begin
  r := cofre_private.lock_owned_row(null::cofre.runs, p_run_id, 'operator');
  if r.status in ('succeeded', 'partial', 'failed', 'cancelled') then
    raise exception 'Cofre: this run has already finished' using errcode = '55000', hint = 'COFRE_RUN_FINISHED';
  end if;
  if r.status = 'queued' then
    update cofre.runs x set status = 'cancelled', cancel_requested_at = now(), error_code = 'CANCELLED'
     where x.id = r.id returning x.status into v_status;
  else
    -- A worker holds it: it sees cancel_requested_at at its next heartbeat and stops cleanly.
    update cofre.runs x set cancel_requested_at = coalesce(x.cancel_requested_at, now())
     where x.id = r.id returning x.status into v_status;
  end if;
  perform cofre_private.audit(r.tenant_id, 'run.cancel_requested', 'run', r.id::text,
    jsonb_build_object('status_before', r.status));
  return v_status;
end;
$$;
comment on function cofre.cancel_run(uuid) is
  'Cancels a queued run at once, or asks the worker of a running one to stop (returns the status after the call). Operators and admins.';
revoke execute on function cofre.cancel_run(uuid) from public, anon, service_role;
grant execute on function cofre.cancel_run(uuid) to authenticated;

create function cofre.list_backups(
  p_tenant_id uuid, p_backup_type cofre.backup_type default null, p_status cofre.run_status default null,
  p_from timestamptz default null, p_to timestamptz default null, p_destination_id uuid default null,
  p_limit integer default 25, p_after_created_at timestamptz default null, p_after_id uuid default null
)
returns table (
  id uuid, backup_type cofre.backup_type, trigger cofre.run_trigger, status cofre.run_status,
  schedule_id uuid, destination_ids uuid[], created_at timestamptz, started_at timestamptz,
  finished_at timestamptz, duration interval, bytes_read bigint, bytes_written bigint,
  compression_ratio numeric, stored_bytes bigint, error_code text
)
language plpgsql
stable
set search_path = ''
as $$
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'viewer');
  if p_limit is null or p_limit not between 1 and 200 then
    raise exception 'Cofre: p_limit must be between 1 and 200' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if (p_after_created_at is null) <> (p_after_id is null) then
    raise exception 'Cofre: p_after_created_at and p_after_id go together (the last row of the previous page)'
      using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_from is not null and p_to is not null and p_from > p_to then
    raise exception 'Cofre: p_from must not be after p_to' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  return query
    select r.id, r.backup_type, r.trigger, r.status, r.schedule_id, r.destination_ids, r.created_at,
           r.started_at, r.finished_at, r.duration, r.bytes_read, r.bytes_written, r.compression_ratio,
           coalesce((select sum(a.size_bytes) from cofre.artifacts a
                      where a.run_id = r.id and a.status in ('stored', 'verified'))::bigint, 0),
           r.error_code
    from cofre.runs r
    where r.tenant_id = p_tenant_id and r.kind = 'backup'
      and (p_backup_type is null or r.backup_type = p_backup_type)
      and (p_status is null or r.status = p_status)
      and (p_from is null or r.created_at >= p_from)
      and (p_to is null or r.created_at < p_to)
      and (p_destination_id is null or p_destination_id = any (r.destination_ids))
      and (p_after_id is null or (r.created_at, r.id) < (p_after_created_at, p_after_id))
    order by r.created_at desc, r.id desc
    limit p_limit;
end;
$$;
comment on function cofre.list_backups(uuid, cofre.backup_type, cofre.run_status, timestamptz, timestamptz, uuid, integer, timestamptz, uuid) is
  'History: a clinic''s backups, newest first, filtered by type, status, date range [p_from, p_to) and destination; keyset paging: pass the created_at and id of the last row of a page as p_after_created_at/p_after_id for the next (p_limit 1..200). Clinic members.';
revoke execute on function cofre.list_backups(uuid, cofre.backup_type, cofre.run_status, timestamptz, timestamptz, uuid, integer, timestamptz, uuid) from public, anon, service_role;
grant execute on function cofre.list_backups(uuid, cofre.backup_type, cofre.run_status, timestamptz, timestamptz, uuid, integer, timestamptz, uuid) to authenticated;

-- security definer, not RLS: under RLS a foreign run would be read and then filtered by the
-- policy (a role check an unknown id never triggers); here both take one lookup and one role check.
create function cofre.get_backup(p_run_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v jsonb;
  v_tenant uuid;
begin
  select r.tenant_id into v_tenant from cofre.runs r where r.id = p_run_id and r.kind = 'backup';
  -- Unknown id: checked against a tenant that exists nowhere (same statements, same error).
  if not cofre.has_role_on_tenant(coalesce(v_tenant, '00000000-0000-0000-0000-000000000000'), 'viewer') then
    raise exception 'Cofre: backup not found' using errcode = 'P0002', hint = 'COFRE_NOT_FOUND';
  end if;
  select to_jsonb(r) - 'checkpoint' - 'lease_owner'
         || jsonb_build_object(
              'artifacts', coalesce((select jsonb_agg(jsonb_build_object(
                   'id', a.id, 'destination_id', a.destination_id, 'destination_name', d.name,
                   'destination_kind', d.kind, 'object_key', a.object_key, 'size_bytes', a.size_bytes,
                   'sha256', a.sha256, 'md5', a.md5, 'status', a.status, 'verified_at', a.verified_at)
                   order by d.name, a.object_key)
                 from cofre.artifacts a join cofre.destinations d on d.id = a.destination_id and d.tenant_id = a.tenant_id
                 where a.run_id = r.id and a.tenant_id = v_tenant), '[]'::jsonb),
              'verifications', coalesce((select jsonb_agg(jsonb_build_object(
                   'id', v.id, 'status', v.status, 'finished_at', v.finished_at, 'error_code', v.error_code)
                   order by v.created_at desc)
                 from cofre.runs v where v.parent_run_id = r.id and v.tenant_id = v_tenant and v.kind = 'verification'), '[]'::jsonb))
    into v
    from cofre.runs r
   where r.id = p_run_id and r.tenant_id = v_tenant and r.kind = 'backup';
  if v is null then
    raise exception 'Cofre: backup not found' using errcode = 'P0002', hint = 'COFRE_NOT_FOUND';
  end if;
  return v;
end;
$$;
comment on function cofre.get_backup(uuid) is
  'Backup detail: the run, its artifacts per destination (size, SHA-256, MD5, status, verified_at) and its verifications. Unknown and other clinics'' backups both raise P0002 "Cofre: backup not found". Clinic members.';
revoke execute on function cofre.get_backup(uuid) from public, anon, service_role;
grant execute on function cofre.get_backup(uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- API for the workers and pg_cron (service_role)
-- ---------------------------------------------------------------------------------------------
create function cofre.enqueue_due_runs(p_now timestamptz default now())
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  s cofre.schedules;
  v_dest uuid[];
  v_type cofre.backup_type;
  v_n integer := 0;
  v_reason text;
begin
  for s in select * from cofre.schedules x
            where x.status = 'active' and x.next_run_at <= p_now
            order by x.next_run_at
            for update skip locked loop
    select array_agg(sd.destination_id order by sd.destination_id) into v_dest
      from cofre.schedule_destinations sd where sd.schedule_id = s.id;
    -- Without a full to build on, a scheduled incremental/differential runs as a full.
    v_type := case when s.backup_type <> 'full' and cofre_private.backup_parent(s.tenant_id, s.backup_type) is null
                   then 'full' else s.backup_type end;
    begin
      perform cofre_private.enqueue_backup(s.tenant_id, v_type, 'schedule', s.id, v_dest, s.compression, s.encryption);
      v_n := v_n + 1;
    exception when sqlstate '55006' or sqlstate '55000' then
      get stacked diagnostics v_reason = pg_exception_hint;
      perform cofre_private.audit(s.tenant_id, 'schedule.run_skipped', 'schedule', s.id::text,
        jsonb_build_object('reason', v_reason, 'due_at', s.next_run_at));
    end;
    update cofre.schedules x
       set next_run_at = cofre_private.schedule_next_run(s, greatest(p_now, s.next_run_at)), last_enqueued_at = p_now
     where x.id = s.id;
  end loop;
  return v_n;
end;
$$;
comment on function cofre.enqueue_due_runs(timestamptz) is
  'pg_cron tick (scheduled-cleanup, service_role only): queues a run for every active schedule due at p_now and moves its next_run_at forward; a schedule whose clinic already has a backup in progress, or whose encryption passphrase is not set, is skipped and audited with the reason. Returns how many runs were queued.';
revoke execute on function cofre.enqueue_due_runs(timestamptz) from public, anon, authenticated;
grant execute on function cofre.enqueue_due_runs(timestamptz) to service_role;

-- Shared by the run and restore worker RPCs (claim / heartbeat / finish), which lease rows of
-- different tables with different status sets: only the argument check and the lease-lost
-- error are the same idea, so only those live here.
create function cofre_private.check_worker_lease(p_worker text, p_lease_seconds integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_worker is null or length(p_worker) not between 1 and 200 then
    raise exception 'Cofre: worker id must have 1 to 200 characters' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 10 and 3600 then
    raise exception 'Cofre: lease must be 10 to 3600 seconds' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
end;
$$;
comment on function cofre_private.check_worker_lease(text, integer) is
  'Raises 22023 COFRE_INVALID_INPUT unless the worker id has 1 to 200 characters and the lease is 10 to 3600 seconds (used when a worker claims a run or a restore).';
revoke execute on function cofre_private.check_worker_lease(text, integer) from public;

create function cofre_private.raise_lease_lost(p_what text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'Cofre: this worker no longer holds the %''s lease', p_what using errcode = '55006', hint = 'COFRE_LEASE_LOST';
end;
$$;
comment on function cofre_private.raise_lease_lost(text) is
  'Raises 55006 COFRE_LEASE_LOST for a worker whose lease on the p_what (run, restore) expired or was taken over: it must stop.';
revoke execute on function cofre_private.raise_lease_lost(text) from public;

create function cofre.claim_next_run(p_worker text, p_lease_seconds integer default 120)
returns setof cofre.runs
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.runs;
begin
  perform cofre_private.check_worker_lease(p_worker, p_lease_seconds);
  select * into r from cofre.runs x
   where (x.status = 'queued' and x.cancel_requested_at is null)
      or (x.status in ('running', 'verifying') and x.lease_expires_at < now())
   order by x.created_at
   limit 1
   for update skip locked;
  if not found then
    return;
  end if;
  return query
    update cofre.runs x
       set status = case when x.status = 'queued' then 'running'::cofre.run_status else x.status end,
           lease_owner = p_worker, lease_expires_at = now() + make_interval(secs => p_lease_seconds),
           heartbeat_at = now(), attempts = x.attempts + 1, started_at = coalesce(x.started_at, now())
     where x.id = r.id
    returning x.*;
end;
$$;
comment on function cofre.claim_next_run(text, integer) is
  'A worker takes the oldest queued run, or a running one whose lease expired (it resumes from checkpoint), under a lease of p_lease_seconds. FOR UPDATE SKIP LOCKED: concurrent workers never take the same run. service_role only.';
revoke execute on function cofre.claim_next_run(text, integer) from public, anon, authenticated;
grant execute on function cofre.claim_next_run(text, integer) to service_role;

create function cofre.heartbeat_run(
  p_run_id uuid, p_worker text, p_progress jsonb default null, p_checkpoint jsonb default null,
  p_bytes_read bigint default null, p_bytes_written bigint default null, p_lease_seconds integer default 120,
  p_status cofre.run_status default null
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_cancel timestamptz;
begin
  if p_status is not null and p_status not in ('running', 'verifying') then
    raise exception 'Cofre: heartbeat may only move a run to verifying; end it with finish_run'
      using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  update cofre.runs x
     set progress = coalesce(p_progress, x.progress), checkpoint = coalesce(p_checkpoint, x.checkpoint),
         bytes_read = coalesce(p_bytes_read, x.bytes_read), bytes_written = coalesce(p_bytes_written, x.bytes_written),
         heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => p_lease_seconds),
         status = coalesce(p_status, x.status)
   where x.id = p_run_id and x.lease_owner = p_worker and x.status in ('running', 'verifying')
  returning x.cancel_requested_at into v_cancel;
  if not found then
    perform cofre_private.raise_lease_lost('run');
  end if;
  return v_cancel is not null;
end;
$$;
comment on function cofre.heartbeat_run(uuid, text, jsonb, jsonb, bigint, bigint, integer, cofre.run_status) is
  'A worker renews its lease and saves progress, checkpoint and byte counters (optionally moving running → verifying). Returns true when cancellation was requested. 55006 when the lease was lost. service_role only.';
revoke execute on function cofre.heartbeat_run(uuid, text, jsonb, jsonb, bigint, bigint, integer, cofre.run_status) from public, anon, authenticated;
grant execute on function cofre.heartbeat_run(uuid, text, jsonb, jsonb, bigint, bigint, integer, cofre.run_status) to service_role;

create function cofre.finish_run(
  p_run_id uuid, p_worker text, p_status cofre.run_status, p_error_code text default null,
  p_error_message text default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.runs;
begin
  if p_status is null or p_status not in ('succeeded', 'partial', 'failed', 'cancelled') then
    raise exception 'Cofre: a run ends as succeeded, partial, failed or cancelled' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  update cofre.runs x
     set status = p_status, error_code = p_error_code, error_message = left(p_error_message, 2000)
   where x.id = p_run_id and x.lease_owner = p_worker and x.status in ('running', 'verifying')
  returning x.* into r;
  if not found then
    perform cofre_private.raise_lease_lost('run');
  end if;
  perform cofre_private.audit(r.tenant_id, case r.kind when 'backup' then 'backup.finished' else 'backup.verified' end,
    'run', r.id::text, jsonb_build_object('status', p_status, 'error_code', p_error_code,
                                          'backup_run_id', r.parent_run_id));
end;
$$;
comment on function cofre.finish_run(uuid, text, cofre.run_status, text, text) is
  'A worker ends the run it holds with its final status and a classified error code (e.g. DESTINATION_AUTH); audited. service_role only.';
revoke execute on function cofre.finish_run(uuid, text, cofre.run_status, text, text) from public, anon, authenticated;
grant execute on function cofre.finish_run(uuid, text, cofre.run_status, text, text) to service_role;

create function cofre.record_artifact(
  p_run_id uuid, p_destination_id uuid, p_object_key text, p_size_bytes bigint, p_sha256 text, p_md5 text,
  p_status cofre.artifact_status default 'stored'
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_tenant uuid;
  v_id uuid;
begin
  select r.tenant_id into v_tenant from cofre.runs r where r.id = p_run_id;
  if v_tenant is null then
    raise exception 'Cofre: run not found' using errcode = 'P0002', hint = 'COFRE_NOT_FOUND';
  end if;
  insert into cofre.artifacts (tenant_id, run_id, destination_id, object_key, size_bytes, sha256, md5, status, verified_at)
  values (v_tenant, p_run_id, p_destination_id, p_object_key, p_size_bytes, lower(p_sha256), lower(p_md5), p_status,
          case when p_status = 'verified' then now() end)
  on conflict (run_id, destination_id, object_key) do update
    set size_bytes = excluded.size_bytes, sha256 = excluded.sha256, md5 = excluded.md5, status = excluded.status,
        verified_at = coalesce(excluded.verified_at, cofre.artifacts.verified_at)
  returning id into v_id;
  return v_id;
end;
$$;
comment on function cofre.record_artifact(uuid, uuid, text, bigint, text, text, cofre.artifact_status) is
  'A worker records (or updates) one stored object of a run on one destination with its checksums; status verified stamps verified_at. service_role only.';
revoke execute on function cofre.record_artifact(uuid, uuid, text, bigint, text, text, cofre.artifact_status) from public, anon, authenticated;
grant execute on function cofre.record_artifact(uuid, uuid, text, bigint, text, text, cofre.artifact_status) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Privileges and RLS
-- ---------------------------------------------------------------------------------------------
revoke all on table cofre.runs, cofre.artifacts from anon, authenticated;
grant select on table cofre.runs, cofre.artifacts to authenticated;
grant all on table cofre.runs, cofre.artifacts to service_role;

alter table cofre.runs enable row level security;
alter table cofre.artifacts enable row level security;

create policy "Clinic members can see their runs" on cofre.runs
  for select to authenticated
  using (cofre.has_role_on_tenant(tenant_id, 'viewer'));

create policy "Clinic members can see their artifacts" on cofre.artifacts
  for select to authenticated
  using (cofre.has_role_on_tenant(tenant_id, 'viewer'));
