#!/usr/bin/env bash
# Development helper: removes every object the Cofre domain migrations (2026112501*_*.sql) create,
# forgets those migrations in supabase_migrations.schema_migrations, and re-applies them with the
# stack's own path (`npx tsx scripts/stack/main.ts up` = compat bootstrap + `supabase migration up`).
# Proves the migrations apply from scratch on the stack's `postgres` database (the one pg_cron
# runs in) without touching the foundation migration or anything else in the database.
# Local stack only: refuses any DATABASE_URL that is not on 127.0.0.1.
#
# Cofre's API lives in schema `cofre` (internals in `cofre_private`); `public` is the host app's.
# Databases migrated before that move still hold Cofre's tables, enums and RPCs in `public`: the
# legacy step below drops exactly those — a `public` object is only dropped when its name is one
# the migrations now create in `cofre` AND it is provably Cofre's (tables: a trigger runs a
# cofre_private function on it or on a table it references; enums: such a table or a
# cofre_private function uses them; functions: the body uses cofre_private or Cofre's tables, or
# the signature a Cofre enum). Host objects that merely share a name (an app's own `tenants`,
# `runs`…) are left alone; an enum something else still uses is kept.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
set -a; source "$ROOT/.stack/env"; set +a
[[ "$DATABASE_URL" == *"@127.0.0.1:"* ]] || { echo "refusing: not the local stack" >&2; exit 1; }

files=("$ROOT"/supabase/migrations/2026112501*_*.sql)
objs() { grep -hoiE "^create ($1) (cofre|cofre_private)\.[a-z_0-9]+" "${files[@]}" | awk '{print $NF}' | sort -u; }
# Names (without schema) the migrations create in `cofre`, as a SQL array literal.
api_names() { objs "$1" | sed -n 's/^cofre\.//p' | paste -sd, | sed "s/^/'{/; s/\$/}'/"; }

{
  echo "begin;"
  # Legacy layout (Cofre's API in public): drop only what is provably Cofre's, see the header.
  cat <<SQL
do \$\$
declare
  r record;
  v_tables text[] := $(api_names table);
  v_functions text[] := $(api_names function);
  v_types text[] := $(api_names type);
  v_legacy_tables oid[];
  v_legacy_types oid[];
begin
  if to_regnamespace('cofre_private') is null then return; end if;
  -- Cofre's tables: a trigger runs a cofre_private function, on the table or on a table it references.
  select coalesce(array_agg(c.oid), '{}') into v_legacy_tables from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relname = any (v_tables)
     and exists (select 1 from pg_trigger tg join pg_proc p on p.oid = tg.tgfoid
                  where p.pronamespace = 'cofre_private'::regnamespace
                    and (tg.tgrelid = c.oid
                         or tg.tgrelid in (select k.confrelid from pg_constraint k
                                            where k.conrelid = c.oid and k.contype = 'f')));
  -- Cofre's enums: a column of one of those tables, or a cofre_private function, uses them.
  select coalesce(array_agg(t.oid), '{}') into v_legacy_types from pg_type t
   where t.typnamespace = 'public'::regnamespace and t.typtype = 'e' and t.typname = any (v_types)
     and (exists (select 1 from pg_attribute a where a.attrelid = any (v_legacy_tables) and a.atttypid in (t.oid, t.typarray))
          or exists (select 1 from pg_proc p where p.pronamespace = 'cofre_private'::regnamespace
                      and (p.prorettype = t.oid or t.oid = any (p.proargtypes))));
  -- Cofre's RPCs: the body uses cofre_private or a Cofre table, or a signature uses a Cofre enum.
  for r in
    select p.oid::regprocedure as fn from pg_proc p
     where p.pronamespace = 'public'::regnamespace and p.proname = any (v_functions)
       and (p.prosrc ~ '(cofre_private\.|public\.(tenants|tenant_members|audit_log|destinations|schedules|runs|artifacts)\M)'
            or p.prorettype = any (v_legacy_types) or p.proargtypes::oid[] && v_legacy_types)
  loop
    raise notice 'legacy: drop function %', r.fn;
    execute format('drop function if exists %s cascade', r.fn);
  end loop;
  for r in select oid::regclass as rel from pg_class where oid = any (v_legacy_tables) loop
    raise notice 'legacy: drop table %', r.rel;
    execute format('drop table if exists %s cascade', r.rel);
  end loop;
  -- The enums go last, once the cofre_private functions using them are gone (below).
  create temp table cofre_legacy_types on commit drop as
    select format('public.%I', t.typname) as typ from pg_type t where t.oid = any (v_legacy_types);
end \$\$;
SQL
  for t in $(objs table); do echo "drop table if exists $t cascade;"; done
  # Functions: every overload of each name the migrations create.
  for f in $(objs function); do
    echo "do \$\$ declare p regprocedure; begin
            for p in select oid::regprocedure from pg_proc
                      where pronamespace = to_regnamespace(split_part('$f', '.', 1)) and proname = split_part('$f', '.', 2) loop
              execute 'drop function if exists ' || p || ' cascade'; end loop; end \$\$;"
  done
  for t in $(objs type); do echo "drop type if exists $t cascade;"; done
  cat <<'SQL'
do $$
declare r record;
begin
  if to_regclass('pg_temp.cofre_legacy_types') is null then return; end if;
  for r in select typ from pg_temp.cofre_legacy_types loop
    begin
      execute format('drop type %s', r.typ);  -- restrict: kept if anything else still uses it
      raise notice 'legacy: dropped type %', r.typ;
    exception when dependent_objects_still_exist then
      raise notice 'legacy: kept type % (still in use)', r.typ;
    end;
  end loop;
end $$;
SQL
  # The API schema itself (the first migration creates it, with its comment and grants).
  echo "drop schema if exists cofre cascade;"
  echo "delete from supabase_migrations.schema_migrations where version like '2026112501%' or version > '20261125010000';"
  echo "commit;"
} | psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q

cd "$ROOT" && npx tsx scripts/stack/main.ts up
