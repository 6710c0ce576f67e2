-- The database the migrations run on has the shape of a Supabase project: the API roles, the
-- `auth`/`storage`/`extensions` schemas (scripts/stack/sql/supabase-compat.sql stands in for
-- them locally), pg_cron in this database, and the foundation migration's private schema
-- closed to the API roles. Runs in one transaction that is rolled back.
begin;

create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(39);

-- ---------------------------------------------------------------------------------------------
-- Roles
-- ---------------------------------------------------------------------------------------------
select results_eq(
  $$ select rolname::text collate "default", rolcanlogin, rolinherit, rolbypassrls, rolsuper
     from pg_roles
     where rolname in ('anon', 'authenticated', 'service_role', 'authenticator',
                       'supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin')
     order by rolname $$,
  $$ values ('anon',                   false, true,  false, false),
            ('authenticated',          false, true,  false, false),
            ('authenticator',          true,  false, false, false),
            ('service_role',           false, true,  true,  false),
            ('supabase_admin',         false, true,  true,  true),
            ('supabase_auth_admin',    true,  false, false, false),
            ('supabase_storage_admin', true,  false, false, false) $$,
  'Supabase roles exist with Supabase''s login/inherit/bypassrls/superuser attributes'
);
select is_member_of('anon', array['authenticator']::name[], 'authenticator can switch to anon');
select is_member_of('authenticated', array['authenticator']::name[], 'authenticator can switch to authenticated');
select is_member_of('service_role', array['authenticator']::name[], 'authenticator can switch to service_role');

-- ---------------------------------------------------------------------------------------------
-- Schemas and extensions
-- ---------------------------------------------------------------------------------------------
select has_schema('auth');
select has_schema('storage');
select has_schema('extensions');
select has_extension('extensions'::name, 'pgcrypto'::name, 'pgcrypto is installed in schema extensions');
select has_extension('extensions'::name, 'uuid-ossp'::name, 'uuid-ossp is installed in schema extensions');
select is_empty(
  $$ select e.extname from pg_extension e
     where e.extnamespace = 'public'::regnamespace and e.extname in ('pgcrypto', 'uuid-ossp')
     union all
     select c.oid::regclass::text from pg_class c
     where c.relnamespace = 'public'::regnamespace
       and pg_get_userbyid(c.relowner) like 'supabase\_%'
     union all
     select p.oid::regprocedure::text from pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and pg_get_userbyid(p.proowner) like 'supabase\_%' $$,
  'nothing Supabase owns lives in schema public'
);

-- ---------------------------------------------------------------------------------------------
-- auth.users and storage tables
-- ---------------------------------------------------------------------------------------------
select bag_has(
  $$ select column_name::text collate "default", data_type::text collate "default" from information_schema.columns
     where table_schema = 'auth' and table_name = 'users' $$,
  $$ values ('id', 'uuid'), ('instance_id', 'uuid'), ('aud', 'character varying'),
            ('role', 'character varying'), ('email', 'character varying'),
            ('encrypted_password', 'character varying'),
            ('email_confirmed_at', 'timestamp with time zone'),
            ('raw_app_meta_data', 'jsonb'), ('raw_user_meta_data', 'jsonb'),
            ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone'),
            ('phone', 'text'), ('confirmed_at', 'timestamp with time zone'),
            ('is_sso_user', 'boolean'), ('deleted_at', 'timestamp with time zone'),
            ('is_anonymous', 'boolean') $$,
  'auth.users has the columns GoTrue defines'
);
select col_is_pk('auth', 'users', 'id', 'auth.users is keyed by id');
select bag_has(
  $$ select column_name::text collate "default", data_type::text collate "default" from information_schema.columns
     where table_schema = 'storage' and table_name = 'buckets' $$,
  $$ values ('id', 'text'), ('name', 'text'), ('owner', 'uuid'), ('owner_id', 'text'),
            ('public', 'boolean'), ('file_size_limit', 'bigint'), ('allowed_mime_types', 'ARRAY'),
            ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone') $$,
  'storage.buckets has the columns Storage defines'
);
select bag_has(
  $$ select column_name::text collate "default", data_type::text collate "default" from information_schema.columns
     where table_schema = 'storage' and table_name = 'objects' $$,
  $$ values ('id', 'uuid'), ('bucket_id', 'text'), ('name', 'text'), ('owner', 'uuid'),
            ('owner_id', 'text'), ('metadata', 'jsonb'), ('user_metadata', 'jsonb'),
            ('path_tokens', 'ARRAY'), ('version', 'text'),
            ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone'),
            ('last_accessed_at', 'timestamp with time zone') $$,
  'storage.objects has the columns Storage defines'
);
select is(
  (select generation_expression::text from information_schema.columns
   where table_schema = 'storage' and table_name = 'objects' and column_name = 'path_tokens'),
  'string_to_array(name, ''/''::text)',
  'storage.objects.path_tokens is generated from name'
);
select fk_ok('storage', 'objects', 'bucket_id', 'storage', 'buckets', 'id');
select results_eq(
  $$ select c.oid::regclass::text, c.relrowsecurity from pg_class c
     where c.oid in ('auth.users'::regclass, 'storage.buckets'::regclass, 'storage.objects'::regclass)
     order by 1 $$,
  $$ values ('auth.users', true), ('storage.buckets', true), ('storage.objects', true) $$,
  'RLS is enabled on auth.users, storage.buckets and storage.objects'
);
select is(
  storage.foldername('clinic-1/2026/scan.tar.age'), array['clinic-1', '2026'],
  'storage.foldername() returns the folders of an object name'
);

-- ---------------------------------------------------------------------------------------------
-- Default privileges on public: what postgres creates is granted to the API roles
-- ---------------------------------------------------------------------------------------------
create table public.__bootstrap_probe (id int);
create function public.__bootstrap_probe_fn() returns int language sql as 'select 1';
select ok(
  has_table_privilege('anon', 'public.__bootstrap_probe', 'select')
  and has_table_privilege('authenticated', 'public.__bootstrap_probe', 'insert')
  and has_table_privilege('service_role', 'public.__bootstrap_probe', 'delete'),
  'tables postgres creates in public are granted to anon, authenticated, service_role'
);
select ok(
  has_function_privilege('anon', 'public.__bootstrap_probe_fn()', 'execute')
  and has_function_privilege('authenticated', 'public.__bootstrap_probe_fn()', 'execute'),
  'functions postgres creates in public are executable by the API roles unless revoked'
);
select ok(
  has_schema_privilege('anon', 'auth', 'usage')
  and not has_table_privilege('anon', 'auth.users', 'select')
  and not has_table_privilege('authenticated', 'auth.users', 'select'),
  'the API roles may use schema auth but not read auth.users'
);

-- ---------------------------------------------------------------------------------------------
-- auth.uid() / auth.role() / auth.jwt() under PostgREST's request settings
-- ---------------------------------------------------------------------------------------------
-- One stored object, written as postgres, for the RLS check below.
insert into storage.buckets (id, name) values ('bootstrap-probe', 'bootstrap-probe');
insert into storage.objects (bucket_id, name) values ('bootstrap-probe', 'clinic-1/2026/scan.tar.age');

-- A signed-in user: PostgREST sets the role and the JWT payload for the transaction.
set local role authenticated;
set local request.jwt.claims = '{"sub":"6f1c8e46-2b0e-4c55-9a53-1f7d7b1b0c11","role":"authenticated","email":"ana@clinic.test","aal":"aal1"}';

select is(current_user::text, 'authenticated', 'requests run as the JWT''s role');
select is(auth.uid(), '6f1c8e46-2b0e-4c55-9a53-1f7d7b1b0c11'::uuid, 'auth.uid() is the JWT sub');
select is(auth.role(), 'authenticated', 'auth.role() is the JWT role');
select is(auth.email(), 'ana@clinic.test', 'auth.email() is the JWT email');
select is(auth.jwt() ->> 'aal', 'aal1', 'auth.jwt() is the whole JWT payload');
select is(
  (select count(*) from storage.objects), 0::bigint,
  'without policies, RLS hides storage.objects from authenticated'
);

-- An anonymous request: the anon key's JWT has no sub.
reset role;
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';

select is(auth.uid(), null::uuid, 'auth.uid() is null for anon');
select is(auth.role(), 'anon', 'auth.role() is anon for the anon key');

-- No request at all (a migration, a cron job): no claims.
reset role;
set local request.jwt.claims = '';

select is(auth.jwt(), null::jsonb, 'auth.jwt() is null outside a request');
select is(auth.uid(), null::uuid, 'auth.uid() is null outside a request');

-- Pre-v9 PostgREST set one setting per claim; those still take precedence.
set local request.jwt.claim.sub = '0d7f4b1e-4a55-4f8e-8f0a-3c1f2b7d9e21';
set local request.jwt.claims = '{"sub":"6f1c8e46-2b0e-4c55-9a53-1f7d7b1b0c11"}';
select is(auth.uid(), '0d7f4b1e-4a55-4f8e-8f0a-3c1f2b7d9e21'::uuid, 'request.jwt.claim.sub wins over request.jwt.claims');
set local request.jwt.claim.sub = '';

-- ---------------------------------------------------------------------------------------------
-- pg_cron lives in this database
-- ---------------------------------------------------------------------------------------------
select has_extension('pg_cron'::name, 'pg_cron is installed');
select is(current_setting('cron.database_name'), current_database()::text, 'pg_cron runs jobs in this database');

-- ---------------------------------------------------------------------------------------------
-- Foundation migration: cofre_private is closed to PUBLIC and the API roles
-- ---------------------------------------------------------------------------------------------
select has_schema('cofre_private');
select ok(
  not has_schema_privilege('public', 'cofre_private', 'usage')
  and not has_schema_privilege('anon', 'cofre_private', 'usage')
  and not has_schema_privilege('authenticated', 'cofre_private', 'usage'),
  'PUBLIC, anon and authenticated have no USAGE on cofre_private'
);
select ok(
  not has_schema_privilege('public', 'cofre_private', 'create')
  and not has_schema_privilege('anon', 'cofre_private', 'create')
  and not has_schema_privilege('authenticated', 'cofre_private', 'create'),
  'PUBLIC, anon and authenticated cannot create in cofre_private'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc p
     where p.pronamespace = 'cofre_private'::regnamespace
       and (has_function_privilege('public', p.oid, 'execute')
            or has_function_privilege('anon', p.oid, 'execute')
            or has_function_privilege('authenticated', p.oid, 'execute')) $$,
  'no function in cofre_private is executable by PUBLIC, anon or authenticated'
);
select is_empty(
  $$ select c.oid::regclass::text from pg_class c
     where c.relnamespace = 'cofre_private'::regnamespace
       and (has_table_privilege('anon', c.oid, 'select')
            or has_table_privilege('authenticated', c.oid, 'select')) $$,
  'no relation in cofre_private is readable by anon or authenticated'
);

select * from finish();
rollback;
