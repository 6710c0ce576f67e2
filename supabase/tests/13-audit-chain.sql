-- Audit log: append-only for every role, hash-chained, and verify_audit_chain() detects an
-- edited, inserted or deleted row; secrets are redacted from details; retention by the owner
-- role only keeps the chain verifiable.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(24);

-- The shared fixture: two clinics, a member per role, their destinations, schedules, a
-- finished backup each, and pg_temp.act_as()/try() (see fixtures/cofre.psql).
\ir fixtures/cofre.psql

-- A few audited actions through the API, so the chain has a middle.
select pg_temp.act_as('admin_a');
select cofre.update_destination('000000da-0000-4000-8000-000000000000', 'Local A (NAS)');
select cofre.pause_schedule('0000005a-0000-4000-8000-000000000000');
select cofre.resume_schedule('0000005a-0000-4000-8000-000000000000');
select pg_temp.act_as('owner');

-- Runs p_sql as the owner with the audit guards off, then verifies the chain and rolls it all
-- back; returns verify_audit_chain()'s problem (or 'ok').
create function pg_temp.tamper(p_sql text) returns text language plpgsql as $fx$
declare
  v text;
begin
  begin
    alter table cofre.audit_log disable trigger user;
    execute p_sql;
    alter table cofre.audit_log enable trigger user;
    select case when c.ok then 'ok' else c.problem end into v from cofre.verify_audit_chain() c;
    raise exception '%', v using errcode = 'ZZ998';
  exception when sqlstate 'ZZ998' then
    return sqlerrm;
  end;
end;
$fx$;
create function pg_temp.nth(p_from_end integer) returns bigint language sql as $fx$
  select id from cofre.audit_log order by id desc offset p_from_end limit 1
$fx$;

create function pg_temp.oldest() returns bigint language sql as $fx$ select min(id) from cofre.audit_log $fx$;

select is((select ok from cofre.verify_audit_chain()), true, 'the untouched chain verifies');
select cmp_ok((select rows_checked from cofre.verify_audit_chain()), '>=', 5::bigint, 'the chain covers every row');
select is(pg_temp.tamper('select 1'), 'ok', 'disabling and re-enabling the guards alone changes nothing');

-- Tampering, each detected.
select is(pg_temp.tamper(format($$update cofre.audit_log set details = '{"name":"innocent"}' where id = %s$$, pg_temp.nth(2))),
  format('row %s was modified: its hash does not match its content', pg_temp.nth(2)), 'an edited row is detected');
select is(pg_temp.tamper(format($$update cofre.audit_log set actor_id = null where id = %s$$, pg_temp.nth(1))),
  format('row %s was modified: its hash does not match its content', pg_temp.nth(1)), 'a changed actor is detected');
select is(pg_temp.tamper(format($$delete from cofre.audit_log where id = %s$$, pg_temp.nth(2))),
  format('row %s follows row %s: rows are missing before it', pg_temp.nth(1), pg_temp.nth(2) - 1), 'a row deleted in the middle is detected');
select is(pg_temp.tamper(format($$delete from cofre.audit_log where id = %s$$, pg_temp.nth(0))),
  format('the chain ends at row %s but its head is row %s: rows were removed from the end or inserted', pg_temp.nth(1), pg_temp.nth(0)),
  'a row deleted at the end is detected');
select is(pg_temp.tamper(format($$
    insert into cofre.audit_log (id, tenant_id, actor_role, action, details, origin, prev_hash, row_hash)
    select h.id + 1, h.tenant_id, 'authenticated', 'backup.download', '{}', '{}', h.row_hash,
           cofre_private.audit_row_hash(h.row_hash, row(h.id + 1, h.tenant_id, h.occurred_at, null, 'authenticated',
             'backup.download', null, null, '{}', '{}', h.row_hash, null)::cofre.audit_log)
    from cofre.audit_log h where h.id = %s$$, pg_temp.nth(0))),
  format('the chain ends at row %s but its head is row %s: rows were removed from the end or inserted', pg_temp.nth(0) + 1, pg_temp.nth(0)),
  'a forged row appended with a correct hash is detected');
select is(pg_temp.tamper(format($$
    update cofre.audit_log set id = id + 1000000 where id = %1$s;
    update cofre.audit_log set id = %1$s where id = %1$s + 1000000$$, pg_temp.nth(0))),
  'ok', 'renumbering back and forth (no net change) still verifies');
select is(pg_temp.tamper($$delete from cofre.audit_log where id = (select min(id) from cofre.audit_log)$$),
  format('row %s follows row %s: rows are missing before it', pg_temp.oldest() + 1, pg_temp.oldest() - 1),
  'deleting the oldest row (bypassing retention) is detected');

-- Append-only, whoever asks.
select pg_temp.act_as('service_role');
select throws_ok('update cofre.audit_log set action = ''x.y''', '42501', 'permission denied for table audit_log', 'service_role cannot update the audit log');
select throws_ok('delete from cofre.audit_log', '42501', 'permission denied for table audit_log', 'service_role cannot delete from the audit log');
select throws_ok('truncate cofre.audit_log', '42501', 'permission denied for table audit_log', 'service_role cannot truncate the audit log');
select throws_ok('insert into cofre.audit_log (action) values (''x.y'')', '42501', 'permission denied for table audit_log', 'service_role cannot insert directly (only through record_audit_event)');
select throws_ok('select cofre_private.prune_audit_log(now())', '42501', 'permission denied for schema cofre_private', 'service_role cannot run retention');
select pg_temp.act_as('owner');
select throws_ok('update cofre.audit_log set action = ''x.y''', '42501', 'Cofre: the audit log is append-only', 'even the owner cannot update an audit row');
select throws_ok('delete from cofre.audit_log', '42501', 'Cofre: the audit log is append-only', 'even the owner cannot delete outside retention');
select throws_ok('truncate cofre.audit_log', '42501', 'Cofre: the audit log is append-only', 'even the owner cannot truncate');

-- Who, what, where from; secrets never land in details.
select pg_temp.act_as('service_role');
select set_config('request.headers', '{"x-forwarded-for":"203.0.113.9, 10.0.0.1","user-agent":"cofre-worker/1"}', true);
select cofre.record_audit_event('0000000a-0000-4000-8000-000000000000', 'backup.download', 'run', '000000ea-0000-4000-8000-000000000000',
  '{"password":"hunter2-hunter2","nested":{"api_key":"AKIA-SECRET-KEY","bucket":"b"},"secret_changed":true}');
select set_config('request.headers', '', true);
select pg_temp.act_as('owner');
select is((select details from cofre.audit_log order by id desc limit 1),
  '{"password":"**redacted**","nested":{"api_key":"**redacted**","bucket":"b"},"secret_changed":true}'::jsonb,
  'values of secret-named keys are redacted at any depth; flags are kept');
select is((select origin ->> 'ip' || ' ' || (origin ->> 'user_agent') || ' ' || actor_role from cofre.audit_log order by id desc limit 1),
  '203.0.113.9 cofre-worker/1 service_role', 'the request origin and the actor role are recorded');
select is((select actor_id::text || ' ' || action from cofre.audit_log where action = 'schedule.paused' order by id desc limit 1),
  '00000000-0000-4000-8000-0000000000a1 schedule.paused', 'an RPC records the signed-in user as the actor');

-- Retention (owner only) keeps the rest verifiable, and new rows chain on.
select cmp_ok(cofre_private.prune_audit_log(now() + interval '1 second'), '>=', 6::bigint, 'retention deletes the old rows');
select cofre.record_audit_event(null, 'audit.pruned');
select is((select ok from cofre.verify_audit_chain()), true, 'after retention the kept chain still verifies');
select is(pg_temp.tamper($$delete from cofre.audit_log$$),
  format('the chain ends at row %s but its head is row %s: rows were removed from the end or inserted',
         (select anchor_id from cofre_private.audit_chain), (select head_id from cofre_private.audit_chain)),
  'deleting every row left after retention is detected');

select * from finish();
rollback;
