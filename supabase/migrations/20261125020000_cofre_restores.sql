-- Cofre restores: a clinic admin (or the project owner) asks to restore a finished backup; the
-- engine always runs a dry run first and reports what would change; only after it is confirmed
-- (typing its confirmation code) does the engine apply it.
--
--   start_restore            → dry_run_requested
--   engine claims            → dry_run_running
--   report_restore_dry_run   → awaiting_confirmation   (dry_run_report, confirmation_code)
--   confirm_restore          → queued
--   engine claims            → running
--   finish_restore           → succeeded | failed
--   cancel_restore (any time before it ends) → cancelled (a running one: cancel_requested_at)
--
-- Scope: whole (the entire backup), tables (the listed schema.table names), tenant (only the
-- clinic's own rows of the host app's tables — the engine filters by the host's tenant key).
-- Clinics share one database, so whole and tables restores overwrite every clinic's rows: only
-- the project owner (service_role, cofre_private.caller_is_project_owner) may request, confirm
-- or cancel them. A clinic's admin restores only scope tenant; asking for more is refused with
-- 42501 COFRE_PROJECT_OWNER_ONLY, after the clinic check (which is the same for every scope).
-- A drill (drill = true) restores into a scratch target instead of the live database, to measure
-- the recovery time: every succeeded restore's duration is a measured RTO, which
-- get_dashboard_summary reports (20261125020200). One restore at a time per clinic.

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------
create type cofre.restore_scope as enum ('whole', 'tables', 'tenant');
comment on type cofre.restore_scope is
  'What a restore covers: whole (the entire backup), tables (listed schema.table names), tenant (only the clinic''s own rows).';

create type cofre.restore_status as enum (
  'dry_run_requested', 'dry_run_running', 'awaiting_confirmation', 'queued', 'running',
  'succeeded', 'failed', 'cancelled');
comment on type cofre.restore_status is
  'Life of a restore: dry_run_requested → dry_run_running → awaiting_confirmation → (confirm) queued → running → succeeded | failed; or cancelled.';

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table cofre.restores (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references cofre.tenants (id) on delete cascade,
  backup_run_id uuid not null,
  scope cofre.restore_scope not null,
  tables text[] check (tables is null or cardinality(tables) between 1 and 500),
  drill boolean not null default false,
  status cofre.restore_status not null default 'dry_run_requested',
  dry_run_report jsonb check (dry_run_report is null or jsonb_typeof(dry_run_report) = 'object'),
  dry_run_finished_at timestamptz,
  confirmation_code text check (confirmation_code ~ '^[0-9]{6}$'),
  requested_by uuid,
  confirmed_by uuid,
  confirmed_at timestamptz,
  cancel_requested_at timestamptz,
  lease_owner text,
  lease_expires_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  duration interval generated always as (finished_at - started_at) stored,
  result jsonb check (result is null or jsonb_typeof(result) = 'object'),
  error_code text,
  error_message text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, backup_run_id) references cofre.runs (tenant_id, id) on delete cascade,
  check ((scope = 'tables') = (tables is not null))
);
comment on table cofre.restores is
  'Restore requests of a clinic: scope, the engine''s dry-run report, the admin''s confirmation, the engine''s lease, result and timing. started_at/finished_at of the apply phase give the measured RTO (drill = restore into a scratch target).';
create index restores_tenant_created_idx on cofre.restores (tenant_id, created_at desc);
create index restores_claimable_idx on cofre.restores (created_at)
  where status in ('dry_run_requested', 'dry_run_running', 'queued', 'running');
create unique index restores_one_active_per_tenant on cofre.restores (tenant_id)
  where status in ('dry_run_requested', 'dry_run_running', 'awaiting_confirmation', 'queued', 'running');

create trigger restores_set_updated_at before update on cofre.restores
  for each row execute function cofre_private.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Internals
-- ---------------------------------------------------------------------------------------------
create function cofre_private.check_restore_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status is distinct from old.status and not (
       (old.status = 'dry_run_requested' and new.status in ('dry_run_running', 'cancelled'))
    or (old.status = 'dry_run_running' and new.status in ('awaiting_confirmation', 'failed', 'cancelled'))
    or (old.status = 'awaiting_confirmation' and new.status in ('queued', 'cancelled'))
    or (old.status = 'queued' and new.status in ('running', 'cancelled'))
    or (old.status = 'running' and new.status in ('succeeded', 'failed', 'cancelled'))) then
    raise exception 'Cofre: a restore cannot go from % to %', old.status, new.status
      using errcode = '55000', hint = 'COFRE_BAD_TRANSITION';
  end if;
  if new.status in ('succeeded', 'failed', 'cancelled') and old.status not in ('succeeded', 'failed', 'cancelled') then
    new.finished_at := coalesce(new.finished_at, now());
    new.lease_owner := null;
    new.lease_expires_at := null;
  end if;
  return new;
end;
$$;
comment on function cofre_private.check_restore_transition() is
  'Trigger: enforces the restore state machine (dry run, confirmation, apply) and releases the lease when a restore ends.';
revoke execute on function cofre_private.check_restore_transition() from public;

create trigger restores_check_transition before update of status on cofre.restores
  for each row execute function cofre_private.check_restore_transition();

create function cofre_private.assert_restore_scope_allowed(p_scope cofre.restore_scope)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  -- Clinics share one database: a whole or tables restore rewrites every clinic's rows, so it is
  -- the project owner's alone; a clinic's admin restores only the clinic's own rows.
  if p_scope <> 'tenant' and not cofre_private.caller_is_project_owner() then
    raise exception 'Cofre: only the project owner (service_role) can restore the whole database or selected tables; a clinic restores its own rows (scope tenant)'
      using errcode = '42501', hint = 'COFRE_PROJECT_OWNER_ONLY';
  end if;
end;
$$;
comment on function cofre_private.assert_restore_scope_allowed(cofre.restore_scope) is
  'Raises 42501 COFRE_PROJECT_OWNER_ONLY unless the scope is tenant or the caller is the project owner (service_role): whole and tables restores overwrite every clinic''s rows.';
revoke execute on function cofre_private.assert_restore_scope_allowed(cofre.restore_scope) from public;

-- ---------------------------------------------------------------------------------------------
-- API for the tab (clinic admins: scope tenant) and the project owner (service_role: any scope)
-- ---------------------------------------------------------------------------------------------
-- The clinic check comes first and is the same for every scope, so a caller without a role on
-- the backup's clinic learns nothing (not even whether it holds an owner-scope restore); a
-- clinic's admin is then refused whole and tables scopes, requested or confirmed.
create function cofre.start_restore(
  p_backup_run_id uuid, p_scope cofre.restore_scope default 'tenant', p_tables text[] default null,
  p_drill boolean default false
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.runs;
  v_tables text[];
  v_id uuid;
begin
  -- Unknown and other clinics' backups: the same 42501 as a missing role.
  r := cofre_private.lock_owned_row(null::cofre.runs, p_backup_run_id, 'admin', p_owner_allowed => true);
  if p_scope is null then
    raise exception 'Cofre: restore scope is required' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  perform cofre_private.assert_restore_scope_allowed(p_scope);
  if r.kind <> 'backup' or r.status not in ('succeeded', 'partial') then
    raise exception 'Cofre: only a finished backup can be restored' using errcode = '55000', hint = 'COFRE_NOT_RESTORABLE';
  end if;
  if p_scope = 'tables' then
    if p_tables is null or cardinality(p_tables) not between 1 and 500
       or exists (select 1 from unnest(p_tables) t
                   where t is null or t !~ '^[a-z_][a-z0-9_$]{0,62}\.[a-z_][a-z0-9_$]{0,62}$') then
      raise exception 'Cofre: list 1 to 500 tables as schema.table (lower-case names)'
        using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
    end if;
    select array_agg(distinct t order by t) into v_tables from unnest(p_tables) t;
  elsif p_tables is not null then
    raise exception 'Cofre: tables are listed only for a restore of scope tables' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  begin
    insert into cofre.restores (tenant_id, backup_run_id, scope, tables, drill, requested_by)
    values (r.tenant_id, r.id, p_scope, v_tables, coalesce(p_drill, false), auth.uid())
    returning id into v_id;
  exception when unique_violation then
    raise exception 'Cofre: a restore is already in progress for this clinic'
      using errcode = '55006', hint = 'COFRE_RESTORE_IN_PROGRESS';
  end;
  perform cofre_private.audit(r.tenant_id, 'restore.requested', 'restore', v_id::text,
    jsonb_build_object('backup_run_id', r.id, 'scope', p_scope, 'tables', v_tables, 'drill', coalesce(p_drill, false)));
  return v_id;
end;
$$;
comment on function cofre.start_restore(uuid, cofre.restore_scope, text[], boolean) is
  'Asks for a restore of a finished backup (drill = into a scratch target to measure RTO). Clinic admins: scope tenant only (the clinic''s own rows; the default). The project owner (service_role): also whole and tables, which overwrite every clinic''s rows; 42501 COFRE_PROJECT_OWNER_ONLY for anyone else. The engine runs a dry run first; nothing is applied until confirm_restore. 55006 while another restore of the clinic is in progress.';
revoke execute on function cofre.start_restore(uuid, cofre.restore_scope, text[], boolean) from public, anon;
grant execute on function cofre.start_restore(uuid, cofre.restore_scope, text[], boolean) to authenticated, service_role;

create function cofre.confirm_restore(p_restore_id uuid, p_confirmation_code text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.restores;
begin
  r := cofre_private.lock_owned_row(null::cofre.restores, p_restore_id, 'admin', p_owner_allowed => true);
  perform cofre_private.assert_restore_scope_allowed(r.scope);
  if r.status <> 'awaiting_confirmation' then
    raise exception 'Cofre: this restore is not waiting for confirmation' using errcode = '55000', hint = 'COFRE_NOT_AWAITING_CONFIRMATION';
  end if;
  if p_confirmation_code is distinct from r.confirmation_code then
    raise exception 'Cofre: the confirmation code does not match the dry-run report' using errcode = '22023', hint = 'COFRE_CONFIRMATION_MISMATCH';
  end if;
  update cofre.restores x set status = 'queued', confirmed_by = auth.uid(), confirmed_at = now() where x.id = r.id;
  perform cofre_private.audit(r.tenant_id, 'restore.confirmed', 'restore', r.id::text,
    jsonb_build_object('backup_run_id', r.backup_run_id, 'scope', r.scope, 'drill', r.drill));
end;
$$;
comment on function cofre.confirm_restore(uuid, text) is
  'Confirms a restore after reading its dry-run report, by typing the report''s 6-digit confirmation code; the engine then applies it. Clinic admins (scope tenant) and the project owner (service_role, any scope).';
revoke execute on function cofre.confirm_restore(uuid, text) from public, anon;
grant execute on function cofre.confirm_restore(uuid, text) to authenticated, service_role;

create function cofre.cancel_restore(p_restore_id uuid)
returns cofre.restore_status
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.restores;
  v_status cofre.restore_status;
begin
  r := cofre_private.lock_owned_row(null::cofre.restores, p_restore_id, 'admin', p_owner_allowed => true);
  perform cofre_private.assert_restore_scope_allowed(r.scope);
  if r.status in ('succeeded', 'failed', 'cancelled') then
    raise exception 'Cofre: this restore has already finished' using errcode = '55000', hint = 'COFRE_RESTORE_FINISHED';
  end if;
  if r.status in ('dry_run_requested', 'awaiting_confirmation', 'queued') then
    update cofre.restores x set status = 'cancelled', cancel_requested_at = now(), error_code = 'CANCELLED'
     where x.id = r.id returning x.status into v_status;
  else
    -- A worker holds it: it sees cancel_requested_at at its next heartbeat and stops cleanly.
    update cofre.restores x set cancel_requested_at = coalesce(x.cancel_requested_at, now())
     where x.id = r.id returning x.status into v_status;
  end if;
  perform cofre_private.audit(r.tenant_id, 'restore.cancel_requested', 'restore', r.id::text,
    jsonb_build_object('status_before', r.status));
  return v_status;
end;
$$;
comment on function cofre.cancel_restore(uuid) is
  'Cancels a restore that has not started applying, or asks the worker of a running one to stop (returns the status after the call). Clinic admins (scope tenant) and the project owner (service_role, any scope).';
revoke execute on function cofre.cancel_restore(uuid) from public, anon;
grant execute on function cofre.cancel_restore(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- API for the workers (service_role)
-- ---------------------------------------------------------------------------------------------
create function cofre.claim_next_restore(p_worker text, p_lease_seconds integer default 300)
returns setof cofre.restores
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.restores;
begin
  perform cofre_private.check_worker_lease(p_worker, p_lease_seconds);
  select * into r from cofre.restores x
   where (x.status in ('dry_run_requested', 'queued') and x.cancel_requested_at is null)
      or (x.status in ('dry_run_running', 'running') and x.lease_expires_at < now())
   order by x.created_at
   limit 1
   for update skip locked;
  if not found then
    return;
  end if;
  return query
    update cofre.restores x
       set status = case x.status when 'dry_run_requested' then 'dry_run_running'::cofre.restore_status
                                  when 'queued' then 'running'::cofre.restore_status else x.status end,
           lease_owner = p_worker, lease_expires_at = now() + make_interval(secs => p_lease_seconds),
           started_at = case when x.status = 'queued' then now() else x.started_at end
     where x.id = r.id
    returning x.*;
end;
$$;
comment on function cofre.claim_next_restore(text, integer) is
  'A worker takes the oldest restore waiting for its dry run or its apply phase (or one whose lease expired) under a lease. started_at marks the start of the apply phase (RTO). service_role only.';
revoke execute on function cofre.claim_next_restore(text, integer) from public, anon, authenticated;
grant execute on function cofre.claim_next_restore(text, integer) to service_role;

create function cofre.heartbeat_restore(p_restore_id uuid, p_worker text, p_lease_seconds integer default 300)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_cancel timestamptz;
begin
  update cofre.restores x set lease_expires_at = now() + make_interval(secs => p_lease_seconds)
   where x.id = p_restore_id and x.lease_owner = p_worker and x.status in ('dry_run_running', 'running')
  returning x.cancel_requested_at into v_cancel;
  if not found then
    perform cofre_private.raise_lease_lost('restore');
  end if;
  return v_cancel is not null;
end;
$$;
comment on function cofre.heartbeat_restore(uuid, text, integer) is
  'A worker renews its lease on a restore; returns true when cancellation was requested. 55006 when the lease was lost. service_role only.';
revoke execute on function cofre.heartbeat_restore(uuid, text, integer) from public, anon, authenticated;
grant execute on function cofre.heartbeat_restore(uuid, text, integer) to service_role;

create function cofre.report_restore_dry_run(p_restore_id uuid, p_worker text, p_report jsonb)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.restores;
  v_code text := lpad((floor(random() * 1000000))::int::text, 6, '0');
begin
  if p_report is null or jsonb_typeof(p_report) <> 'object' then
    raise exception 'Cofre: the dry-run report must be a JSON object' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if octet_length(p_report::text) > 1048576 then
    raise exception 'Cofre: the dry-run report is larger than 1 MiB' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  update cofre.restores x
     set status = 'awaiting_confirmation', dry_run_report = p_report, dry_run_finished_at = now(),
         confirmation_code = v_code, lease_owner = null, lease_expires_at = null
   where x.id = p_restore_id and x.lease_owner = p_worker and x.status = 'dry_run_running'
  returning x.* into r;
  if not found then
    perform cofre_private.raise_lease_lost('restore');
  end if;
  perform cofre_private.audit(r.tenant_id, 'restore.dry_run_reported', 'restore', r.id::text,
    jsonb_build_object('backup_run_id', r.backup_run_id));
  return v_code;
end;
$$;
comment on function cofre.report_restore_dry_run(uuid, text, jsonb) is
  'A worker stores the dry-run report of the restore it holds (counts per table, conflicts — never row values) and moves it to awaiting_confirmation with a fresh 6-digit confirmation code, which it returns. service_role only.';
revoke execute on function cofre.report_restore_dry_run(uuid, text, jsonb) from public, anon, authenticated;
grant execute on function cofre.report_restore_dry_run(uuid, text, jsonb) to service_role;

create function cofre.finish_restore(
  p_restore_id uuid, p_worker text, p_status cofre.restore_status, p_result jsonb default null,
  p_error_code text default null, p_error_message text default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  r cofre.restores;
begin
  if p_status is null or p_status not in ('succeeded', 'failed', 'cancelled') then
    raise exception 'Cofre: a restore ends as succeeded, failed or cancelled' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_result is not null and jsonb_typeof(p_result) <> 'object' then
    raise exception 'Cofre: the restore result must be a JSON object' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  update cofre.restores x
     set status = p_status, result = p_result, error_code = p_error_code, error_message = left(p_error_message, 2000)
   where x.id = p_restore_id and x.lease_owner = p_worker
     and (x.status = 'running' or (x.status = 'dry_run_running' and p_status <> 'succeeded'))
  returning x.* into r;
  if not found then
    perform cofre_private.raise_lease_lost('restore');
  end if;
  perform cofre_private.audit(r.tenant_id, case p_status when 'succeeded' then 'restore.applied' else 'restore.' || p_status::text end,
    'restore', r.id::text, jsonb_build_object('backup_run_id', r.backup_run_id, 'drill', r.drill,
      'error_code', p_error_code, 'duration_seconds', extract(epoch from r.duration)));
end;
$$;
comment on function cofre.finish_restore(uuid, text, cofre.restore_status, jsonb, text, text) is
  'A worker ends the restore it holds (a dry run may only fail or be cancelled); audited as restore.applied / restore.failed / restore.cancelled. service_role only.';
revoke execute on function cofre.finish_restore(uuid, text, cofre.restore_status, jsonb, text, text) from public, anon, authenticated;
grant execute on function cofre.finish_restore(uuid, text, cofre.restore_status, jsonb, text, text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Privileges and RLS
-- ---------------------------------------------------------------------------------------------
revoke all on table cofre.restores from anon, authenticated;
grant select on table cofre.restores to authenticated;
grant all on table cofre.restores to service_role;

alter table cofre.restores enable row level security;

create policy "Clinic members can see their restores" on cofre.restores
  for select to authenticated
  using (cofre.has_role_on_tenant(tenant_id, 'viewer'));
