-- Cofre tenants and membership.
--
-- A tenant is one clinic (Ortho+ calls it a clinic). Members hold one role per tenant:
--   viewer   < operator < admin
--   viewer   reads backups, schedules, destinations (without secrets), analytics;
--   operator also starts backups and verifications and cancels runs;
--   admin    also manages destinations, schedules, restores, notifications and members,
--            and reads the audit log.
--
-- Layout (followed by every Cofre migration): Cofre's API — tables, types and verb-first RPCs —
-- lives in its own exposed schema `cofre`, never in `public`: `public` is the host app's schema
-- (Ortho+ keeps its own tables there, possibly with the same names) and Cofre's backups cover it
-- by default, so Cofre's own objects must neither clash with the app's nor be backed up and
-- restored as app data. PostgREST exposes `cofre` (supabase/config.toml `[api] schemas`); the
-- tab calls `supabase.schema('cofre').rpc('start_backup', …)`. Only `authenticated` and
-- `service_role` may use the schema; `anon` gets nothing. Tables have RLS, are readable by
-- `authenticated` only through policies; nothing is writable by the API roles directly — every
-- change goes through a verb-first RPC that validates, checks the role and writes the audit log.
-- Internals (secrets, key material, the audit chain, queue helpers) live in `cofre_private`,
-- which the API roles cannot use at all (supabase/tests/00-bootstrap.sql checks that).
--
-- Host-app hook: `cofre_private.host_tenant_role(tenant_id, user_id)` is consulted by
-- `cofre.has_role_on_tenant` in addition to `cofre.tenant_members`. It returns null here. A host
-- app that keeps its own clinics and staff (Ortho+: `clinics`, `clinic_staff`) maps them by
--   1. linking each tenant to its clinic through `tenants.external_ref` (see create_tenant), and
--   2. replacing the hook in its own migration, same signature, e.g.
--        create or replace function cofre_private.host_tenant_role(p_tenant_id uuid, p_user_id uuid)
--        returns cofre.tenant_role language sql stable security definer set search_path = ''
--        as $$ select case s.role when 'owner' then 'admin' when 'manager' then 'operator'
--                                  else 'viewer' end::cofre.tenant_role
--              from cofre.tenants t join public.clinic_staff s on s.clinic_id::text = t.external_ref
--              where t.id = p_tenant_id and s.user_id = p_user_id $$;
--   The effective role is the higher of the explicit membership and the hook's answer.
--   supabase/tests/12-host-hook.sql proves such a replacement works end to end.

-- ---------------------------------------------------------------------------------------------
-- Schema
-- ---------------------------------------------------------------------------------------------
create schema if not exists cofre;
comment on schema cofre is
  'Cofre API, exposed through PostgREST (supabase-js: .schema(''cofre'')): tenant-scoped tables under RLS (read-only to authenticated) and verb-first RPCs. Internals live in cofre_private. Kept out of public, which belongs to the host app and is backed up as app data.';
revoke all on schema cofre from public, anon;
grant usage on schema cofre to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------
create type cofre.tenant_role as enum ('viewer', 'operator', 'admin');
comment on type cofre.tenant_role is
  'Role of a member in a tenant, in increasing order of rights: viewer < operator < admin.';

-- ---------------------------------------------------------------------------------------------
-- Shared internals
-- ---------------------------------------------------------------------------------------------
create function cofre_private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
comment on function cofre_private.set_updated_at() is
  'Trigger: stamps updated_at on every update of a Cofre table.';
revoke execute on function cofre_private.set_updated_at() from public;

create function cofre_private.is_time_zone(p_name text)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
begin
  perform now() at time zone p_name;
  return p_name is not null;
exception when others then
  return false;
end;
$$;
comment on function cofre_private.is_time_zone(text) is
  'True when p_name is a time zone PostgreSQL knows (IANA names such as America/Sao_Paulo). Declared immutable for CHECK constraints: the zone database only changes with a server upgrade.';
revoke execute on function cofre_private.is_time_zone(text) from public;
-- CHECK constraints run with the writer's rights: the engine writes as service_role.
grant execute on function cofre_private.is_time_zone(text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table cofre.tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(btrim(name)) between 1 and 200),
  external_ref text unique check (external_ref is null or length(external_ref) between 1 and 200),
  time_zone text not null default 'America/Sao_Paulo'
    check (cofre_private.is_time_zone(time_zone)),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table cofre.tenants is
  'One clinic (tenant) whose data Cofre backs up. external_ref links it to the host app''s own clinic id; time_zone drives schedules (default America/Sao_Paulo).';

create trigger tenants_set_updated_at before update on cofre.tenants
  for each row execute function cofre_private.set_updated_at();

create table cofre.tenant_members (
  tenant_id uuid not null references cofre.tenants (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role cofre.tenant_role not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (user_id, tenant_id)
);
comment on table cofre.tenant_members is
  'Explicit Cofre membership: the role a user holds in a tenant. Host apps may map their own members through cofre_private.host_tenant_role instead.';
create index tenant_members_tenant_idx on cofre.tenant_members (tenant_id);

create trigger tenant_members_set_updated_at before update on cofre.tenant_members
  for each row execute function cofre_private.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Role check: the one helper every policy and RPC uses
-- ---------------------------------------------------------------------------------------------
create function cofre_private.host_tenant_role(p_tenant_id uuid, p_user_id uuid)
returns cofre.tenant_role
language sql
stable
security definer
set search_path = ''
as $$
  select null::cofre.tenant_role
$$;
comment on function cofre_private.host_tenant_role(uuid, uuid) is
  'Host-app hook: the role the host app grants p_user_id in tenant p_tenant_id, or null. Returns null in Cofre; a host app replaces it (same signature) to map its own clinics and members. See the header of this migration.';
revoke execute on function cofre_private.host_tenant_role(uuid, uuid) from public;

-- The one role rule: the higher of the explicit membership and the host hook's answer. Private,
-- for backend RPCs that act for a user they name (the Edge Function storing a secret passes the
-- user id it verified from the JWT); everything else goes through has_role_on_tenant below.
create function cofre_private.user_has_role(p_tenant_id uuid, p_user_id uuid, p_min_role cofre.tenant_role)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    greatest(
      (select m.role from cofre.tenant_members m
        where m.user_id = p_user_id and m.tenant_id = p_tenant_id),
      cofre_private.host_tenant_role(p_tenant_id, p_user_id)
    ) >= p_min_role,
    false)
$$;
comment on function cofre_private.user_has_role(uuid, uuid, cofre.tenant_role) is
  'True when p_user_id holds at least p_min_role in tenant p_tenant_id, through tenant_members or the host-app hook. The rule behind has_role_on_tenant.';
revoke execute on function cofre_private.user_has_role(uuid, uuid, cofre.tenant_role) from public;

-- The helper lives in `cofre` (not cofre_private) because RLS policies run with the caller's
-- rights: `authenticated` must be able to EXECUTE it, and cofre_private stays closed to it.
-- It only ever answers about the caller (auth.uid()), so it reveals nothing about other users;
-- an unknown tenant and another clinic's tenant both answer false through the same index lookup.
create function cofre.has_role_on_tenant(p_tenant_id uuid, p_min_role cofre.tenant_role default 'viewer')
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select cofre_private.user_has_role(p_tenant_id, auth.uid(), p_min_role)
$$;
comment on function cofre.has_role_on_tenant(uuid, cofre.tenant_role) is
  'True when the calling user (auth.uid()) holds at least p_min_role in tenant p_tenant_id, through tenant_members or the host-app hook. The single role check used by every Cofre policy and RPC.';
revoke execute on function cofre.has_role_on_tenant(uuid, cofre.tenant_role) from public, anon, service_role;
grant execute on function cofre.has_role_on_tenant(uuid, cofre.tenant_role) to authenticated, service_role;

-- Raised by every RPC when the caller lacks the role: one message for "no such tenant", "not a
-- member" and "member with too small a role", so a caller cannot tell them apart.
create function cofre.assert_role_on_tenant(p_tenant_id uuid, p_min_role cofre.tenant_role)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  -- No short cut for an unknown tenant (null: the caller's lookup found nothing): the check runs
  -- against a tenant id that exists nowhere, so an unknown id and another clinic's id execute the
  -- same statements before the same error (supabase/tests/19-no-inference.sql).
  if not cofre.has_role_on_tenant(coalesce(p_tenant_id, '00000000-0000-0000-0000-000000000000'), p_min_role) then
    raise exception 'Cofre: permission denied for this tenant'
      using errcode = '42501', hint = 'COFRE_FORBIDDEN';
  end if;
end;
$$;
comment on function cofre.assert_role_on_tenant(uuid, cofre.tenant_role) is
  'Raises 42501 "Cofre: permission denied for this tenant" unless the caller holds p_min_role in the tenant. Same error, and the same statements, for unknown (null) tenants, non-members and insufficient roles.';
revoke execute on function cofre.assert_role_on_tenant(uuid, cofre.tenant_role) from public, anon, service_role;
grant execute on function cofre.assert_role_on_tenant(uuid, cofre.tenant_role) to authenticated;

-- The project owner: whoever acts as `service_role` — the holder of the project's service-role
-- key (the host app's backend, Cofre's Edge Functions and workers, `cofre` with that key). Only
-- the owner may do what reaches every clinic at once (restores of scope whole or tables, see
-- 20261125020000). Read from the `role` setting, which SET ROLE (PostgREST's per-request switch,
-- `set local role service_role` in the backend) sets after checking membership, and which a
-- security definer function cannot change: inside the RPC it still names the caller's role. The
-- host hook cannot grant it: host_tenant_role maps clinic roles only.
create function cofre_private.caller_is_project_owner()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce(current_setting('role', true) = 'service_role', false)
$$;
comment on function cofre_private.caller_is_project_owner() is
  'True when the current request acts as service_role (SET ROLE, as PostgREST and Cofre''s backend do): the project owner, who alone may act on every clinic at once (restores of scope whole or tables).';
revoke execute on function cofre_private.caller_is_project_owner() from public;

-- The one way an RPC reaches a clinic's row by its id (destinations, schedules, runs, restores):
-- one lookup of the row's tenant (no lock: a refused caller must never wait on another clinic's
-- row lock), one role check on that tenant — or, when nothing was found, on a tenant that exists
-- nowhere — then one error; only an allowed caller locks the row. Unknown and other clinics' ids
-- therefore run the same statements before the same 42501 (supabase/tests/19-no-inference.sql).
--   p_row            null::<table>: the table, and the type of the row returned;
--   p_owner_allowed  the project owner (caller_is_project_owner) skips the role check;
--   p_live_only      only rows with deleted_at null count (soft-deleted rows read as unknown).
-- The table name comes from the row type, never from a caller's text, so the dynamic SQL below
-- cannot be injected; the id and tenant are bound parameters.
create function cofre_private.lock_owned_row(
  p_row anyelement, p_id uuid, p_min_role cofre.tenant_role,
  p_owner_allowed boolean default false, p_live_only boolean default false
)
returns anyelement
language plpgsql
set search_path = ''
as $$
declare
  v_table regclass;
  v_live text := case when p_live_only then ' and x.deleted_at is null' else '' end;
  v_tenant uuid;
  v_locked bigint;
begin
  select nullif(t.typrelid, 0)::regclass into v_table from pg_catalog.pg_type t where t.oid = pg_catalog.pg_typeof(p_row);
  if v_table is null then
    raise exception 'Cofre: lock_owned_row needs a table''s row type, not %', pg_catalog.pg_typeof(p_row)
      using errcode = '42804';
  end if;
  execute format('select x.tenant_id from %s x where x.id = $1%s', v_table, v_live) into v_tenant using p_id;
  if not (p_owner_allowed and cofre_private.caller_is_project_owner()) then
    perform cofre.assert_role_on_tenant(v_tenant, p_min_role);
  end if;
  execute format('select x.* from %s x where x.id = $1 and x.tenant_id = $2%s for update', v_table, v_live)
    into p_row using p_id, v_tenant;
  get diagnostics v_locked = row_count;
  if v_locked = 0 then
    perform cofre.assert_role_on_tenant(null, p_min_role);  -- unknown, or gone since the check: like an unknown id
  end if;
  return p_row;
end;
$$;
comment on function cofre_private.lock_owned_row(anyelement, uuid, cofre.tenant_role, boolean, boolean) is
  'Locks and returns the row of table <type of p_row> with id p_id after checking the caller holds p_min_role in its tenant (the project owner skips the check when p_owner_allowed; p_live_only ignores soft-deleted rows); the same 42501 "Cofre: permission denied for this tenant", through the same statements, for unknown and other clinics'' ids.';
revoke execute on function cofre_private.lock_owned_row(anyelement, uuid, cofre.tenant_role, boolean, boolean) from public;

-- ---------------------------------------------------------------------------------------------
-- Privileges and RLS
-- ---------------------------------------------------------------------------------------------
revoke all on table cofre.tenants, cofre.tenant_members from anon, authenticated;
grant select on table cofre.tenants, cofre.tenant_members to authenticated;
-- service_role (the backend, bypasses RLS) keeps the table privileges Supabase's default
-- privileges give it in `public`; the `cofre` schema has no default privileges, so say it.
grant all on table cofre.tenants, cofre.tenant_members to service_role;

alter table cofre.tenants enable row level security;
alter table cofre.tenant_members enable row level security;

create policy "Members can see their clinics" on cofre.tenants
  for select to authenticated
  using (cofre.has_role_on_tenant(id, 'viewer'));

create policy "Members see themselves and clinic admins see all members"
  on cofre.tenant_members
  for select to authenticated
  using (user_id = auth.uid() or cofre.has_role_on_tenant(tenant_id, 'admin'));
