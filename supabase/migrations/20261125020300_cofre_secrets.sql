-- Cofre secrets: the service-role RPCs through which the Edge Functions store and read the
-- write-only secrets of destinations (credentials) and schedules (encryption passphrases).
-- The table cofre_private.secrets is in 20261125010300.
--
-- Flow. The browser never sends a secret to an RPC: it posts it to an Edge Function, which
--   1. verifies the caller's JWT (the user id it passes on as p_actor_id);
--   2. asks cofre.get_secret_store() which store this database has:
--      'vault'   — Supabase Vault is installed (vault.create_secret, vault.update_secret and
--                  vault.decrypted_secrets exist): it calls cofre.put_vault_secret with the
--                  plaintext, which Vault encrypts;
--      'aes_gcm' — otherwise (the local stack): it seals the secret itself with AES-256-GCM under
--                  COFRE_SECRET_KEY (packages/shared/src/secrets/), a key only the functions hold,
--                  and calls cofre.put_sealed_secret with key id, nonce and ciphertext;
--   3. each put_* checks that p_actor_id is an admin of the owner's clinic (the same 42501 for an
--      unknown owner, another clinic's owner and a too-small role), stores the secret, sets the
--      hint ("…" + last 4 characters, or "…") and set date the tab sees, and audits
--      <owner>.secret_changed without the secret.
-- The engine reads a secret back with cofre.read_secret_for_engine (audited): the sealed parts
-- (it opens them with the same key) or, with Vault, the decrypted text. Only service_role can
-- call any of these; no RPC the browser can call returns anything of a secret but its hint.
-- Caveat: with statement logging of bound parameters (log_statement = all, pgaudit with
-- parameters) the Vault path's plaintext would reach the server log; keep it off for these RPCs.

-- ---------------------------------------------------------------------------------------------
-- Internals
-- ---------------------------------------------------------------------------------------------
create function cofre_private.secret_owner_for_actor(p_owner_type text, p_owner_id uuid, p_actor_id uuid)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  v_tenant uuid;
begin
  if p_owner_type = 'destination' then
    select d.tenant_id into v_tenant from cofre.destinations d where d.id = p_owner_id and d.deleted_at is null;
  elsif p_owner_type = 'schedule' then
    select s.tenant_id into v_tenant from cofre.schedules s where s.id = p_owner_id;
  else
    raise exception 'Cofre: a secret belongs to a destination or a schedule' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  -- One role check whatever was found (unknown owner: a tenant that exists nowhere), one error.
  if not cofre_private.user_has_role(coalesce(v_tenant, '00000000-0000-0000-0000-000000000000'),
                                     coalesce(p_actor_id, '00000000-0000-0000-0000-000000000000'), 'admin') then
    raise exception 'Cofre: permission denied for this tenant' using errcode = '42501', hint = 'COFRE_FORBIDDEN';
  end if;
  return v_tenant;
end;
$$;
comment on function cofre_private.secret_owner_for_actor(text, uuid, uuid) is
  'The tenant of a live destination or schedule, after checking p_actor_id is one of its admins; 42501 "Cofre: permission denied for this tenant" for unknown owners, other clinics'' owners and smaller roles alike.';
revoke execute on function cofre_private.secret_owner_for_actor(text, uuid, uuid) from public;

create function cofre_private.check_secret_hint(p_hint text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_hint is null or p_hint !~ '^…(.{4})?$' then
    raise exception 'Cofre: a secret hint is "…" or "…" and 4 characters' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
end;
$$;
comment on function cofre_private.check_secret_hint(text) is
  'Refuses any hint but "…" or "…" + 4 characters (the functions compute it: last 4 characters of secrets of 16 or more).';
revoke execute on function cofre_private.check_secret_hint(text) from public;

create function cofre_private.secret_was_set(
  p_tenant_id uuid, p_owner_type text, p_owner_id uuid, p_actor_id uuid, p_hint text, p_store text, p_key_id text
)
returns timestamptz
language plpgsql
set search_path = ''
as $$
declare
  v_at timestamptz := now();
begin
  if p_owner_type = 'destination' then
    update cofre.destinations x set secret_hint = p_hint, secret_set_at = v_at where x.id = p_owner_id;
  else
    update cofre.schedules x set passphrase_hint = p_hint, passphrase_set_at = v_at where x.id = p_owner_id;
  end if;
  perform cofre_private.audit(p_tenant_id, p_owner_type || '.secret_changed', p_owner_type, p_owner_id::text,
    jsonb_build_object('acting_for', p_actor_id, 'store', p_store, 'key_id', p_key_id));
  return v_at;
end;
$$;
comment on function cofre_private.secret_was_set(uuid, text, uuid, uuid, text, text, text) is
  'After a secret is stored: shows its hint and date on the destination or schedule and audits <owner>.secret_changed (who for, which store and key id; never the secret).';
revoke execute on function cofre_private.secret_was_set(uuid, text, uuid, uuid, text, text, text) from public;

-- ---------------------------------------------------------------------------------------------
-- API for the Edge Functions (service_role)
-- ---------------------------------------------------------------------------------------------
-- security definer: the probe must see Vault's schema, which service_role may not be allowed to use.
create function cofre.get_secret_store()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select case when to_regprocedure('vault.create_secret(text, text, text, uuid)') is not null
               and to_regprocedure('vault.update_secret(uuid, text, text, text, uuid)') is not null
               and to_regclass('vault.decrypted_secrets') is not null
              then 'vault' else 'aes_gcm' end
$$;
comment on function cofre.get_secret_store() is
  'Which secret store this database offers: vault (Supabase Vault is installed) or aes_gcm (the functions seal secrets with AES-256-GCM under COFRE_SECRET_KEY). service_role only.';
revoke execute on function cofre.get_secret_store() from public, anon, authenticated;
grant execute on function cofre.get_secret_store() to service_role;

-- The checks both put RPCs make before storing, in this order: who may (the same 42501 for an
-- unknown owner and another clinic's), which store this database has, the hint.
create function cofre_private.secret_put_tenant(
  p_owner_type text, p_owner_id uuid, p_actor_id uuid, p_store text, p_hint text
)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  v_tenant uuid;
begin
  v_tenant := cofre_private.secret_owner_for_actor(p_owner_type, p_owner_id, p_actor_id);
  if cofre.get_secret_store() <> p_store then
    if p_store = 'aes_gcm' then
      raise exception 'Cofre: this database has Vault; store secrets with put_vault_secret'
        using errcode = '55000', hint = 'COFRE_WRONG_SECRET_STORE';
    end if;
    raise exception 'Cofre: Vault is not installed in this database; seal secrets with put_sealed_secret'
      using errcode = '55000', hint = 'COFRE_WRONG_SECRET_STORE';
  end if;
  perform cofre_private.check_secret_hint(p_hint);
  return v_tenant;
end;
$$;
comment on function cofre_private.secret_put_tenant(text, uuid, uuid, text, text) is
  'Before put_sealed_secret (p_store aes_gcm) and put_vault_secret (p_store vault) store a secret: the owner''s tenant after secret_owner_for_actor''s admin check, then 55000 COFRE_WRONG_SECRET_STORE when the database offers the other store, then the hint check.';
revoke execute on function cofre_private.secret_put_tenant(text, uuid, uuid, text, text) from public;

create function cofre.put_sealed_secret(
  p_owner_type text, p_owner_id uuid, p_actor_id uuid, p_hint text, p_key_id text, p_nonce text, p_ciphertext text
)
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_tenant uuid;
  v_nonce bytea;
  v_ct bytea;
begin
  v_tenant := cofre_private.secret_put_tenant(p_owner_type, p_owner_id, p_actor_id, 'aes_gcm', p_hint);
  if p_key_id is null or p_key_id !~ '^[A-Za-z0-9_.-]{1,64}$' then
    raise exception 'Cofre: a key id has 1 to 64 letters, digits, dots, dashes or underscores' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  begin
    v_nonce := decode(p_nonce, 'base64');
    v_ct := decode(p_ciphertext, 'base64');
  exception when others then
    v_nonce := null;
  end;
  if v_nonce is null or length(v_nonce) <> 12 or v_ct is null or length(v_ct) not between 17 and 131072 then
    raise exception 'Cofre: a sealed secret needs a 12-byte nonce and 17 to 131072 bytes of AES-GCM output, in base64'
      using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  perform cofre_private.forget_secret(p_owner_type, p_owner_id);
  insert into cofre_private.secrets (owner_type, owner_id, tenant_id, store, key_id, nonce, ciphertext, set_by)
  values (p_owner_type, p_owner_id, v_tenant, 'aes_gcm', p_key_id, v_nonce, v_ct, p_actor_id);
  return cofre_private.secret_was_set(v_tenant, p_owner_type, p_owner_id, p_actor_id, p_hint, 'aes_gcm', p_key_id);
end;
$$;
comment on function cofre.put_sealed_secret(text, uuid, uuid, text, text, text, text) is
  'Stores (or replaces) the AES-256-GCM-sealed secret of a destination or schedule on behalf of p_actor_id, who must be an admin of its clinic; sets the hint the tab sees and audits the change. Refused when the database has Vault. service_role only (the secrets Edge Function).';
revoke execute on function cofre.put_sealed_secret(text, uuid, uuid, text, text, text, text) from public, anon, authenticated;
grant execute on function cofre.put_sealed_secret(text, uuid, uuid, text, text, text, text) to service_role;

create function cofre.put_vault_secret(p_owner_type text, p_owner_id uuid, p_actor_id uuid, p_hint text, p_secret text)
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_tenant uuid;
  v_vault_id uuid;
begin
  v_tenant := cofre_private.secret_put_tenant(p_owner_type, p_owner_id, p_actor_id, 'vault', p_hint);
  if p_secret is null or length(p_secret) not between 1 and 65536 then
    raise exception 'Cofre: a secret must have 1 to 65536 characters' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  select s.vault_secret_id into v_vault_id from cofre_private.secrets s
   where s.owner_type = p_owner_type and s.owner_id = p_owner_id and s.store = 'vault';
  -- Vault's own API (supabase/vault: vault.create_secret / vault.update_secret). Dynamic, with
  -- the schema as a parameter, so it is resolved only where Vault exists (migrations and
  -- `supabase db lint` also pass where it is absent).
  if v_vault_id is not null then
    execute format('select %I.update_secret($1, $2)', 'vault') using v_vault_id, p_secret;
  else
    perform cofre_private.forget_secret(p_owner_type, p_owner_id);
    execute format('select %I.create_secret($1, $2, $3)', 'vault')
      into v_vault_id
      using p_secret, format('cofre/%s/%s', p_owner_type, p_owner_id), 'Cofre write-only secret';
    insert into cofre_private.secrets (owner_type, owner_id, tenant_id, store, vault_secret_id, set_by)
    values (p_owner_type, p_owner_id, v_tenant, 'vault', v_vault_id, p_actor_id);
  end if;
  update cofre_private.secrets s set set_at = now(), set_by = p_actor_id
   where s.owner_type = p_owner_type and s.owner_id = p_owner_id;
  return cofre_private.secret_was_set(v_tenant, p_owner_type, p_owner_id, p_actor_id, p_hint, 'vault', null);
end;
$$;
comment on function cofre.put_vault_secret(text, uuid, uuid, text, text) is
  'On Supabase: stores (or replaces) the secret of a destination or schedule in Vault on behalf of p_actor_id, who must be an admin of its clinic; sets the hint the tab sees and audits the change. Refused when Vault is not installed. service_role only (the secrets Edge Function).';
revoke execute on function cofre.put_vault_secret(text, uuid, uuid, text, text) from public, anon, authenticated;
grant execute on function cofre.put_vault_secret(text, uuid, uuid, text, text) to service_role;

create function cofre.read_secret_for_engine(p_owner_type text, p_owner_id uuid)
returns table (store text, key_id text, nonce text, ciphertext text, secret text, set_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
declare
  s cofre_private.secrets;
  v_secret text;
begin
  select * into s from cofre_private.secrets x where x.owner_type = p_owner_type and x.owner_id = p_owner_id;
  if not found then
    return;
  end if;
  if s.store = 'vault' then
    execute format('select decrypted_secret from %I.decrypted_secrets where id = $1', 'vault') into v_secret using s.vault_secret_id;
  end if;
  perform cofre_private.audit(s.tenant_id, p_owner_type || '.secret_read', p_owner_type, p_owner_id::text,
    jsonb_build_object('store', s.store, 'key_id', s.key_id));
  -- encode() wraps base64 at 76 characters; the functions expect it unwrapped.
  return query select s.store, s.key_id, translate(encode(s.nonce, 'base64'), E'\n', ''),
                      translate(encode(s.ciphertext, 'base64'), E'\n', ''), v_secret, s.set_at;
end;
$$;
comment on function cofre.read_secret_for_engine(text, uuid) is
  'For the engine (service_role only), audited: the sealed parts of a secret (store aes_gcm: key id, nonce, ciphertext in base64 — the functions open them with their key) or its Vault plaintext (store vault). No row when none is set.';
revoke execute on function cofre.read_secret_for_engine(text, uuid) from public, anon, authenticated;
grant execute on function cofre.read_secret_for_engine(text, uuid) to service_role;
