#!/usr/bin/env bash
# Development helper: removes every object the Cofre domain migrations (2026112501*/2026112502*_*.sql) create,
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
#
# Later migrations that use Cofre's objects (any other migration after the domain ones whose SQL,
# comments aside, names `cofre.` or `cofre_private.`, e.g. change capture on cofre tables) lose
# those objects or their changes to them when the domain objects are dropped (cascade): each such
# migration is treated like a domain one — the tables, functions, types, views and schemas it
# creates (in any schema but public, auth, extensions, cron, cofre_private) are dropped too, it is
# forgotten, and it is re-applied after them in version order. Later migrations that name nothing
# of Cofre stay applied and recorded; `supabase migration up --include-all` then re-inserts the
# earlier ones before them.
#
# --dry-run: print the plan (migrations to re-apply, in order) and the SQL, change nothing.
# MIGRATIONS_DIR overrides supabase/migrations (used by test/db/reapply-script.test.ts).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MIGRATIONS_DIR="${MIGRATIONS_DIR:-$ROOT/supabase/migrations}"
DRY_RUN=0
[[ "${1:-}" == "--dry-run" ]] && DRY_RUN=1
if (( ! DRY_RUN )); then
  set -a; source "$ROOT/.stack/env"; set +a
  [[ "$DATABASE_URL" == *"@127.0.0.1:"* ]] || { echo "refusing: not the local stack" >&2; exit 1; }
fi

files=("$MIGRATIONS_DIR"/202611250[12]*_*.sql)
# Later migrations that depend on Cofre's objects (see the header).
last_domain="$(basename "${files[-1]}" | cut -d_ -f1)"
dependents=()
for f in "$MIGRATIONS_DIR"/*.sql; do
  v="$(basename "$f" | cut -d_ -f1)"
  [[ "$v" > "$last_domain" ]] || continue
  if sed 's/--.*$//' "$f" | grep -qiE '(^|[^a-z_0-9])cofre(_private)?\.'; then dependents+=("$f"); fi
done
version_of() { basename "$1" | cut -d_ -f1; }
# Objects a dependent migration creates, schema-qualified, for one kind ("table", "function"…).
dep_objs() {
  (( ${#dependents[@]} )) || return 0
  sed 's/--.*$//' "${dependents[@]}" \
    | grep -oiE "^create (or replace )?($1) (if not exists )?[a-z_0-9]+\.[a-z_0-9]+" | awk '{print $NF}' \
    | grep -viE '^(public|auth|extensions|cron|cofre_private|pg_catalog)\.' | sort -u || true
}
dep_schemas() {
  (( ${#dependents[@]} )) || return 0
  sed 's/--.*$//' "${dependents[@]}" | grep -oiE "^create schema (if not exists )?[a-z_0-9]+" | awk '{print $NF}' \
    | grep -viE '^(public|auth|extensions|cron|cofre|cofre_private)$' | sort -u || true
}
objs() { grep -hoiE "^create ($1) (cofre|cofre_private)\.[a-z_0-9]+" "${files[@]}" | awk '{print $NF}' | sort -u; }
# Names (without schema) the migrations create in `cofre`, as a SQL array literal.
api_names() { objs "$1" | sed -n 's/^cofre\.//p' | paste -sd, | sed "s/^/'{/; s/\$/}'/"; }

sql_plan() {
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
  # Internals earlier versions of these migrations created and the current ones no longer do
  # (the in-database AES-CBC secret store, replaced by AES-GCM sealed by the functions).
  echo "drop table if exists cofre_private.secret_keys cascade;"
  for f in cofre_private.derive_key cofre_private.store_secret cofre_private.read_secret \
           cofre_private.secret_hint cofre_private.check_passphrase; do
    echo "do \$\$ declare p regprocedure; begin
            for p in select oid::regprocedure from pg_proc
                      where pronamespace = 'cofre_private'::regnamespace and proname = split_part('$f', '.', 2) loop
              execute 'drop function if exists ' || p || ' cascade'; end loop; end \$\$;"
  done
  # What the dependent later migrations create (their objects in cofre/cofre_private go with the
  # domain drops and the schema; these are the ones elsewhere), then their own schemas.
  for t in $(dep_objs "table|unlogged table"); do echo "drop table if exists $t cascade;"; done
  for t in $(dep_objs "view|materialized view"); do echo "drop view if exists $t cascade;"; done
  for f in $(dep_objs "function|procedure"); do
    echo "do \$\$ declare p regprocedure; begin
            for p in select oid::regprocedure from pg_proc
                      where pronamespace = to_regnamespace(split_part('$f', '.', 1)) and proname = split_part('$f', '.', 2) loop
              execute 'drop routine if exists ' || p || ' cascade'; end loop; end \$\$;"
  done
  for t in $(dep_objs "type"); do echo "drop type if exists $t cascade;"; done
  for n in $(dep_schemas); do echo "drop schema if exists $n cascade;"; done
  # The API schema itself (the first migration creates it, with its comment and grants).
  echo "drop schema if exists cofre cascade;"
  # Forget exactly the migrations re-applied below: the domain ones and their dependents.
  versions="$(for f in "${files[@]}" "${dependents[@]}"; do printf "'%s'," "$(version_of "$f")"; done)"
  echo "delete from supabase_migrations.schema_migrations where version in (${versions%,});"
  echo "commit;"
}

if (( DRY_RUN )); then
  echo "-- re-applied, in order:"
  for f in "${files[@]}" "${dependents[@]}"; do echo "--   $(basename "$f")"; done
  sql_plan
  exit 0
fi
sql_plan | psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q

# --include-all: later migrations that stayed recorded (they use nothing of Cofre) come after the
# forgotten ones; plain `migration up` would refuse to insert earlier versions before them.
cd "$ROOT"
SUPABASE_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 node_modules/.bin/supabase migration up --include-all \
  --workdir "$ROOT" --db-url "${DATABASE_URL}?sslmode=disable"
npx tsx scripts/stack/main.ts up
