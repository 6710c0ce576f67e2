-- Supabase-compatibility bootstrap for the local stack.
--
-- A new Supabase project's database already holds, before its first user migration: the API
-- roles, the `extensions`, `auth` and `storage` schemas, and Supabase's default privileges on
-- `public`. This file stands in for exactly that, so supabase/migrations and their pgTAP tests
-- run here against the shape they meet on Supabase. It is NEVER shipped as a migration: on a
-- real project these objects belong to the platform (the postgres image, Auth, Storage), and
-- nothing in supabase/migrations may rely on anything here that a real project lacks.
--
-- Contract:
--   * Idempotent. `npm run stack:up` applies it to database `postgres` at every start, and
--     test/support/stack.ts `createScratchDb(…, { supabaseShape: true })` applies it to fresh
--     databases that are not pg_cron's database (pg_cron is the foundation migration's job).
--   * Runs as a superuser either statement by statement (psql -f, ON_ERROR_STOP) or as one
--     multi-statement string in one implicit transaction (postgres.js `unsafe`): no psql
--     meta-commands, nothing that refuses to run inside a transaction block.
--   * Roles are cluster-wide, shared by every database of the cluster. They are created when
--     missing and altered only where they differ, under a lock on pg_authid, so databases
--     bootstrapped in parallel neither race on nor needlessly rewrite the shared catalogs.
--   * Nothing is created in schema `public`.
--
-- Upstream, checked 2026-11 (file names below are relative to these):
--   supabase/postgres  migrations/db/init-scripts/*.sql, migrations/db/migrations/*.sql
--   supabase/auth      migrations/*.up.sql
--   supabase/storage   migrations/tenant/*.sql (named below as in storage.migrations)
-- Where an upstream migration has since been amended, what is here is the resulting state as a
-- live project's `pg_dump --schema-only` shows it, not the first version of the file.

set client_min_messages = warning;

-- ===========================================================================================
-- Roles
-- ===========================================================================================
-- init-scripts/00000000000000-initial-schema.sql: anon, authenticated, service_role are
--   NOLOGIN (service_role BYPASSRLS); authenticator is LOGIN NOINHERIT and a member of all three,
--   which is how PostgREST `set role`s per request.
-- migrations/20230529180330_alter_api_roles_for_inherit.sql: the three API roles are INHERIT.
-- init-scripts/00000000000001-auth-schema.sql, …02-storage-schema.sql: supabase_auth_admin and
--   supabase_storage_admin (LOGIN NOINHERIT NOREPLICATION; storage CREATEROLE; auth lost
--   CREATEROLE in migrations/20260821154147_revoke_createrole_from_auth_admin.sql) own the Auth
--   and Storage objects; supabase_admin (SUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS)
--   owns the `auth` and `storage` schemas. They exist here so ownership matches what a dump of a
--   real project shows.
-- Deliberate deviations: supabase_admin is NOLOGIN (it is the image's bootstrap login on
--   Supabase; nothing logs in as it here, and the cluster gets no second login superuser), and
--   authenticator is not made a member of supabase_admin as initial-schema.sql does (a
--   password-less login role must not reach a superuser here). No role gets a password:
--   PostgREST, Auth and Storage do not run on this stack.
do $$
declare
  r record;
  cur pg_roles;
begin
  -- Advisory locks are per database; this lock is cluster-wide. It conflicts with CREATE/ALTER
  -- ROLE and with itself, not with logins or reads, and is held until this transaction ends.
  lock table pg_catalog.pg_authid in share row exclusive mode;

  for r in
    select *
    from (values
      -- name,                     login, inherit, bypassrls, createrole, superuser, createdb, replication
      ('anon',                     false, true,    false,     false,      false,     false,    false),
      ('authenticated',            false, true,    false,     false,      false,     false,    false),
      ('service_role',             false, true,    true,      false,      false,     false,    false),
      ('authenticator',            true,  false,   false,     false,      false,     false,    false),
      ('supabase_admin',           false, true,    true,      true,       true,      true,     true),
      ('supabase_auth_admin',      true,  false,   false,     false,      false,     false,    false),
      ('supabase_storage_admin',   true,  false,   false,     true,       false,     false,    false)
    ) as t(name, login, inherit, bypassrls, createrole, superuser, createdb, replication)
  loop
    if not exists (select from pg_roles where rolname = r.name) then
      execute format('create role %I', r.name);
    end if;
    select * into cur from pg_roles where rolname = r.name;
    if (cur.rolcanlogin, cur.rolinherit, cur.rolbypassrls, cur.rolcreaterole,
        cur.rolsuper, cur.rolcreatedb, cur.rolreplication)
       is distinct from
       (r.login, r.inherit, r.bypassrls, r.createrole, r.superuser, r.createdb, r.replication)
    then
      execute format('alter role %I %s %s %s %s %s %s %s', r.name,
        case when r.login       then 'login'       else 'nologin'       end,
        case when r.inherit     then 'inherit'     else 'noinherit'     end,
        case when r.bypassrls   then 'bypassrls'   else 'nobypassrls'   end,
        case when r.createrole  then 'createrole'  else 'nocreaterole'  end,
        case when r.superuser   then 'superuser'   else 'nosuperuser'   end,
        case when r.createdb    then 'createdb'    else 'nocreatedb'    end,
        case when r.replication then 'replication' else 'noreplication' end);
    end if;
  end loop;

  -- authenticator switches into the API roles (initial-schema.sql).
  for r in select unnest(array['anon', 'authenticated', 'service_role']) as name loop
    if not exists (
      select from pg_auth_members
      where roleid = to_regrole(r.name) and member = to_regrole('authenticator')
    ) then
      execute format('grant %I to authenticator', r.name);
    end if;
  end loop;

  -- Per-role settings Supabase sets (initial-schema.sql; migrations/20221028101028_set_
  -- authenticator_timeout.sql, 20231130133139_set_lock_timeout_to_authenticator_role.sql; the
  -- auth/storage init scripts). They apply at login only; PostgREST reads the API roles' ones.
  for r in
    select *
    from (values
      ('anon',                   'statement_timeout', '3s'),
      ('authenticated',          'statement_timeout', '8s'),
      ('authenticator',          'statement_timeout', '8s'),
      ('authenticator',          'lock_timeout',      '8s'),
      ('supabase_auth_admin',    'search_path',       'auth'),
      ('supabase_storage_admin', 'search_path',       'storage')
    ) as t(name, setting, value)
  loop
    if not exists (
      select from pg_db_role_setting
      where setdatabase = 0 and setrole = to_regrole(r.name)
        and format('%s=%s', r.setting, r.value) = any (setconfig)
    ) then
      execute format('alter role %I set %s = %L', r.name, r.setting, r.value);
    end if;
  end loop;
end $$;

-- init-scripts/00000000000003-post-setup.sql: `postgres` resolves extension functions without a
-- schema. Scoped to this database so other databases on the cluster keep their own settings.
do $$
begin
  if not exists (
    select from pg_db_role_setting
    where setdatabase = (select oid from pg_database where datname = current_database())
      and setrole = to_regrole('postgres')
      and 'search_path="$user", public, extensions' = any (setconfig)
  ) then
    execute format('alter role postgres in database %I set search_path to "$user", public, extensions',
                   current_database());
  end if;
end $$;


-- ===========================================================================================
-- Schema `extensions` (initial-schema.sql)
-- ===========================================================================================
-- Supabase installs extensions here, never in `public`; the API roles may use them.
create schema if not exists extensions;
alter schema extensions owner to postgres;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;


-- ===========================================================================================
-- Schema `public` (initial-schema.sql)
-- ===========================================================================================
-- The Data API roles can use `public`, and whatever `postgres` (or supabase_admin) creates there
-- is granted to them by default. RLS, and explicit REVOKEs, are what restrict access afterwards:
-- migrations that must not expose a function revoke EXECUTE themselves.
grant usage on schema public to postgres, anon, authenticated, service_role;

alter default privileges for role postgres in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;

alter default privileges for role supabase_admin in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;


-- ===========================================================================================
-- Schema `auth`
-- ===========================================================================================
-- init-scripts/00000000000001-auth-schema.sql; migrations/20211115181400_update-auth-
-- permissions.sql. The API roles may use the schema (for auth.uid() & co. in policies) but get
-- no privileges on its tables.
create schema if not exists auth;
alter schema auth owner to supabase_admin;
grant usage on schema auth to anon, authenticated, service_role, postgres;
grant all on schema auth to supabase_auth_admin;

-- Earlier revisions of this file made a three-column auth.users. Replace such a table while it
-- is empty and unreferenced; otherwise stop rather than keep a shape Supabase does not have.
do $$
declare
  users regclass := to_regclass('auth.users');
begin
  if users is null or exists (
    select from pg_attribute where attrelid = users and attname = 'instance_id' and not attisdropped
  ) then
    return;
  end if;
  if exists (select from auth.users) or exists (select from pg_constraint where confrelid = users) then
    raise exception 'auth.users has a pre-Supabase shape and holds rows or is referenced; '
                    'drop it by hand (local stack only) and apply this file again';
  end if;
  drop table auth.users;
end $$;

-- auth.users as Auth's migrations leave it: 00_init_auth_schema, then among others
-- 20210722035447_adds_confirmed_at, 20220323170000_add_user_reauthentication,
-- 20221215195500_modify_users_email_unique_index (is_sso_user, users_email_partial_key),
-- 20221130112646_add_deleted_at, 20240214120130_add_is_anonymous_column.
create table if not exists auth.users (
  instance_id                 uuid,
  id                          uuid not null,
  aud                         varchar(255),
  role                        varchar(255),
  email                       varchar(255),
  encrypted_password          varchar(255),
  email_confirmed_at          timestamptz,
  invited_at                  timestamptz,
  confirmation_token          varchar(255),
  confirmation_sent_at        timestamptz,
  recovery_token              varchar(255),
  recovery_sent_at            timestamptz,
  email_change_token_new      varchar(255),
  email_change                varchar(255),
  email_change_sent_at        timestamptz,
  last_sign_in_at             timestamptz,
  raw_app_meta_data           jsonb,
  raw_user_meta_data          jsonb,
  is_super_admin              boolean,
  created_at                  timestamptz,
  updated_at                  timestamptz,
  phone                       text default null::character varying,
  phone_confirmed_at          timestamptz,
  phone_change                text default ''::character varying,
  phone_change_token          varchar(255) default ''::character varying,
  phone_change_sent_at        timestamptz,
  confirmed_at                timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current  varchar(255) default ''::character varying,
  email_change_confirm_status smallint default 0,
  banned_until                timestamptz,
  reauthentication_token      varchar(255) default ''::character varying,
  reauthentication_sent_at    timestamptz,
  is_sso_user                 boolean not null default false,
  deleted_at                  timestamptz,
  is_anonymous                boolean not null default false,
  constraint users_pkey primary key (id),
  constraint users_phone_key unique (phone),
  constraint users_email_change_confirm_status_check
    check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2)
);
comment on table auth.users is 'Auth: Stores user login data within a secure schema.';
comment on column auth.users.is_sso_user is
  'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';

create index if not exists users_instance_id_idx on auth.users (instance_id);
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email::text));
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);
create unique index if not exists users_email_partial_key on auth.users (email) where is_sso_user = false;
comment on index auth.users_email_partial_key is
  'Auth: A partial unique index that applies only when is_sso_user is false';
-- 20220429102000_add_unique_idx: one-time tokens are unique unless blank or numeric OTPs.
create unique index if not exists confirmation_token_idx on auth.users (confirmation_token)
  where confirmation_token::text !~ '^[0-9 ]*$';
create unique index if not exists recovery_token_idx on auth.users (recovery_token)
  where recovery_token::text !~ '^[0-9 ]*$';
create unique index if not exists email_change_token_current_idx on auth.users (email_change_token_current)
  where email_change_token_current::text !~ '^[0-9 ]*$';
create unique index if not exists email_change_token_new_idx on auth.users (email_change_token_new)
  where email_change_token_new::text !~ '^[0-9 ]*$';
create unique index if not exists reauthentication_token_idx on auth.users (reauthentication_token)
  where reauthentication_token::text !~ '^[0-9 ]*$';

-- 20240612123726_enable_rls_update_grants: RLS on, `postgres` may read (and grant reading).
alter table auth.users owner to supabase_auth_admin;
alter table auth.users enable row level security;
grant all on table auth.users to supabase_auth_admin;
grant insert, references, delete, trigger, truncate, update on table auth.users to postgres;
grant select on table auth.users to postgres with grant option;

-- The request helpers, as 20220224000811_update_auth_functions and
-- 20220531120530_add_auth_jwt_function define them. PostgREST (v9+) puts the whole JWT payload
-- in `request.jwt.claims`; the `request.jwt.claim.*` settings are the pre-v9 form and win when
-- set. Owned by supabase_auth_admin (migrations/20211124212715_update-auth-owner.sql); EXECUTE
-- stays with PUBLIC so RLS policies can call them as any role.
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';

create or replace function auth.role() returns text
language sql stable
as $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';

create or replace function auth.email() returns text
language sql stable
as $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select
    coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant execute on function auth.jwt() to postgres;


-- ===========================================================================================
-- Schema `storage`
-- ===========================================================================================
-- init-scripts/00000000000002-storage-schema.sql: owned by supabase_admin, usable by the API
-- roles; whatever supabase_storage_admin creates there is granted to them.
create schema if not exists storage;
alter schema storage owner to supabase_admin;
grant usage on schema storage to anon, authenticated, service_role;
grant usage on schema storage to postgres with grant option;
grant all on schema storage to supabase_storage_admin;
alter default privileges for role supabase_storage_admin in schema storage
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage
  grant all on sequences to postgres, anon, authenticated, service_role;

-- The tables as Storage's migrations leave them through `custom-metadata` (storage-api, 2025):
-- 0002-storage-schema, pathtoken-column, add-public-to-buckets, add-automatic-avif-detection-
-- flag, add-bucket-custom-limits, use-bytes-for-max-size, drop-owner-foreign-key, add-version,
-- add_owner_id_column_deprecate_owner, alter-default-value-objects-id, optimize-search-function.
-- Storage's later additions (bucket types, prefixes, object versioning) are not reproduced.
create table if not exists storage.buckets (
  id                 text not null,
  name               text not null,
  owner              uuid,
  created_at         timestamptz default now(),
  updated_at         timestamptz default now(),
  public             boolean default false,
  avif_autodetection boolean default false,
  file_size_limit    bigint,
  allowed_mime_types text[],
  owner_id           text,
  constraint buckets_pkey primary key (id)
);
comment on column storage.buckets.owner is 'Field is deprecated, use owner_id instead';
create unique index if not exists bname on storage.buckets (name);

create table if not exists storage.objects (
  id               uuid not null default gen_random_uuid(),
  bucket_id        text,
  name             text,
  owner            uuid,
  created_at       timestamptz default now(),
  updated_at       timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata         jsonb,
  path_tokens      text[] generated always as (string_to_array(name, '/')) stored,
  version          text,
  owner_id         text,
  user_metadata    jsonb,
  constraint objects_pkey primary key (id),
  constraint "objects_bucketId_fkey" foreign key (bucket_id) references storage.buckets (id)
);
comment on column storage.objects.owner is 'Field is deprecated, use owner_id instead';
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);
create index if not exists idx_objects_bucket_id_name on storage.objects (bucket_id, name collate "C");

-- add-trigger-to-auto-update-updated_at-column
create or replace function storage.update_updated_at_column() returns trigger
language plpgsql
as $$
begin
    new.updated_at = now();
    return new;
end;
$$;
create or replace trigger update_objects_updated_at
  before update on storage.objects
  for each row execute function storage.update_updated_at_column();

-- Path helpers used in storage policies (0002-storage-schema, optimise-existing-functions).
create or replace function storage.foldername(name text) returns text[]
language plpgsql immutable
as $$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[1 : array_length(_parts, 1) - 1];
end
$$;

create or replace function storage.filename(name text) returns text
language plpgsql immutable
as $$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[array_length(_parts, 1)];
end
$$;

create or replace function storage.extension(name text) returns text
language plpgsql immutable
as $$
declare
    _parts text[];
    _filename text;
begin
    select string_to_array(name, '/') into _parts;
    select _parts[array_length(_parts, 1)] into _filename;
    return reverse(split_part(reverse(_filename), '.', 1));
end
$$;

-- RLS is on for both tables with no policies: until a migration adds policies, only roles that
-- bypass RLS (service_role, owners, superusers) see rows — as on a new project.
alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
alter function storage.update_updated_at_column() owner to supabase_storage_admin;
alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;

-- Objects created here are not created by supabase_storage_admin, so its default privileges did
-- not apply: grant what they would have (0038 grant-with-grant-option for `postgres`).
grant all on table storage.buckets, storage.objects to anon, authenticated, service_role;
grant all on table storage.buckets, storage.objects to postgres with grant option;
grant all on function storage.foldername(text), storage.filename(text), storage.extension(text),
  storage.update_updated_at_column()
  to postgres, anon, authenticated, service_role;
