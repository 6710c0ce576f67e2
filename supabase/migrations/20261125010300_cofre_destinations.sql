-- Cofre destinations and write-only secrets.
--
-- A destination is where backups are stored: local directory, S3, Google Drive, Dropbox, FTP,
-- SFTP, Storj. Its non-secret settings (bucket, region, host, port, path, …) are a jsonb the
-- tab can read. Its credentials (keys, passwords, OAuth refresh tokens, access grants) are
-- write-only: the browser sends them once through create_destination/update_destination; no
-- RPC, view, error message or audit row returns them; the tab sees secret_hint ("…a1b2") and
-- secret_set_at only. Schedules' encryption passphrases use the same store (20261125010400).
--
-- Store (local stack): cofre_private.secrets holds encrypt-then-MAC ciphertext —
-- AES-256-CBC (pgcrypto encrypt_iv, random 16-byte IV) + HMAC-SHA256 over key_id || iv ||
-- ciphertext, with the encryption and MAC keys derived from a 32-byte master key by
-- HMAC-SHA256. pgcrypto has no AES-GCM; encrypt-then-MAC gives the same guarantees
-- (confidentiality + integrity, checked before decrypting). The master keys live in
-- cofre_private.secret_keys, which no API role can reach; only cofre.reveal_secret_for_engine
-- (service_role, i.e. the Edge Functions and the worker) decrypts, and every decryption is
-- audited. Rotation: insert a new active key; new writes use it, old rows name their key_id.
--
-- Production (Supabase): cofre_private.store_secret / cofre_private.read_secret are the only two
-- functions that touch key material; on Supabase they map to vault.create_secret /
-- vault.update_secret (storing the returned vault id instead of the ciphertext) and
-- vault.decrypted_secrets. Callers do not change. (The Vault variant is not written yet.)

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
create table cofre_private.secret_keys (
  key_id text primary key default 'k' || to_char(clock_timestamp(), 'YYYYMMDDHH24MISS'),
  master_key bytea not null default extensions.gen_random_bytes(32) check (length(master_key) = 32),
  active boolean not null default true,
  created_at timestamptz not null default now()
);
comment on table cofre_private.secret_keys is
  'Master keys of the local secret store (32 random bytes each). Exactly one is active for new writes. Unreachable by every API role.';
create unique index secret_keys_one_active on cofre_private.secret_keys (active) where active;

insert into cofre_private.secret_keys (key_id) values ('k1');

create table cofre_private.secrets (
  owner_type text not null check (owner_type in ('destination', 'schedule')),
  owner_id uuid not null,
  tenant_id uuid not null references cofre.tenants (id) on delete cascade,
  key_id text not null references cofre_private.secret_keys (key_id),
  iv bytea not null,
  ciphertext bytea not null,
  mac bytea not null,
  set_at timestamptz not null default now(),
  set_by uuid,
  primary key (owner_type, owner_id)
);
comment on table cofre_private.secrets is
  'Write-only secrets (destination credentials, encryption passphrases), encrypted: AES-256-CBC + HMAC-SHA256 (encrypt-then-MAC) under a key of cofre_private.secret_keys.';

revoke all on table cofre_private.secret_keys, cofre_private.secrets from public, anon, authenticated, service_role;
alter table cofre_private.secret_keys enable row level security;
alter table cofre_private.secrets enable row level security;
-- No policies: only the owner (through the functions below) reads or writes them.

create function cofre_private.derive_key(p_master bytea, p_purpose text)
returns bytea
language sql
immutable
set search_path = ''
as $$
  select extensions.hmac(convert_to('cofre-secret-v1/' || p_purpose, 'UTF8'), p_master, 'sha256')
$$;
comment on function cofre_private.derive_key(bytea, text) is
  'Derives a 32-byte sub-key (purpose enc or mac) from a master key: HMAC-SHA256(master, "cofre-secret-v1/<purpose>").';
revoke execute on function cofre_private.derive_key(bytea, text) from public;

create function cofre_private.secret_hint(p_secret text)
returns text
language sql
immutable
set search_path = ''
as $$
  -- Last 4 characters of the secret (after trailing JSON punctuation), only when the secret is
  -- long enough (>= 16) that 4 characters reveal little; otherwise just the ellipsis.
  select case when length(v) >= 16 then '…' || right(v, 4) else '…' end
  from (select regexp_replace(p_secret, '[\s"}\]]+$', '') as v) s
$$;
comment on function cofre_private.secret_hint(text) is
  'The only thing the tab ever sees of a secret: "…" plus its last 4 characters when it has at least 16.';
revoke execute on function cofre_private.secret_hint(text) from public;

create function cofre_private.store_secret(
  p_tenant_id uuid, p_owner_type text, p_owner_id uuid, p_secret text
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key record;
  v_iv bytea := extensions.gen_random_bytes(16);
  v_ct bytea;
begin
  if p_secret is null or length(p_secret) not between 1 and 65536 then
    raise exception 'Cofre: a secret must have 1 to 65536 characters' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  select k.key_id, k.master_key into v_key from cofre_private.secret_keys k where k.active;
  v_ct := extensions.encrypt_iv(convert_to(p_secret, 'UTF8'), cofre_private.derive_key(v_key.master_key, 'enc'),
                                v_iv, 'aes-cbc/pad:pkcs');
  insert into cofre_private.secrets (owner_type, owner_id, tenant_id, key_id, iv, ciphertext, mac, set_by)
  values (p_owner_type, p_owner_id, p_tenant_id, v_key.key_id, v_iv, v_ct,
          extensions.hmac(convert_to(v_key.key_id, 'UTF8') || v_iv || v_ct,
                          cofre_private.derive_key(v_key.master_key, 'mac'), 'sha256'),
          auth.uid())
  on conflict (owner_type, owner_id) do update
    set key_id = excluded.key_id, iv = excluded.iv, ciphertext = excluded.ciphertext, mac = excluded.mac,
        set_at = now(), set_by = excluded.set_by;
end;
$$;
comment on function cofre_private.store_secret(uuid, text, uuid, text) is
  'Encrypts and stores (or replaces) the secret of a destination or schedule. Never logs or returns it. On Supabase: vault.create_secret/vault.update_secret.';
revoke execute on function cofre_private.store_secret(uuid, text, uuid, text) from public;

create function cofre_private.read_secret(p_owner_type text, p_owner_id uuid)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  s record;
  v_master bytea;
begin
  select * into s from cofre_private.secrets x where x.owner_type = p_owner_type and x.owner_id = p_owner_id;
  if not found then
    return null;
  end if;
  select k.master_key into v_master from cofre_private.secret_keys k where k.key_id = s.key_id;
  if extensions.hmac(convert_to(s.key_id, 'UTF8') || s.iv || s.ciphertext,
                     cofre_private.derive_key(v_master, 'mac'), 'sha256') <> s.mac then
    raise exception 'Cofre: a stored secret failed its integrity check' using errcode = 'XX001', hint = 'COFRE_SECRET_CORRUPT';
  end if;
  return convert_from(extensions.decrypt_iv(s.ciphertext, cofre_private.derive_key(v_master, 'enc'), s.iv,
                                            'aes-cbc/pad:pkcs'), 'UTF8');
end;
$$;
comment on function cofre_private.read_secret(text, uuid) is
  'Decrypts a stored secret after checking its MAC (XX001 if it was tampered with); null when none is set. On Supabase: vault.decrypted_secrets.';
revoke execute on function cofre_private.read_secret(text, uuid) from public;

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
  if p_kind = 's3' and p_settings ? 'storage_class' and p_settings ->> 'storage_class' not in
     ('STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE') then
    raise exception 'Cofre: unknown S3 storage class' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  return p_settings;
end;
$$;
comment on function cofre_private.validate_destination_settings(cofre.destination_kind, jsonb) is
  'Checks a destination''s non-secret settings for its kind (required keys, absolute local path, FTP/SFTP port, S3 storage class) and refuses any key that names a credential. Returns the settings.';
revoke execute on function cofre_private.validate_destination_settings(cofre.destination_kind, jsonb) from public;

create function cofre_private.destination_for_update(p_destination_id uuid, p_min_role cofre.tenant_role)
returns cofre.destinations
language plpgsql
set search_path = ''
as $$
declare
  d cofre.destinations;
begin
  select * into d from cofre.destinations x where x.id = p_destination_id and x.deleted_at is null for update;
  -- Unknown, deleted and other clinics' destinations give the same error as a missing role.
  if not found then
    perform cofre.assert_role_on_tenant(null, p_min_role);
  end if;
  perform cofre.assert_role_on_tenant(d.tenant_id, p_min_role);
  return d;
end;
$$;
comment on function cofre_private.destination_for_update(uuid, cofre.tenant_role) is
  'Locks a live destination after checking the caller holds p_min_role in its tenant; raises the same 42501 for unknown, deleted and foreign destinations.';
revoke execute on function cofre_private.destination_for_update(uuid, cofre.tenant_role) from public;

-- ---------------------------------------------------------------------------------------------
-- API
-- ---------------------------------------------------------------------------------------------
create function cofre.create_destination(
  p_tenant_id uuid, p_name text, p_kind cofre.destination_kind, p_settings jsonb default '{}',
  p_secret text default null
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
  insert into cofre.destinations (id, tenant_id, name, kind, settings, created_by, secret_hint, secret_set_at)
  values (v_id, p_tenant_id, btrim(p_name), p_kind, p_settings, auth.uid(),
          case when p_secret is not null then cofre_private.secret_hint(p_secret) end,
          case when p_secret is not null then now() end);
  if p_secret is not null then
    perform cofre_private.store_secret(p_tenant_id, 'destination', v_id, p_secret);
  end if;
  perform cofre_private.audit(p_tenant_id, 'destination.created', 'destination', v_id::text,
    jsonb_build_object('name', btrim(p_name), 'kind', p_kind, 'settings', p_settings,
                       'secret_changed', p_secret is not null));
  return v_id;
end;
$$;
comment on function cofre.create_destination(uuid, text, cofre.destination_kind, jsonb, text) is
  'Adds a destination to a clinic: validated non-secret settings plus an optional write-only secret (credentials as text, e.g. a JSON document). Clinic admins only.';
revoke execute on function cofre.create_destination(uuid, text, cofre.destination_kind, jsonb, text) from public, anon, service_role;
grant execute on function cofre.create_destination(uuid, text, cofre.destination_kind, jsonb, text) to authenticated;

create function cofre.update_destination(
  p_destination_id uuid, p_name text default null, p_settings jsonb default null, p_secret text default null,
  p_enabled boolean default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  d cofre.destinations;
begin
  d := cofre_private.destination_for_update(p_destination_id, 'admin');
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
         enabled = coalesce(p_enabled, x.enabled),
         secret_hint = case when p_secret is not null then cofre_private.secret_hint(p_secret) else x.secret_hint end,
         secret_set_at = case when p_secret is not null then now() else x.secret_set_at end
   where x.id = d.id;
  if p_secret is not null then
    perform cofre_private.store_secret(d.tenant_id, 'destination', d.id, p_secret);
  end if;
  perform cofre_private.audit(d.tenant_id, 'destination.updated', 'destination', d.id::text,
    jsonb_strip_nulls(jsonb_build_object('name', p_name, 'settings', p_settings, 'enabled', p_enabled))
      || jsonb_build_object('secret_changed', p_secret is not null));
end;
$$;
comment on function cofre.update_destination(uuid, text, jsonb, text, boolean) is
  'Changes a destination''s name, settings, enabled flag and/or replaces its secret (null = keep). Clinic admins only.';
revoke execute on function cofre.update_destination(uuid, text, jsonb, text, boolean) from public, anon, service_role;
grant execute on function cofre.update_destination(uuid, text, jsonb, text, boolean) to authenticated;

create function cofre.delete_destination(p_destination_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  d cofre.destinations;
begin
  d := cofre_private.destination_for_update(p_destination_id, 'admin');
  update cofre.destinations x set deleted_at = now(), enabled = false, secret_hint = null, secret_set_at = null
   where x.id = d.id;
  delete from cofre_private.secrets s where s.owner_type = 'destination' and s.owner_id = d.id;
  perform cofre_private.audit(d.tenant_id, 'destination.deleted', 'destination', d.id::text,
    jsonb_build_object('name', d.name, 'kind', d.kind, 'secret_changed', d.secret_set_at is not null));
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
  d := cofre_private.destination_for_update(p_destination_id, 'operator');
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

create function cofre.reveal_secret_for_engine(p_owner_type text, p_owner_id uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_tenant uuid;
begin
  select s.tenant_id into v_tenant from cofre_private.secrets s
   where s.owner_type = p_owner_type and s.owner_id = p_owner_id;
  if v_tenant is null then
    return null;
  end if;
  perform cofre_private.audit(v_tenant, p_owner_type || '.secret_read', p_owner_type, p_owner_id::text, '{}');
  return cofre_private.read_secret(p_owner_type, p_owner_id);
end;
$$;
comment on function cofre.reveal_secret_for_engine(text, uuid) is
  'Decrypts a destination''s credentials or a schedule''s passphrase for the Edge Functions and the worker (service_role only); every call is audited. Null when none is set.';
revoke execute on function cofre.reveal_secret_for_engine(text, uuid) from public, anon, authenticated;
grant execute on function cofre.reveal_secret_for_engine(text, uuid) to service_role;

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
