/**
 * The change capture Cofre installs in the SOURCE database, in its private schema
 * `cofre_capture` (never backed up as user data: config/scope.ts lists it). Idempotent: run
 * before every backup. Design and reasons: docs/postgres-chains.md.
 *
 * - `change_log`: one row per row change (INSERT, UPDATE, DELETE) and per TRUNCATE statement
 *   of every captured table: `relid`, `op`, the full old and new rows as record text, the
 *   writing transaction's `xid` (xid8, never wraps) and a monotonic `seq`. Which changes a
 *   backup carries is decided by xid visibility against two snapshots, never by time or seq.
 * - `capture_row` / `capture_truncate`: SECURITY DEFINER, so app roles that write tables need
 *   no right on the log. Their fixed settings make the record text parse back identically in
 *   the backup's session whatever DateStyle / extra_float_digits the writer's session uses.
 * - `consumer`: who still needs changes after which snapshot; `prune(oldest_needed)` deletes
 *   what every consumer's snapshot (and the argument, if any) already sees.
 * - `state.epoch`: a random id per installation; a chain whose parent saw another epoch is
 *   broken (the log was dropped and recreated in between).
 *
 * Requires: CREATE on the database (schema), TRIGGER on each captured table. A superuser or
 * Supabase's `postgres` role has both (`postgres` can create triggers on `auth.users`).
 */
export const CAPTURE_SCHEMA = "cofre_capture";
export const ROW_TRIGGER = "cofre_capture_row";
export const TRUNCATE_TRIGGER = "cofre_capture_truncate";
export const DDL_EVENT_TRIGGER = "cofre_capture_ddl";

/**
 * Version of INSTALL_SQL, stored in `state.version` once it ran. ensureCapture skips the DDL
 * while the stored version matches, so an ordinary backup takes no lock in the source beyond
 * reading. Bump it whenever INSTALL_SQL changes.
 */
export const CAPTURE_VERSION = "2";

/** Consumers (`destination:*`) not refreshed by a backup for this long are dropped by prune(). */
export const DEFAULT_CONSUMER_MAX_AGE_DAYS = 35;

/** Settings pinned while row values are turned into text, and while that text is parsed back. */
export const VALUE_TEXT_SETTINGS: readonly [name: string, value: string][] = [
  ["DateStyle", "ISO, MDY"],
  ["IntervalStyle", "postgres"],
  ["extra_float_digits", "3"],
  ["bytea_output", "hex"],
  ["TimeZone", "UTC"],
];

const pinned = VALUE_TEXT_SETTINGS.map(([n, v]) => `set ${n} = '${v}'`).join(" ");

export const INSTALL_SQL = `
create schema if not exists cofre_capture;
comment on schema cofre_capture is 'Cofre change capture for incremental and differential backups; see Cofre docs/postgres-chains.md';
revoke all on schema cofre_capture from public;

create table if not exists cofre_capture.state (
  singleton boolean primary key default true check (singleton),
  epoch uuid not null default gen_random_uuid(),
  installed_at timestamptz not null default now()
);
insert into cofre_capture.state default values on conflict do nothing;

create table if not exists cofre_capture.change_log (
  seq bigint generated always as identity primary key,
  xid xid8 not null default pg_current_xact_id(),
  relid oid not null,
  op "char" not null check (op in ('I', 'U', 'D', 'T')),
  old_row text,
  new_row text
);
-- Guarded (not \`create index if not exists\`, which locks the table first): re-running this
-- must take no lock that waits for the writers holding change_log (every captured write does).
do $do$ begin
  if to_regclass('cofre_capture.change_log_relid_xid') is null then
    create index change_log_relid_xid on cofre_capture.change_log (relid, xid);
  end if;
  if to_regclass('cofre_capture.change_log_xid') is null then
    create index change_log_xid on cofre_capture.change_log (xid);
  end if;
end $do$;
alter table cofre_capture.state add column if not exists version text;

-- DDL on a captured table (ALTER TABLE …): the log's old row text may no longer fit the table,
-- so no incremental may span it. Written by the event trigger below, when it could be created.
create table if not exists cofre_capture.ddl_log (
  xid xid8 not null default pg_current_xact_id(),
  relid oid not null,
  command_tag text not null,
  at timestamptz not null default now()
);

create table if not exists cofre_capture.consumer (
  name text primary key,
  needs pg_snapshot not null,
  updated_at timestamptz not null default now()
);

create or replace function cofre_capture.capture_row() returns trigger
language plpgsql security definer set search_path = '' ${pinned}
as $fn$
begin
  if tg_op = 'INSERT' then
    insert into cofre_capture.change_log (relid, op, new_row) values (tg_relid, 'I', new::text);
  elsif tg_op = 'UPDATE' then
    insert into cofre_capture.change_log (relid, op, old_row, new_row) values (tg_relid, 'U', old::text, new::text);
  else
    insert into cofre_capture.change_log (relid, op, old_row) values (tg_relid, 'D', old::text);
  end if;
  return null;
end
$fn$;

create or replace function cofre_capture.capture_truncate() returns trigger
language plpgsql security definer set search_path = ''
as $fn$
begin
  insert into cofre_capture.change_log (relid, op) values (tg_relid, 'T');
  return null;
end
$fn$;

-- Event trigger function: records DDL commands on tables that carry the capture trigger.
create or replace function cofre_capture.note_ddl() returns event_trigger
language plpgsql security definer set search_path = ''
as $fn$
declare r record;
begin
  for r in select c.objid, c.command_tag from pg_catalog.pg_event_trigger_ddl_commands() c
            where c.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
              and exists (select from pg_catalog.pg_trigger t where t.tgrelid = c.objid and t.tgname = 'cofre_capture_row')
  loop
    insert into cofre_capture.ddl_log (relid, command_tag) values (r.objid, r.command_tag);
  end loop;
end
$fn$;

-- Deletes the changes that every consumer's snapshot, and \`oldest_needed\` when given (the
-- oldest watermark a caller such as retention still needs), already see; with no consumer
-- left, every committed change (nobody needs it: an incremental whose destination has no
-- consumer becomes a full). Consumers not refreshed for \`consumer_max_age\` are dropped
-- first (a destination no longer used must not keep patient rows forever).
drop function if exists cofre_capture.prune(pg_snapshot);
create or replace function cofre_capture.prune(oldest_needed pg_snapshot default null,
                                               consumer_max_age interval default interval '${DEFAULT_CONSUMER_MAX_AGE_DAYS} days') returns bigint
language sql security definer set search_path = ''
as $fn$
  -- An in-flight backup's consumer row outlives it only if its process died: gone after a day.
  delete from cofre_capture.consumer where name like 'run:%' and updated_at < now() - interval '1 day';
  delete from cofre_capture.consumer where name not like 'run:%' and updated_at < now() - consumer_max_age;
  delete from cofre_capture.ddl_log d
   where (oldest_needed is null or pg_visible_in_snapshot(d.xid, oldest_needed))
     and not exists (select from cofre_capture.consumer w where not pg_visible_in_snapshot(d.xid, w.needs));
  with gone as (
    delete from cofre_capture.change_log c
     where (oldest_needed is null or pg_visible_in_snapshot(c.xid, oldest_needed))
       and not exists (select from cofre_capture.consumer w where not pg_visible_in_snapshot(c.xid, w.needs))
    returning 1)
  select count(*) from gone;
$fn$;

-- Nobody but the owner (and the SECURITY DEFINER functions, which run as it) reads or writes
-- these: no grants, and RLS without policies as a second lock.
-- (Guarded: ALTER TABLE takes ACCESS EXCLUSIVE even when nothing changes.)
do $do$
declare t text;
begin
  foreach t in array array['state', 'change_log', 'consumer', 'ddl_log'] loop
    if not (select relrowsecurity from pg_class where oid = ('cofre_capture.' || t)::regclass) then
      execute format('alter table cofre_capture.%I enable row level security', t);
    end if;
  end loop;
end $do$;
revoke all on all tables in schema cofre_capture from public;
revoke all on all sequences in schema cofre_capture from public;
revoke all on all functions in schema cofre_capture from public;

comment on table cofre_capture.state is 'Cofre change capture: this installation''s random epoch (a backup chain never spans two).';
comment on table cofre_capture.change_log is 'Cofre change capture: one row per row change and per TRUNCATE of every captured table, with the writer''s xid; read by incremental/differential backups, pruned by prune().';
comment on table cofre_capture.consumer is 'Cofre change capture: per backup destination (and running backup), the snapshot after which it still needs changes.';
comment on function cofre_capture.capture_row() is 'Trigger: logs a row change of a captured table (new row, old and new rows, or old row).';
comment on function cofre_capture.capture_truncate() is 'Trigger: logs a TRUNCATE of a captured table.';
comment on table cofre_capture.ddl_log is 'Cofre change capture: DDL on captured tables (from event trigger cofre_capture_ddl); a chain cannot span one.';
comment on function cofre_capture.prune(pg_snapshot, interval) is 'Drops consumers not seen for consumer_max_age, then deletes the changes every consumer (and oldest_needed, when given) already has; returns how many.';
update cofre_capture.state set version = '${CAPTURE_VERSION}';
`;

/**
 * The event trigger that fills ddl_log. Needs a superuser (on Supabase, the postgres role
 * through supautils); ensureCapture runs it in a savepoint and warns when it cannot.
 */
export const DDL_EVENT_TRIGGER_SQL = `
drop event trigger if exists ${DDL_EVENT_TRIGGER};
create event trigger ${DDL_EVENT_TRIGGER} on ddl_command_end
  when tag in ('ALTER TABLE')
  execute function cofre_capture.note_ddl();
`;

/** Triggers on one table (CREATE OR REPLACE TRIGGER: PostgreSQL ≥ 14). Needs TRIGGER on the table. */
export function tableTriggersSql(qualifiedName: string): string {
  return `
create or replace trigger ${ROW_TRIGGER} after insert or update or delete on ${qualifiedName}
  for each row execute function cofre_capture.capture_row();
create or replace trigger ${TRUNCATE_TRIGGER} after truncate on ${qualifiedName}
  for each statement execute function cofre_capture.capture_truncate();
`;
}

/**
 * ENABLE ALWAYS: the triggers also fire under session_replication_role = replica (logical
 * replication, bulk loads). Needs ownership of the table: on Supabase, platform tables such as
 * auth.users are not the postgres role's, so there it is skipped with a warning (their
 * writers — Supabase Auth — run with the default role, where the triggers fire).
 */
export function alwaysEnableSql(qualifiedName: string): string {
  return `
alter table ${qualifiedName} enable always trigger ${ROW_TRIGGER};
alter table ${qualifiedName} enable always trigger ${TRUNCATE_TRIGGER};
`;
}

/** Removes every capture trigger and the schema. */
export const UNINSTALL_SQL = `
do $do$
declare r record;
begin
  for r in select t.tgname, t.tgrelid::regclass as rel from pg_trigger t
             join pg_proc p on p.oid = t.tgfoid join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'cofre_capture' and not t.tgisinternal
  loop
    execute format('drop trigger %I on %s', r.tgname, r.rel);
  end loop;
end
$do$;
drop event trigger if exists ${DDL_EVENT_TRIGGER};
drop schema if exists cofre_capture cascade;
`;
