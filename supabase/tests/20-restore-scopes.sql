-- Restore scopes in a shared project: clinics share one database, so a restore of scope whole or
-- tables rewrites every clinic's rows and belongs to the project owner (service_role) alone; a
-- clinic's admin restores only its own rows (scope tenant). Matrix: start_restore, confirm_restore
-- and cancel_restore × scope {whole, tables, tenant} × {anon, authenticated non-member, viewer,
-- operator, admin of another clinic, admin, service_role}, each cell on the exact
-- 'SQLSTATE: message' (or success), rolled back per cell.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(70);

\ir fixtures/cofre.psql

-- An awaiting restore of clinic A's backup of the given scope, made by the owner inside a cell.
create function pg_temp.awaiting_restore_sql(p_scope text) returns text language sql as $fx$
  select format($s$insert into cofre.restores (id, tenant_id, backup_run_id, scope, tables, status, confirmation_code)
                    values ('0000ffa1-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000',
                            '000000ea-0000-4000-8000-000000000000', %L, %L, 'awaiting_confirmation', '123456')$s$,
                p_scope, case when p_scope = 'tables' then '{public.patients}' end)
$fx$;

-- 1. The matrix (3 RPCs × 3 scopes × 7 personas = 63 cells).
with rpc(fn, call, setup) as (
  select 'start_restore', format($$select cofre.start_restore('000000ea-0000-4000-8000-000000000000', %L, %L)$$,
                                 s.scope, case when s.scope = 'tables' then '{public.patients}' end), null, s.scope
    from (values ('whole'), ('tables'), ('tenant')) s(scope)
  union all
  select 'confirm_restore', $$select cofre.confirm_restore('0000ffa1-0000-4000-8000-000000000000', '123456')$$,
         pg_temp.awaiting_restore_sql(s.scope), s.scope
    from (values ('whole'), ('tables'), ('tenant')) s(scope)
  union all
  select 'cancel_restore', $$select cofre.cancel_restore('0000ffa1-0000-4000-8000-000000000000')$$,
         pg_temp.awaiting_restore_sql(s.scope), s.scope
    from (values ('whole'), ('tables'), ('tenant')) s(scope)
), cells(fn, call, setup, scope) as (select * from rpc),
who(persona) as (values ('anon'), ('outsider'), ('admin_b'), ('viewer_a'), ('operator_a'), ('admin_a'), ('service_role')),
expected as (
  select c.*, w.persona,
    case
      when w.persona = 'anon' then '42501: permission denied for schema cofre'
      when w.persona = 'service_role' then 'ok'
      when w.persona <> 'admin_a' then '42501: Cofre: permission denied for this tenant'
      when c.scope = 'tenant' then 'ok'
      else '42501: Cofre: only the project owner (service_role) can restore the whole database or selected tables; a clinic restores its own rows (scope tenant)'
    end as answer
  from cells c cross join who w
)
select is(pg_temp.try_as(e.setup, e.persona, e.call), e.answer,
          format('%s scope %s: %s %s', e.fn, e.scope, e.persona,
                 case when e.answer = 'ok' then 'succeeds' else 'is refused (' || e.answer || ')' end))
from expected e order by e.fn, e.scope, e.persona;

-- 2. Only the database role counts: a signed-in admin whose JWT claims say service_role is not the owner.
select is(pg_temp.try_as(null, 'admin_a', $$select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-0000000000a1","role":"service_role"}', true);
                                            select cofre.start_restore('000000ea-0000-4000-8000-000000000000', 'whole')$$),
  '42501: Cofre: only the project owner (service_role) can restore the whole database or selected tables; a clinic restores its own rows (scope tenant)',
  'a service_role claim without the service_role database role does not make the owner');

-- 3. The clinic check comes before the scope check: another clinic's admin cannot tell an
--    owner-scope restore of clinic A from a restore that exists nowhere.
select is(pg_temp.try_as(pg_temp.awaiting_restore_sql('whole'), 'admin_b', $$select cofre.confirm_restore('0000ffa1-0000-4000-8000-000000000000', '123456')$$),
          pg_temp.try_as(null, 'admin_b', $$select cofre.confirm_restore('0000dead-0000-4000-8000-000000000000', '123456')$$),
          'confirm_restore: clinic B''s admin gets the same answer for clinic A''s whole restore as for an unknown id');

-- 4. The owner's unknown ids are refused like anyone's (one error for an id that exists nowhere).
select is(pg_temp.try_as(null, 'service_role', $$select cofre.start_restore('0000dead-0000-4000-8000-000000000000', 'whole')$$),
  '42501: Cofre: permission denied for this tenant', 'start_restore: the owner asking for an unknown backup is refused');

-- 5. What the owner's request leaves behind: a dry-run request of the backup's clinic, no user,
--    audited as service_role; the one-at-a-time rule holds for the clinic against it too.
select pg_temp.act_as('service_role');
create temp table owner_restore on commit drop as
  select cofre.start_restore('000000ea-0000-4000-8000-000000000000', 'whole') as id;
select pg_temp.act_as('owner');
select is((select r.tenant_id::text || ' ' || r.scope::text || ' ' || r.status::text || ' ' || coalesce(r.requested_by::text, 'no user')
             from cofre.restores r where r.id = (select id from owner_restore)),
  '0000000a-0000-4000-8000-000000000000 whole dry_run_requested no user', 'the owner''s whole restore is a dry-run request of the backup''s clinic');
select is((select a.actor_role || ' ' || (a.details ->> 'scope') from cofre.audit_log a
            where a.action = 'restore.requested' and a.target_id = (select id::text from owner_restore)),
  'service_role whole', 'the owner''s request is audited as service_role with its scope');
select is(pg_temp.try_as(null, 'admin_a', $$select cofre.start_restore('000000ea-0000-4000-8000-000000000000')$$),
  '55006: Cofre: a restore is already in progress for this clinic', 'the clinic cannot start another restore while the owner''s is in progress');
select is(pg_temp.try_as(null, 'admin_a', format($$select cofre.cancel_restore(%L)$$, (select id from owner_restore))),
  '42501: Cofre: only the project owner (service_role) can restore the whole database or selected tables; a clinic restores its own rows (scope tenant)',
  'nor cancel the owner''s whole restore');

select * from finish();
rollback;
