-- No inference through a different code path: for every RPC that takes an id, a caller with no
-- right on it (an authenticated non-member, another clinic's admin) must not be able to tell clinic
-- A's existing object from an id that exists nowhere — neither by the answer (11-rpc-matrix.sql
-- checks the error) nor by the work the database does, which is what timing would reveal.
--
-- Evidence, deterministic (no clock): each call runs in a rolled-back block between two reads of
-- this backend's own statistics for the current transaction —
--   pg_stat_xact_user_tables:    sequential and index scans started, per table;
--   pg_stat_xact_user_functions: calls per function of cofre / cofre_private (track_functions = all);
-- and the trace (answer + those deltas) for the existing object must equal the trace for the
-- unknown id. Counted: scans started and functions run — the statements executed. Not counted:
-- tuples an index scan returned (an index probe for an id fetches 1 tuple or 0; that is inside the
-- same statement). Each call is made twice first, so plan caching is the same for both.
-- A member with the right role takes a longer path for the existing object than for an unknown
-- one; the last tests check that the trace sees that difference (the instrument can fail).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
set local track_functions = 'all';

select plan(54);

\ir fixtures/cofre.psql

-- An awaiting restore of clinic A (for confirm/cancel), made by the owner inside each block.
create function pg_temp.awaiting_restore_sql() returns text language sql as $fx$
  select $s$insert into cofre.restores (id, tenant_id, backup_run_id, scope, status, confirmation_code)
            values ('0000ffa1-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000',
                    '000000ea-0000-4000-8000-000000000000', 'whole', 'awaiting_confirmation', '123456')$s$
$fx$;

-- This transaction's scan and call counters so far (pending, backend-local statistics).
create function pg_temp.counters() returns jsonb language sql as $fx$
  select coalesce((select jsonb_object_agg(format('table %s.%s', t.schemaname, t.relname), jsonb_build_array(t.seq_scan, t.idx_scan))
                     from pg_stat_xact_user_tables t where t.schemaname in ('cofre', 'cofre_private', 'auth', 'public')), '{}')
      || coalesce((select jsonb_object_agg(format('function %s.%s', f.schemaname, f.funcname), f.calls)
                     from pg_stat_xact_user_functions f where f.schemaname in ('cofre', 'cofre_private', 'auth')), '{}')
$fx$;

-- What changed between two counter readings (only what changed; counters never go down).
create function pg_temp.delta(p_before jsonb, p_after jsonb) returns jsonb language sql as $fx$
  select coalesce(jsonb_object_agg(k, case when jsonb_typeof(v) = 'array'
                                           then jsonb_build_array((v->>0)::bigint - coalesce((p_before->k->>0)::bigint, 0),
                                                                  (v->>1)::bigint - coalesce((p_before->k->>1)::bigint, 0))
                                           else to_jsonb((v #>> '{}')::bigint - coalesce((p_before->>k)::bigint, 0)) end), '{}')
    from jsonb_each(p_after) e(k, v)
   where v is distinct from p_before->k
$fx$;

-- Runs p_setup as the owner, then p_sql as p_who, and rolls both back; returns the answer
-- ('ok' or 'SQLSTATE: message') and the counters the call moved.
create function pg_temp.trace_as(p_setup text, p_who text, p_sql text) returns jsonb language plpgsql as $fx$
declare
  v_before jsonb;
  v_after jsonb;
  v_answer text;
begin
  begin
    if p_setup is not null then execute p_setup; end if;
    v_before := pg_temp.counters();
    perform pg_temp.act_as(p_who);
    begin
      execute p_sql;
      v_answer := 'ok';
    exception when others then
      v_answer := sqlstate || ': ' || sqlerrm;
    end;
    perform pg_temp.act_as('owner');
    v_after := pg_temp.counters();
    raise exception 'rollback' using errcode = 'ZZ999';
  exception when sqlstate 'ZZ999' then
    null;
  end;
  return jsonb_build_object('answer', v_answer, 'work', pg_temp.delta(v_before, v_after));
end;
$fx$;

-- The trace of the existing object next to the trace of an unknown id, after warming both up.
create function pg_temp.compare(p_setup text, p_who text, p_call text, p_existing text, p_unknown text)
returns table (existing jsonb, unknown jsonb) language plpgsql as $fx$
begin
  perform pg_temp.trace_as(p_setup, p_who, format(p_call, p_existing));
  perform pg_temp.trace_as(p_setup, p_who, format(p_call, p_unknown));
  perform pg_temp.trace_as(p_setup, p_who, format(p_call, p_existing));
  perform pg_temp.trace_as(p_setup, p_who, format(p_call, p_unknown));
  existing := pg_temp.trace_as(p_setup, p_who, format(p_call, p_existing));
  unknown := pg_temp.trace_as(p_setup, p_who, format(p_call, p_unknown));
  return next;
end;
$fx$;

create temp table cases (fn text, call text, existing text, setup text, who text) on commit drop;
insert into cases
select i.fn, i.call, i.existing, i.setup, w.persona
from (values
  -- Ids of clinic A's objects (tenant, destination, schedule, backup run, verification run, restore).
  ('update_tenant', $$select cofre.update_tenant(%L, 'x')$$, '0000000a-0000-4000-8000-000000000000', null::text),
  ('set_notification_settings', $$select cofre.set_notification_settings(%L, '{a@b.test}')$$, '0000000a-0000-4000-8000-000000000000', null),
  ('get_dashboard_summary', $$select cofre.get_dashboard_summary(%L)$$, '0000000a-0000-4000-8000-000000000000', null),
  ('list_audit_events', $$select * from cofre.list_audit_events(%L)$$, '0000000a-0000-4000-8000-000000000000', null),
  ('update_destination', $$select cofre.update_destination(%L, 'x')$$, '000000da-0000-4000-8000-000000000000', null),
  ('delete_destination', $$select cofre.delete_destination(%L)$$, '000000da-0000-4000-8000-000000000000', null),
  ('request_connection_test', $$select cofre.request_connection_test(%L)$$, '000000da-0000-4000-8000-000000000000', null),
  ('update_schedule', $$select cofre.update_schedule(%L, p_run_at => '03:00')$$, '0000005a-0000-4000-8000-000000000000', null),
  ('pause_schedule', $$select cofre.pause_schedule(%L)$$, '0000005a-0000-4000-8000-000000000000', null),
  ('resume_schedule', $$select cofre.resume_schedule(%L)$$, '0000005a-0000-4000-8000-000000000000', null),
  ('delete_schedule', $$select cofre.delete_schedule(%L)$$, '0000005a-0000-4000-8000-000000000000', null),
  ('start_verification', $$select cofre.start_verification(%L)$$, '000000ea-0000-4000-8000-000000000000', null),
  ('cancel_run', $$select cofre.cancel_run(%L)$$, '000000ea-0000-4000-8000-000000000000', null),
  ('get_backup', $$select cofre.get_backup(%L)$$, '000000ea-0000-4000-8000-000000000000', null),
  ('get_backup_diff', $$select * from cofre.get_backup_diff(%1$L, %1$L)$$, '000000ea-0000-4000-8000-000000000000', null),
  ('start_restore', $$select cofre.start_restore(%L)$$, '000000ea-0000-4000-8000-000000000000', null),
  ('confirm_restore', $$select cofre.confirm_restore(%L, '123456')$$, '0000ffa1-0000-4000-8000-000000000000', pg_temp.awaiting_restore_sql()),
  ('cancel_restore', $$select cofre.cancel_restore(%L)$$, '0000ffa1-0000-4000-8000-000000000000', pg_temp.awaiting_restore_sql())
) i(fn, call, existing, setup)
cross join (values ('outsider'), ('admin_b')) w(persona)
union all
-- Clinic A's ids inside clinic B's own calls (admin_b is allowed on clinic B, so these get past the role check).
select i.fn, i.call, i.existing, null, 'admin_b'
from (values
  ('start_backup (schedule)', $$select cofre.start_backup('0000000b-0000-4000-8000-000000000000', p_schedule_id => %L)$$, '0000005a-0000-4000-8000-000000000000'),
  ('start_backup (destinations)', $$select cofre.start_backup('0000000b-0000-4000-8000-000000000000', %s)$$, '''{000000da-0000-4000-8000-000000000000}'''),
  ('create_schedule (destinations)', $$select cofre.create_schedule('0000000b-0000-4000-8000-000000000000', 'Steal', 'full', 'daily', '02:00', %s)$$, '''{000000da-0000-4000-8000-000000000000}'''),
  ('update_schedule (destinations)', $$select cofre.update_schedule('0000005b-0000-4000-8000-000000000000', p_destination_ids => %s)$$, '''{000000da-0000-4000-8000-000000000000}'''),
  ('list_backups (destination filter)', $$select * from cofre.list_backups('0000000b-0000-4000-8000-000000000000', p_destination_id => %L)$$, '000000da-0000-4000-8000-000000000000')
) i(fn, call, existing);

create temp table traces on commit drop as
select c.fn, c.who, t.existing, t.unknown
from cases c,
     lateral pg_temp.compare(c.setup, c.who, c.call, c.existing,
                             case when c.existing like '''%' then '''{0000dead-0000-4000-8000-000000000000}''' else '0000dead-0000-4000-8000-000000000000' end) t;

-- 1. Same answer and same work, per RPC and persona (36 + 5 cells).
select is(t.existing, t.unknown, format('%s: %s — clinic A''s object and an unknown id give the same answer and the same scans and calls', t.fn, t.who))
from traces t order by t.fn, t.who;

-- 2. The secret RPCs act for a named user (service_role calls them for the save-secret function).
select is(e.existing, e.unknown, format('put_sealed_secret acting for %s: clinic A''s destination and an unknown id give the same answer and work', a.who))
from (values ('00000000-0000-4000-8000-0000000000b1', 'clinic B''s admin'), ('00000000-0000-4000-8000-0000000000f0', 'a non-member')) a(actor, who),
     lateral pg_temp.compare(null, 'service_role',
       format($$select cofre.put_sealed_secret('destination', %%L, %L, '…', 'k1', 'AAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAAA')$$, a.actor),
       '000000da-0000-4000-8000-000000000000', '0000dead-0000-4000-8000-000000000000') e;

-- 3. The answers are the denials the API promises (not accidental equality of two successes).
select is(t.existing->>'answer', x.answer, format('%s: %s is refused with %s', t.fn, t.who, x.answer))
from traces t join (values
  ('update_destination', '42501: Cofre: permission denied for this tenant'),
  ('update_schedule', '42501: Cofre: permission denied for this tenant'),
  ('cancel_run', '42501: Cofre: permission denied for this tenant'),
  ('cancel_restore', '42501: Cofre: permission denied for this tenant'),
  ('get_backup', 'P0002: Cofre: backup not found'),
  ('get_backup_diff', 'P0002: Cofre: backup not found'),
  ('start_backup (schedule)', 'P0002: Cofre: schedule not found'),
  ('start_backup (destinations)', '22023: Cofre: unknown destination')
) x(fn, answer) on x.fn = t.fn
where t.who = 'admin_b' order by t.fn;

-- 4. The trace sees work: the lookup of the object and the role check are in it.
select ok((t.existing->'work') ? 'table cofre.destinations' and (t.existing->'work') ? 'table cofre.tenant_members',
          'update_destination: the trace records the destination lookup and the membership lookup')
from traces t where t.fn = 'update_destination' and t.who = 'admin_b';

-- 5. The instrument can fail: for a member allowed on the object, the existing object takes a
--    different path (it is read, locked and changed) than an unknown id (refused).
select isnt(e.existing->'work', e.unknown->'work', format('%s: clinic A''s admin does different work for the existing object (the trace tells paths apart)', e.fn))
from (values
  ('update_destination', $$select cofre.update_destination(%L, 'x')$$, '000000da-0000-4000-8000-000000000000'),
  ('get_backup', $$select cofre.get_backup(%L)$$, '000000ea-0000-4000-8000-000000000000')
) i(fn, call, existing),
lateral (select i.fn, c.existing, c.unknown from pg_temp.compare(null, 'admin_a', i.call, i.existing, '0000dead-0000-4000-8000-000000000000') c) e;

select * from finish();
rollback;
