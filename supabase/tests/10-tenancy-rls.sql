-- Tenancy and RLS matrix: every Cofre table × {anon, authenticated non-member, viewer,
-- operator, admin of another clinic, admin, service_role}: what each can read of clinic A and
-- of clinic B, and that no API role can write any table directly (all changes go through RPCs).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(280);

-- The shared fixture: two clinics, a member per role, their destinations, schedules, a
-- finished backup each, and pg_temp.act_as()/try() (see fixtures/cofre.psql).
\ir fixtures/cofre.psql

-- Counts of clinic A's and clinic B's rows p_who can see in p_table ('a/b'), or the error.
create function pg_temp.visible(p_who text, p_table text) returns text language plpgsql as $fx$
declare
  v_col text := case p_table when 'cofre.tenants' then 'id' else 'tenant_id' end;
  v_out text;
begin
  perform pg_temp.act_as(p_who);
  begin
    execute format('select count(*) filter (where %1$I = ''0000000a-0000-4000-8000-000000000000'')
                           || ''/'' || count(*) filter (where %1$I = ''0000000b-0000-4000-8000-000000000000'') from %2$s',
                   v_col, p_table) into v_out;
  exception when others then
    v_out := sqlstate || ': ' || sqlerrm;
  end;
  perform pg_temp.act_as('owner');
  return v_out;
end;
$fx$;

-- ---------------------------------------------------------------------------------------------
-- Every table has RLS; the API roles hold exactly the privileges the design gives them
-- ---------------------------------------------------------------------------------------------
-- Cofre's relations: everything in cofre_private, plus the `cofre` tables in the foreign-key
-- closure of cofre.tenants (every tenant-scoped table), plus the audit log. Generic: a new
-- tenant-scoped table is covered without editing this file. (The Ortho+ demo tables that share
-- this database are the host app's and are not Cofre's to check.)
create view pg_temp.cofre_relations as
with recursive scoped(oid) as (
  select 'cofre.tenants'::regclass::oid
  union
  select c.conrelid from pg_constraint c join scoped s on c.confrelid = s.oid where c.contype = 'f'
)
select c.oid, c.relkind from pg_class c
 where (c.relnamespace = 'cofre_private'::regnamespace and c.relkind in ('r', 'p', 'v', 'm'))
    or c.oid in (select oid from scoped)
    or c.oid = 'cofre.audit_log'::regclass;

select set_has(
  $$ select oid::regclass::text from pg_temp.cofre_relations $$,
  $$ values ('cofre.tenants'), ('cofre.tenant_members'), ('cofre.audit_log'), ('cofre.destinations'), ('cofre.schedules'),
            ('cofre.schedule_destinations'), ('cofre.runs'), ('cofre.artifacts'), ('cofre.restores'),
            ('cofre.notification_settings'), ('cofre.notification_log'),
            ('cofre_private.audit_chain'), ('cofre_private.secrets') $$,
  'the generic checks see every Cofre table'
);
select is_empty(
  $$ select r.oid::regclass::text from pg_temp.cofre_relations r join pg_class c on c.oid = r.oid
     where c.relkind in ('r', 'p') and not c.relrowsecurity $$,
  'every Cofre table has row level security enabled'
);
select is_empty(
  $$ select c.oid::regclass::text from pg_class c
     where c.relnamespace in ('cofre'::regnamespace, 'cofre_private'::regnamespace)
       and c.relkind in ('r', 'p') and not c.relrowsecurity $$,
  'every table in schemas cofre and cofre_private, whatever it references, has row level security enabled'
);
select is_empty(
  $$ select c.oid::regclass::text from pg_class c
     where c.relnamespace = 'cofre'::regnamespace and c.relkind in ('v', 'm') $$,
  'schema cofre has no views (a view would bypass RLS with its owner''s rights)'
);
select is_empty(
  $$ select r.oid::regclass::text from pg_temp.cofre_relations r
     where has_table_privilege('anon', r.oid, 'select, insert, update, delete, truncate, references, trigger') $$,
  'anon holds no privilege on any Cofre table'
);
select is_empty(
  $$ select r.oid::regclass::text from pg_temp.cofre_relations r
     where has_table_privilege('authenticated', r.oid, 'insert, update, delete, truncate, references, trigger') $$,
  'authenticated can only SELECT Cofre tables (under RLS): every write goes through an RPC'
);
select is_empty(
  $$ select p.polrelid::regclass::text || ': ' || p.polname from pg_policy p
     where p.polrelid in (select oid from pg_temp.cofre_relations)
       and (p.polname !~ '^[A-Z][a-z]+( [a-z0-9-]+)+$' or 0 = any (p.polroles)) $$,
  'every Cofre policy is named as a sentence and none applies to PUBLIC'
);
select is_empty(
  $$ select r.oid::regclass::text from pg_temp.cofre_relations r join pg_class c on c.oid = r.oid
     where r.oid::regclass::text not like 'cofre_private.%' and c.relkind in ('r', 'p')
       and not exists (select 1 from pg_policy p where p.polrelid = r.oid and p.polcmd in ('r', '*')
                         and 'authenticated'::regrole::oid = any (p.polroles)) $$,
  'every Cofre API table (schema cofre) has a read policy for authenticated'
);

-- ---------------------------------------------------------------------------------------------
-- The API schema `cofre`: Cofre's own objects stay out of the host app's `public`
-- ---------------------------------------------------------------------------------------------
select ok(not has_schema_privilege('anon', 'cofre', 'usage'), 'anon cannot use schema cofre');
select ok(has_schema_privilege('authenticated', 'cofre', 'usage') and has_schema_privilege('service_role', 'cofre', 'usage'),
  'authenticated and service_role can use schema cofre');
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc p
     where p.pronamespace = 'cofre'::regnamespace and has_function_privilege('anon', p.oid, 'execute') $$,
  'anon can execute no function in schema cofre'
);
select is_empty(
  $$ select 'relation ' || c.oid::regclass::text from pg_class c
      where c.relnamespace = 'cofre'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
        and obj_description(c.oid, 'pg_class') is null
     union all
     select 'type ' || t.oid::regtype::text from pg_type t
      where t.typnamespace = 'cofre'::regnamespace and t.typtype = 'e' and obj_description(t.oid, 'pg_type') is null
     union all
     select 'function ' || p.oid::regprocedure::text from pg_proc p
      where p.pronamespace = 'cofre'::regnamespace and obj_description(p.oid, 'pg_proc') is null $$,
  'every table, enum and function in schema cofre has a comment'
);
-- Nothing of Cofre's in `public` (the host app's schema, backed up as app data): no function
-- there mentions cofre/cofre_private or takes/returns a Cofre type, no table there has a column
-- of a Cofre type or a foreign key into schema cofre. (Same-named host tables are allowed.)
select is_empty(
  $$ select 'function ' || p.oid::regprocedure::text from pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and (p.prosrc ~ '\mcofre(_private)?\.'
             or exists (select 1 from pg_type t
                         where t.typnamespace in ('cofre'::regnamespace, 'cofre_private'::regnamespace)
                           and (t.oid = p.prorettype or t.oid = any (p.proargtypes))))
     union all
     select 'column ' || a.attrelid::regclass::text || '.' || a.attname from pg_attribute a
       join pg_class c on c.oid = a.attrelid join pg_type t on t.oid = a.atttypid
      where c.relnamespace = 'public'::regnamespace and t.typnamespace = 'cofre'::regnamespace
     union all
     select 'foreign key ' || k.conrelid::regclass::text || ': ' || k.conname from pg_constraint k
       join pg_class c on c.oid = k.conrelid join pg_class f on f.oid = k.confrelid
      where k.contype = 'f' and c.relnamespace = 'public'::regnamespace and f.relnamespace = 'cofre'::regnamespace $$,
  'no Cofre object lives in, or leaks into, the host app''s schema public'
);

-- ---------------------------------------------------------------------------------------------
-- anon: not even the schema
-- ---------------------------------------------------------------------------------------------
select pg_temp.act_as('anon');
select throws_ok(format('select count(*) from cofre.%I', t), '42501', 'permission denied for schema cofre',
                 format('anon cannot read %s', t))
from unnest(array['tenants', 'tenant_members', 'audit_log', 'destinations', 'schedules', 'schedule_destinations',
                  'runs', 'artifacts', 'restores', 'notification_settings', 'notification_log']) t;
select pg_temp.act_as('owner');

-- ---------------------------------------------------------------------------------------------
-- Reads: clinic A rows / clinic B rows visible to each persona
-- ---------------------------------------------------------------------------------------------
select is(pg_temp.visible(m.who, 'cofre.' || m.tbl), m.expected, format('%s sees %s of clinic A/B in %s', m.who, m.expected, m.tbl))
from (values
  ('tenants', 'outsider', '0/0'), ('tenants', 'viewer_a', '1/0'), ('tenants', 'operator_a', '1/0'),
  ('tenants', 'admin_b', '0/1'), ('tenants', 'admin_a', '1/0'), ('tenants', 'service_role', '1/1'),
  ('tenant_members', 'outsider', '0/0'), ('tenant_members', 'viewer_a', '1/0'), ('tenant_members', 'operator_a', '1/0'),
  ('tenant_members', 'admin_b', '0/1'), ('tenant_members', 'admin_a', '3/0'), ('tenant_members', 'service_role', '3/1'),
  ('audit_log', 'outsider', '0/0'), ('audit_log', 'viewer_a', '0/0'), ('audit_log', 'operator_a', '0/0'),
  ('audit_log', 'admin_b', '0/1'), ('audit_log', 'admin_a', '1/0'), ('audit_log', 'service_role', '1/1'),
  ('destinations', 'outsider', '0/0'), ('destinations', 'viewer_a', '1/0'), ('destinations', 'operator_a', '1/0'),
  ('destinations', 'admin_b', '0/1'), ('destinations', 'admin_a', '1/0'), ('destinations', 'service_role', '1/1'),
  ('schedules', 'outsider', '0/0'), ('schedules', 'viewer_a', '1/0'), ('schedules', 'operator_a', '1/0'),
  ('schedules', 'admin_b', '0/1'), ('schedules', 'admin_a', '1/0'), ('schedules', 'service_role', '1/1'),
  ('schedule_destinations', 'outsider', '0/0'), ('schedule_destinations', 'viewer_a', '1/0'),
  ('schedule_destinations', 'operator_a', '1/0'), ('schedule_destinations', 'admin_b', '0/1'),
  ('schedule_destinations', 'admin_a', '1/0'), ('schedule_destinations', 'service_role', '1/1'),
  ('runs', 'outsider', '0/0'), ('runs', 'viewer_a', '1/0'), ('runs', 'operator_a', '1/0'),
  ('runs', 'admin_b', '0/1'), ('runs', 'admin_a', '1/0'), ('runs', 'service_role', '1/1'),
  ('artifacts', 'outsider', '0/0'), ('artifacts', 'viewer_a', '1/0'), ('artifacts', 'operator_a', '1/0'),
  ('artifacts', 'admin_b', '0/1'), ('artifacts', 'admin_a', '1/0'), ('artifacts', 'service_role', '1/1'),
  ('restores', 'outsider', '0/0'), ('restores', 'viewer_a', '1/0'), ('restores', 'operator_a', '1/0'),
  ('restores', 'admin_b', '0/1'), ('restores', 'admin_a', '1/0'), ('restores', 'service_role', '1/1'),
  ('notification_settings', 'outsider', '0/0'), ('notification_settings', 'viewer_a', '0/0'),
  ('notification_settings', 'operator_a', '0/0'), ('notification_settings', 'admin_b', '0/1'),
  ('notification_settings', 'admin_a', '1/0'), ('notification_settings', 'service_role', '1/1'),
  ('notification_log', 'outsider', '0/0'), ('notification_log', 'viewer_a', '0/0'), ('notification_log', 'operator_a', '0/0'),
  ('notification_log', 'admin_b', '0/1'), ('notification_log', 'admin_a', '1/0'), ('notification_log', 'service_role', '1/1')
) m(tbl, who, expected);

-- ---------------------------------------------------------------------------------------------
-- Writes: no signed-in user, not even a clinic admin, writes any table directly; service_role
-- (the backend) writes every table but the audit log
-- ---------------------------------------------------------------------------------------------
create function pg_temp.write_as(p_who text, p_sql text) returns text language plpgsql as $fx$
declare v text;
begin
  perform pg_temp.act_as(p_who);
  v := pg_temp.try(p_sql);
  perform pg_temp.act_as('owner');
  return v;
end;
$fx$;
create temp table writes as
select t.tbl, op.op,
       case op.op when 'insert' then format('insert into cofre.%I default values', t.tbl)
                  when 'update' then format('update cofre.%I set %I = %I', t.tbl, t.col, t.col)
                  else format('delete from cofre.%I', t.tbl) end as stmt
  from (values ('tenants', 'name'), ('tenant_members', 'role'), ('audit_log', 'action'), ('destinations', 'name'),
               ('schedules', 'name'), ('schedule_destinations', 'tenant_id'), ('runs', 'status'), ('artifacts', 'status'),
               ('restores', 'status'), ('notification_settings', 'locale'), ('notification_log', 'status')) t(tbl, col)
 cross join (values ('insert'), ('update'), ('delete')) op(op);
select is(pg_temp.write_as(w.who, x.stmt), format('42501: permission denied for table %s', x.tbl),
          format('%s cannot %s %s directly', w.who, x.op, x.tbl))
  from writes x cross join (values ('outsider'), ('viewer_a'), ('operator_a'), ('admin_b'), ('admin_a')) w(who)
 order by w.who, x.tbl, x.op;
select is(pg_temp.write_as('service_role', x.stmt), '42501: permission denied for table audit_log',
          format('service_role cannot %s the audit log', x.op))
  from writes x where x.tbl = 'audit_log' order by x.op;
select is(pg_temp.write_as('service_role', x.stmt), 'ok', format('service_role can %s %s', x.op, x.tbl))
  from writes x where x.tbl <> 'audit_log' and x.op <> 'insert' order by x.tbl, x.op;

-- cofre_private stays closed, even to service_role.
select pg_temp.act_as('service_role');
select throws_ok('select count(*) from cofre_private.secrets', '42501', 'permission denied for schema cofre_private',
                 'service_role cannot read cofre_private.secrets');
select pg_temp.act_as('admin_a');
select throws_ok('select count(*) from cofre_private.secrets', '42501', 'permission denied for schema cofre_private',
                 'an admin cannot read cofre_private.secrets');
select pg_temp.act_as('owner');

select * from finish();
rollback;
