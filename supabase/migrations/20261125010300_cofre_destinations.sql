-- Cofre destinations and the write-only secret store.
--
-- A destination is where backups are stored: local directory, S3, Google Drive, Dropbox, FTP,
-- SFTP, Storj. Its non-secret settings (bucket, region, host, port, path, …) are a jsonb the
-- tab can read. Its credentials (keys, passwords, OAuth refresh tokens, access grants) are
-- write-only and never pass through an RPC the browser can call: the browser sends them to an
-- Edge Function, which encrypts them (AES-256-GCM, Web Crypto, packages/shared/src/secrets/)
-- under a key only the functions hold (COFRE_SECRET_KEY) and stores the ciphertext through the
-- service-role RPC cofre.put_sealed_secret — or, on Supabase, hands them to Vault through
-- cofre.put_vault_secret (20261125020300_cofre_secrets.sql). The database never holds the
-- local key, so nothing in it can decrypt a sealed secret. No RPC, view, error message or
-- audit row returns a secret; the tab sees secret_hint ("…a1b2") and secret_set_at only.
-- Schedules' encryption passphrases use the same store.

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------
create type cofre.destination_kind as enum ('local', 's3', 'google_drive', 'dropbox', 'ftp', 'sftp', 'storj');
comment on type cofre.destination_kind is 'Where a destination stores backups.';

create type cofre.connection_test_status as enum ('requested', 'succeeded', 'failed');
comment on type cofre.connection_test_status is 'State of the last connection test of a destination.';

-- ---------------------------------------------------------------------------------------------
-- Secret store (private)
-- ---------------------------------------------------------------------------------------------
-- One row per secret owner. store = 'aes_gcm': key_id names the functions' key, nonce is the
-- 12-byte GCM nonce, ciphertext is AES-256-GCM output (with its 16-byte tag) whose additional
-- data binds it to the owner (see packages/shared/src/secrets/seal.ts). store = 'vault':
-- vault_secret_id points into vault.secrets (Supabase Vault encrypts it).
create table cofre_private.secrets (
  owner_type text not null check (owner_type in ('destination', 'schedule')),
  owner_id uuid not null,
  tenant_id uuid not null references cofre.tenants (id) on delete cascade,
  store text not null check (store in ('aes_gcm', 'vault')),
  key_id text check (key_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  nonce bytea check (length(nonce) = 12),
  ciphertext bytea check (length(ciphertext) between 17 and 131072),
  vault_secret_id uuid,
  set_at timestamptz not null default now(),
  set_by uuid,
  primary key (owner_type, owner_id),
  check (case store
           when 'aes_gcm' then key_id is not null and nonce is not null and ciphertext is not null and vault_secret_id is null
           else vault_secret_id is not null and key_id is null and nonce is null and ciphertext is null end)
);
comment on table cofre_private.secrets is
  'Write-only secrets (destination credentials, encryption passphrases): AES-256-GCM ciphertext sealed by the Edge Functions under a key the database never sees (store aes_gcm), or a reference to Supabase Vault (store vault).';

revoke all on table cofre_private.secrets from public, anon, authenticated, service_role;
alter table cofre_private.secrets enable row level security;
-- No policies: only the owner (through the functions of 20261125020300) reads or writes it.

create function cofre_private.forget_secret(p_owner_type text, p_owner_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_vault_id uuid;
begin
  delete from cofre_private.secrets s where s.owner_type = p_owner_type and s.owner_id = p_owner_id
  returning s.vault_secret_id into v_vault_id;
  if not found then
    return false;
  end if;
  if v_vault_id is not null and to_regclass('vault.secrets') is not null then
    -- Vault has no delete function; its table is the documented way to remove a secret. The
    -- schema name is a parameter so the statement is only resolved where Vault exists (also for
    -- `supabase db lint`, whose plpgsql_check would otherwise flag it where Vault is absent).
    execute format('delete from %I.secrets where id = $1', 'vault') using v_vault_id;
  end if;
  return true;
end;
$$;
comment on function cofre_private.forget_secret(text, uuid) is
  'Destroys the secret of a destination or schedule (and its Vault entry, on Supabase). True when there was one.';
revoke execute on function cofre_private.forget_secret(text, uuid) from public;

-- ---------------------------------------------------------------------------------------------
-- Destinations
-- ---------------------------------------------------------------------------------------------
create table cofre.destinations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references cofre.tenants (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 120),
  kind cofre.destination_kind not null,
  settings jsonb not null default '{}'::jsonb check (jsonb_typeof(settings) = 'object'),
  enabled boolean not null default true,
  secret_hint text,
  secret_set_at timestamptz,
  test_status cofre.connection_test_status,
  test_requested_at timestamptz,
  tested_at timestamptz,
  test_message text,
  deleted_at timestamptz,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id)
);
comment on table cofre.destinations is
  'Where a clinic''s backups are stored, with non-secret settings only. The credentials are in cofre_private.secrets; secret_hint/secret_set_at are all the tab sees of them. Deleted destinations are kept (deleted_at) for the history of their artifacts.';
create unique index destinations_name_per_tenant on cofre.destinations (tenant_id, lower(name)) where deleted_at is null;

create trigger destinations_set_updated_at before update on cofre.destinations
  for each row execute function cofre_private.set_updated_at();

create function cofre_private.validate_destination_settings(p_kind cofre.destination_kind, p_settings jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_required text[];
  v_key text;
  v_port jsonb;
begin
  if p_settings is null or jsonb_typeof(p_settings) <> 'object' then
    raise exception 'Cofre: settings must be a JSON object' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  select k into v_key from jsonb_object_keys(p_settings) k
   where k ~* '(secret|password|passphrase|passwd|token|credential|access_grant|private_key|api_key|access_key)'
   limit 1;
  if v_key is not null then
    raise exception 'Cofre: settings may not hold credentials (key "%"); send them as the secret', v_key
      using errcode = '22023', hint = 'COFRE_SECRET_IN_SETTINGS';
  end if;
  v_required := case p_kind
    when 'local' then array['path']
    when 's3' then array['bucket', 'region']
    when 'google_drive' then array['folder_name']
    when 'dropbox' then array['path']
    when 'ftp' then array['host', 'port', 'username', 'remote_path']
    when 'sftp' then array['host', 'port', 'username', 'remote_path']
    when 'storj' then array['bucket']
  end;
  foreach v_key in array v_required loop
    if p_settings -> v_key is null or p_settings ->> v_key = '' then
      raise exception 'Cofre: % destinations need settings.%', p_kind, v_key
        using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
    end if;
  end loop;
  if p_kind = 'local' and left(p_settings ->> 'path', 1) <> '/' then
    raise exception 'Cofre: settings.path must be an absolute path' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_kind in ('ftp', 'sftp') then
    v_port := p_settings -> 'port';
    if jsonb_typeof(v_port) <> 'number' or (v_port)::text !~ '^[0-9]+$' or (v_port)::text::int not between 1 and 65535 then
      raise exception 'Cofre: settings.port must be an integer from 1 to 65535' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
    end if;
  end if;
  if p_settings ? 'offsite' and jsonb_typeof(p_settings -> 'offsite') <> 'boolean' then
    raise exception 'Cofre: settings.offsite must be true or false' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_kind = 's3' and p_settings ? 'storage_class' and p_settings ->> 'storage_class' not in
     ('STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE') then
    raise exception 'Cofre: unknown S3 storage class' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  return p_settings;
end;
$$;
comment on function cofre_private.validate_destination_settings(cofre.destination_kind, jsonb) is
  'Checks a destination''s non-secret settings for its kind (required keys, absolute local path, FTP/SFTP port, S3 storage class, boolean offsite) and refuses any key that names a credential. Returns the settings.';
revoke execute on function cofre_private.validate_destination_settings(cofre.destination_kind, jsonb) from public;

-- ---------------------------------------------------------------------------------------------
-- API
-- ---------------------------------------------------------------------------------------------
create function cofre.create_destination(
  p_tenant_id uuid, p_name text, p_kind cofre.destination_kind, p_settings jsonb default '{}'
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'admin');
  if p_name is null or length(btrim(p_name)) not between 1 and 120 then
    raise exception 'Cofre: destination name must have 1 to 120 characters' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_kind is null then
    raise exception 'Cofre: destination kind is required' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  perform cofre_private.validate_destination_settings(p_kind, p_settings);
  if exists (select 1 from cofre.destinations d
              where d.tenant_id = p_tenant_id and lower(d.name) = lower(btrim(p_name)) and d.deleted_at is null) then
    raise exception 'Cofre: a destination with this name already exists' using errcode = '23505', hint = 'COFRE_DUPLICATE';
  end if;
  v_id := gen_random_uuid();
  insert into cofre.destinations (id, tenant_id, name, kind, settings, created_by)
  values (v_id, p_tenant_id, btrim(p_name), p_kind, p_settings, auth.uid());
  perform cofre_private.audit(p_tenant_id, 'destination.created', 'destination', v_id::text,
    jsonb_build_object('name', btrim(p_name), 'kind', p_kind, 'settings', p_settings));
  return v_id;
end;
$$;
comment on function cofre.create_destination(uuid, text, cofre.destination_kind, jsonb) is
  'Adds a destination to a clinic with validated non-secret settings. Its credentials go separately to the secrets Edge Function (cofre.put_sealed_secret / put_vault_secret), never through this RPC. Clinic admins only.';
revoke execute on function cofre.create_destination(uuid, text, cofre.destination_kind, jsonb) from public, anon, service_role;
grant execute on function cofre.create_destination(uuid, text, cofre.destination_kind, jsonb) to authenticated;

create function cofre.update_destination(
  p_destination_id uuid, p_name text default null, p_settings jsonb default null, p_enabled boolean default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  d cofre.destinations;
begin
  d := cofre_private.lock_owned_row(null::cofre.destinations, p_destination_id, 'admin', p_live_only => true);
  if p_name is not null and length(btrim(p_name)) not between 1 and 120 then
    raise exception 'Cofre: destination name must have 1 to 120 characters' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_settings is not null then
    perform cofre_private.validate_destination_settings(d.kind, p_settings);
  end if;
  if p_name is not null and exists (select 1 from cofre.destinations x
      where x.tenant_id = d.tenant_id and x.id <> d.id and lower(x.name) = lower(btrim(p_name)) and x.deleted_at is null) then
    raise exception 'Cofre: a destination with this name already exists' using errcode = '23505', hint = 'COFRE_DUPLICATE';
  end if;
  update cofre.destinations x
     set name = coalesce(btrim(p_name), x.name),
         settings = coalesce(p_settings, x.settings),
         enabled = coalesce(p_enabled, x.enabled)
   where x.id = d.id;
  perform cofre_private.audit(d.tenant_id, 'destination.updated', 'destination', d.id::text,
    jsonb_strip_nulls(jsonb_build_object('name', p_name, 'settings', p_settings, 'enabled', p_enabled)));
end;
$$;
comment on function cofre.update_destination(uuid, text, jsonb, boolean) is
  'Changes a destination''s name, settings and/or enabled flag (null = keep). Its secret is replaced through the secrets Edge Function. Clinic admins only.';
revoke execute on function cofre.update_destination(uuid, text, jsonb, boolean) from public, anon, service_role;
grant execute on function cofre.update_destination(uuid, text, jsonb, boolean) to authenticated;

create function cofre.delete_destination(p_destination_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  d cofre.destinations;
begin
  d := cofre_private.lock_owned_row(null::cofre.destinations, p_destination_id, 'admin', p_live_only => true);
  update cofre.destinations x set deleted_at = now(), enabled = false, secret_hint = null, secret_set_at = null
   where x.id = d.id;
  perform cofre_private.audit(d.tenant_id, 'destination.deleted', 'destination', d.id::text,
    jsonb_build_object('name', d.name, 'kind', d.kind,
                       'secret_destroyed', cofre_private.forget_secret('destination', d.id)));
end;
$$;
comment on function cofre.delete_destination(uuid) is
  'Deletes a destination: its secret is destroyed, the row is kept (deleted_at) for the history of its artifacts. Refused while a schedule uses it. Clinic admins only.';
revoke execute on function cofre.delete_destination(uuid) from public, anon, service_role;
grant execute on function cofre.delete_destination(uuid) to authenticated;

create function cofre.request_connection_test(p_destination_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  d cofre.destinations;
begin
  d := cofre_private.lock_owned_row(null::cofre.destinations, p_destination_id, 'operator', p_live_only => true);
  update cofre.destinations x
     set test_status = 'requested', test_requested_at = now(), test_message = null
   where x.id = d.id;
  perform cofre_private.audit(d.tenant_id, 'destination.test_requested', 'destination', d.id::text, '{}');
end;
$$;
comment on function cofre.request_connection_test(uuid) is
  'Asks the engine to test a destination''s connection (it picks test_status = requested and reports with report_connection_test). Operators and admins.';
revoke execute on function cofre.request_connection_test(uuid) from public, anon, service_role;
grant execute on function cofre.request_connection_test(uuid) to authenticated;

create function cofre.report_connection_test(p_destination_id uuid, p_ok boolean, p_message text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_tenant uuid;
begin
  update cofre.destinations x
     set test_status = case when p_ok then 'succeeded' else 'failed' end::cofre.connection_test_status,
         tested_at = now(), test_message = left(p_message, 500)
   where x.id = p_destination_id
  returning x.tenant_id into v_tenant;
  if v_tenant is null then
    raise exception 'Cofre: destination not found' using errcode = 'P0002', hint = 'COFRE_NOT_FOUND';
  end if;
  perform cofre_private.audit(v_tenant, 'destination.tested', 'destination', p_destination_id::text,
    jsonb_build_object('ok', p_ok));
end;
$$;
comment on function cofre.report_connection_test(uuid, boolean, text) is
  'The engine''s answer to a connection test (service_role only). p_message must be a classified, secret-free error such as DESTINATION_AUTH.';
revoke execute on function cofre.report_connection_test(uuid, boolean, text) from public, anon, authenticated;
grant execute on function cofre.report_connection_test(uuid, boolean, text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Privileges and RLS
-- ---------------------------------------------------------------------------------------------
revoke all on table cofre.destinations from anon, authenticated;
grant select on table cofre.destinations to authenticated;
grant all on table cofre.destinations to service_role;

alter table cofre.destinations enable row level security;

create policy "Clinic members can see their destinations" on cofre.destinations
  for select to authenticated
  using (cofre.has_role_on_tenant(tenant_id, 'viewer'));
