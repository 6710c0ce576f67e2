-- Cofre foundation: the extensions every later migration relies on.

-- pg_cron drives schedules (scheduled-cleanup). On Supabase enable it from the dashboard or
-- here; it lives in pg_catalog with its own `cron` schema.
create extension if not exists pg_cron with schema pg_catalog;

-- Cofre's internals live in a private schema that is never exposed through the API.
create schema if not exists cofre_private;
comment on schema cofre_private is 'Cofre internals (not exposed through PostgREST). The API lives in schema cofre.';
revoke all on schema cofre_private from public;
