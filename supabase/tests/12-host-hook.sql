-- Host-app hook: a host app (Ortho+) maps its own clinics and staff by replacing
-- cofre_private.host_tenant_role; the replacement is honoured by every policy and RPC.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(5);

-- The shared fixture: two clinics, a member per role, their destinations, schedules, a
-- finished backup each, and pg_temp.act_as()/try() (see fixtures/cofre.psql).
\ir fixtures/cofre.psql

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
