-- Cofre tenant and membership RPCs (the tables and the role helper are in 20261125010000).
--
-- Tenants are provisioned by the host app's backend (service_role): Ortho+ creates one per
-- clinic, passing its clinic id as external_ref. Clinic admins manage the members afterwards.
-- Every change is audited. A clinic always keeps at least one explicit admin.

-- ---------------------------------------------------------------------------------------------
-- Tenants
-- ---------------------------------------------------------------------------------------------
create function cofre.create_tenant(
  p_name text, p_external_ref text default null, p_time_zone text default 'America/Sao_Paulo',
  p_admin_user_id uuid default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  if p_name is null or length(btrim(p_name)) not between 1 and 200 then
    raise exception 'Cofre: tenant name must have 1 to 200 characters' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if not cofre_private.is_time_zone(coalesce(p_time_zone, '')) then
    raise exception 'Cofre: unknown time zone' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_admin_user_id is not null and not exists (select 1 from auth.users u where u.id = p_admin_user_id) then
    raise exception 'Cofre: unknown user' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  insert into cofre.tenants (name, external_ref, time_zone)
  values (btrim(p_name), p_external_ref, p_time_zone)
  returning id into v_id;
  if p_admin_user_id is not null then
    insert into cofre.tenant_members (tenant_id, user_id, role) values (v_id, p_admin_user_id, 'admin');
  end if;
  perform cofre_private.audit(v_id, 'tenant.created', 'tenant', v_id::text,
    jsonb_build_object('name', btrim(p_name), 'external_ref', p_external_ref, 'time_zone', p_time_zone,
                       'admin_user_id', p_admin_user_id));
  return v_id;
end;
$$;
comment on function cofre.create_tenant(text, text, text, uuid) is
  'Provisions a tenant (clinic), optionally with its first admin. For the host app''s backend: service_role only.';
revoke execute on function cofre.create_tenant(text, text, text, uuid) from public, anon, authenticated;
grant execute on function cofre.create_tenant(text, text, text, uuid) to service_role;

create function cofre.update_tenant(p_tenant_id uuid, p_name text default null, p_time_zone text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'admin');
  if p_name is not null and length(btrim(p_name)) not between 1 and 200 then
    raise exception 'Cofre: tenant name must have 1 to 200 characters' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_time_zone is not null and not cofre_private.is_time_zone(p_time_zone) then
    raise exception 'Cofre: unknown time zone' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  update cofre.tenants t
     set name = coalesce(btrim(p_name), t.name), time_zone = coalesce(p_time_zone, t.time_zone)
   where t.id = p_tenant_id;
  perform cofre_private.audit(p_tenant_id, 'tenant.updated', 'tenant', p_tenant_id::text,
    jsonb_strip_nulls(jsonb_build_object('name', p_name, 'time_zone', p_time_zone)));
end;
$$;
comment on function cofre.update_tenant(uuid, text, text) is
  'Renames a clinic or changes its time zone (schedules follow it). Clinic admins only.';
revoke execute on function cofre.update_tenant(uuid, text, text) from public, anon, service_role;
grant execute on function cofre.update_tenant(uuid, text, text) to authenticated;

create function cofre.list_my_tenants()
returns table (tenant_id uuid, name text, time_zone text, role cofre.tenant_role)
language sql
stable
set search_path = ''
as $$
  select t.id, t.name, t.time_zone,
         (select r from unnest(enum_range(null::cofre.tenant_role)) r
           where cofre.has_role_on_tenant(t.id, r) order by r desc limit 1)
  from cofre.tenants t
  order by t.name
$$;
comment on function cofre.list_my_tenants() is
  'The clinics the caller belongs to, with the caller''s effective role in each (RLS shows only those).';
revoke execute on function cofre.list_my_tenants() from public, anon, service_role;
grant execute on function cofre.list_my_tenants() to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Members
-- ---------------------------------------------------------------------------------------------
create function cofre_private.assert_keeps_an_admin(p_tenant_id uuid, p_user_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select 1 from cofre.tenant_members m
                  where m.tenant_id = p_tenant_id and m.role = 'admin' and m.user_id <> p_user_id) then
    raise exception 'Cofre: a clinic must keep at least one admin' using errcode = '23514', hint = 'COFRE_LAST_ADMIN';
  end if;
end;
$$;
comment on function cofre_private.assert_keeps_an_admin(uuid, uuid) is
  'Raises 23514 unless the tenant has an admin other than p_user_id (used before demoting or removing a member).';
revoke execute on function cofre_private.assert_keeps_an_admin(uuid, uuid) from public;

create function cofre.set_tenant_member(p_tenant_id uuid, p_user_id uuid, p_role cofre.tenant_role)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_old cofre.tenant_role;
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'admin');
  if p_user_id is null or p_role is null then
    raise exception 'Cofre: user and role are required' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if not exists (select 1 from auth.users u where u.id = p_user_id) then
    raise exception 'Cofre: unknown user' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  select m.role into v_old from cofre.tenant_members m where m.tenant_id = p_tenant_id and m.user_id = p_user_id
    for update;
  if v_old = 'admin' and p_role <> 'admin' then
    perform cofre_private.assert_keeps_an_admin(p_tenant_id, p_user_id);
  end if;
  insert into cofre.tenant_members (tenant_id, user_id, role) values (p_tenant_id, p_user_id, p_role)
  on conflict (user_id, tenant_id) do update set role = excluded.role;
  perform cofre_private.audit(p_tenant_id, case when v_old is null then 'member.added' else 'member.role_changed' end,
    'member', p_user_id::text, jsonb_build_object('role', p_role, 'previous_role', v_old));
end;
$$;
comment on function cofre.set_tenant_member(uuid, uuid, cofre.tenant_role) is
  'Adds a user to a clinic or changes their role (a clinic keeps at least one admin). Clinic admins only.';
revoke execute on function cofre.set_tenant_member(uuid, uuid, cofre.tenant_role) from public, anon, service_role;
grant execute on function cofre.set_tenant_member(uuid, uuid, cofre.tenant_role) to authenticated;

create function cofre.remove_tenant_member(p_tenant_id uuid, p_user_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_old cofre.tenant_role;
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'admin');
  select m.role into v_old from cofre.tenant_members m where m.tenant_id = p_tenant_id and m.user_id = p_user_id
    for update;
  if v_old is null then
    raise exception 'Cofre: member not found' using errcode = 'P0002', hint = 'COFRE_NOT_FOUND';
  end if;
  if v_old = 'admin' then
    perform cofre_private.assert_keeps_an_admin(p_tenant_id, p_user_id);
  end if;
  delete from cofre.tenant_members m where m.tenant_id = p_tenant_id and m.user_id = p_user_id;
  perform cofre_private.audit(p_tenant_id, 'member.removed', 'member', p_user_id::text,
    jsonb_build_object('previous_role', v_old));
end;
$$;
comment on function cofre.remove_tenant_member(uuid, uuid) is
  'Removes a user from a clinic (a clinic keeps at least one admin). Clinic admins only.';
revoke execute on function cofre.remove_tenant_member(uuid, uuid) from public, anon, service_role;
grant execute on function cofre.remove_tenant_member(uuid, uuid) to authenticated;
