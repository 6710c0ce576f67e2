-- Host-app hook: a host app (Ortho+) maps its own clinics and staff by replacing
-- cofre_private.host_tenant_role; the replacement is honoured by every policy and RPC.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(5);

-- ---------------------------------------------------------------------------------------------
-- Fixture (identical in every 1x test file): two clinics, one member per role in clinic A, an
-- admin of clinic B, an authenticated non-member; a destination, a schedule, a finished
-- backup with one artifact in each clinic. pg_temp.act_as() switches identity exactly as
-- PostgREST does: set_config('role', …, true) and set_config('request.jwt.claims', …, true).
-- ---------------------------------------------------------------------------------------------
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000000a1', 'admin.a@clinic-a.test'),
  ('00000000-0000-4000-8000-0000000000a2', 'operator.a@clinic-a.test'),
  ('00000000-0000-4000-8000-0000000000a3', 'viewer.a@clinic-a.test'),
  ('00000000-0000-4000-8000-0000000000b1', 'admin.b@clinic-b.test'),
  ('00000000-0000-4000-8000-0000000000f0', 'outsider@nowhere.test');
insert into cofre.tenants (id, name, external_ref) values
  ('0000000a-0000-4000-8000-000000000000', 'Clínica A', 'clinic-a'),
  ('0000000b-0000-4000-8000-000000000000', 'Clínica B', 'clinic-b');
insert into cofre.tenant_members (tenant_id, user_id, role) values
  ('0000000a-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a1', 'admin'),
  ('0000000a-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a2', 'operator'),
  ('0000000a-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a3', 'viewer'),
  ('0000000b-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000b1', 'admin');
insert into cofre.destinations (id, tenant_id, name, kind, settings) values
  ('000000da-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'Local A', 'local', '{"path":"/var/backups/a"}'),
  ('000000db-0000-4000-8000-000000000000', '0000000b-0000-4000-8000-000000000000', 'Local B', 'local', '{"path":"/var/backups/b"}');
insert into cofre.schedules (id, tenant_id, name, backup_type, frequency, run_at, next_run_at) values
  ('0000005a-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'Daily A', 'full', 'daily', '02:00', now() + interval '1 day'),
  ('0000005b-0000-4000-8000-000000000000', '0000000b-0000-4000-8000-000000000000', 'Daily B', 'full', 'daily', '02:00', now() + interval '1 day');
insert into cofre.schedule_destinations (tenant_id, schedule_id, destination_id) values
  ('0000000a-0000-4000-8000-000000000000', '0000005a-0000-4000-8000-000000000000', '000000da-0000-4000-8000-000000000000'),
  ('0000000b-0000-4000-8000-000000000000', '0000005b-0000-4000-8000-000000000000', '000000db-0000-4000-8000-000000000000');
insert into cofre.runs (id, tenant_id, backup_type, destination_ids, status, started_at, finished_at, bytes_read, bytes_written) values
  ('000000ea-0000-4000-8000-000000000000', '0000000a-0000-4000-8000-000000000000', 'full', '{000000da-0000-4000-8000-000000000000}', 'queued', null, null, 0, 0),
  ('000000eb-0000-4000-8000-000000000000', '0000000b-0000-4000-8000-000000000000', 'full', '{000000db-0000-4000-8000-000000000000}', 'queued', null, null, 0, 0);
update cofre.runs set status = 'running', started_at = now() - interval '10 minutes', bytes_read = 1000000, bytes_written = 350000
 where id in ('000000ea-0000-4000-8000-000000000000', '000000eb-0000-4000-8000-000000000000');
update cofre.runs set status = 'succeeded', finished_at = now() - interval '5 minutes'
 where id in ('000000ea-0000-4000-8000-000000000000', '000000eb-0000-4000-8000-000000000000');
insert into cofre.artifacts (tenant_id, run_id, destination_id, object_key, size_bytes, sha256, md5, status) values
  ('0000000a-0000-4000-8000-000000000000', '000000ea-0000-4000-8000-000000000000', '000000da-0000-4000-8000-000000000000',
   'a/full/vol-0001.zip', 350000, repeat('ab', 32), repeat('cd', 16), 'stored'),
  ('0000000b-0000-4000-8000-000000000000', '000000eb-0000-4000-8000-000000000000', '000000db-0000-4000-8000-000000000000',
   'b/full/vol-0001.zip', 350000, repeat('ab', 32), repeat('cd', 16), 'stored');
select cofre_private.audit('0000000a-0000-4000-8000-000000000000', 'fixture.created', 'tenant', 'a', '{}');
select cofre_private.audit('0000000b-0000-4000-8000-000000000000', 'fixture.created', 'tenant', 'b', '{}');

create function pg_temp.act_as(p_who text) returns void language plpgsql as $fx$
declare
  v_sub text := case p_who
    when 'admin_a' then '00000000-0000-4000-8000-0000000000a1' when 'operator_a' then '00000000-0000-4000-8000-0000000000a2'
    when 'viewer_a' then '00000000-0000-4000-8000-0000000000a3' when 'admin_b' then '00000000-0000-4000-8000-0000000000b1'
    when 'outsider' then '00000000-0000-4000-8000-0000000000f0' end;
begin
  perform set_config('role', 'none', true);
  if p_who = 'owner' then
    perform set_config('request.jwt.claims', '', true);
  elsif p_who = 'anon' then
    perform set_config('request.jwt.claims', '{"role":"anon"}', true);
    perform set_config('role', 'anon', true);
  elsif p_who = 'service_role' then
    perform set_config('request.jwt.claims', '{"role":"service_role"}', true);
    perform set_config('role', 'service_role', true);
  else
    perform set_config('request.jwt.claims', json_build_object('sub', v_sub, 'role', 'authenticated')::text, true);
    perform set_config('role', 'authenticated', true);
  end if;
end;
$fx$;

-- Runs p_sql and rolls its effects back; returns 'ok' or 'SQLSTATE: message'.
create function pg_temp.try(p_sql text) returns text language plpgsql as $fx$
begin
  begin
    execute p_sql;
    raise exception 'rollback' using errcode = 'ZZ999';
  exception when sqlstate 'ZZ999' then
    return 'ok';
  end;
exception when others then
  return sqlstate || ': ' || sqlerrm;
end;
$fx$;

-- The host app's own tables and its replacement of the hook (as its migration would do).
create table public.host_clinic_staff (clinic_ref text, user_id uuid, staff_role text);
alter table public.host_clinic_staff enable row level security;
insert into public.host_clinic_staff values ('clinic-a', '00000000-0000-4000-8000-0000000000f0', 'manager');
create or replace function cofre_private.host_tenant_role(p_tenant_id uuid, p_user_id uuid)
returns cofre.tenant_role language sql stable security definer set search_path = '' as $fx$
  select case s.staff_role when 'owner' then 'admin' when 'manager' then 'operator' else 'viewer' end::cofre.tenant_role
  from cofre.tenants t join public.host_clinic_staff s on s.clinic_ref = t.external_ref
  where t.id = p_tenant_id and s.user_id = p_user_id
$fx$;
revoke execute on function cofre_private.host_tenant_role(uuid, uuid) from public;

select pg_temp.act_as('outsider');
select ok(cofre.has_role_on_tenant('0000000a-0000-4000-8000-000000000000', 'operator'), 'a host-app manager is an operator of the mapped clinic');
select ok(not cofre.has_role_on_tenant('0000000a-0000-4000-8000-000000000000', 'admin'), '… and not an admin');
select is((select count(*) from cofre.runs), 1::bigint, 'RLS lets the mapped member see the clinic''s runs');
select lives_ok($$select cofre.start_backup('0000000a-0000-4000-8000-000000000000', '{000000da-0000-4000-8000-000000000000}')$$,
  'the mapped operator can start a backup');
select throws_ok($$select cofre.pause_schedule('0000005a-0000-4000-8000-000000000000')$$, '42501',
  'Cofre: permission denied for this tenant', 'the mapped operator cannot manage schedules');
select pg_temp.act_as('owner');

select * from finish();
rollback;
