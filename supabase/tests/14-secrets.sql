-- Write-only secrets: destination credentials and encryption passphrases reach the database only
-- through service-role RPCs the Edge Functions call (sealed with AES-256-GCM by the functions, or
-- handed to Supabase Vault), come back only to service_role (audited), and never through a table,
-- a browser-callable RPC, an error or an audit row. The TypeScript side (sealing, opening,
-- tampering) is tested in test/secrets/.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(33);

-- The shared fixture: two clinics, a member per role, their destinations, schedules, a
-- finished backup each, and pg_temp.act_as()/try() (see fixtures/cofre.psql).
\ir fixtures/cofre.psql

create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- The browser path: no RPC it can call takes or returns a secret
-- ---------------------------------------------------------------------------------------------
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc p
      where p.pronamespace = 'cofre'::regnamespace
        and (has_function_privilege('authenticated', p.oid, 'execute') or has_function_privilege('anon', p.oid, 'execute'))
        and (p.prosrc ~* '(cofre_private\.secrets|\mvault\.|read_secret_for_engine|put_(sealed|vault)_secret)'
             or exists (select 1 from unnest(coalesce(p.proargnames, '{}')) a where a ~* '(secret|passphrase|password|credential)')) $$,
  'no RPC the browser can call takes a secret, touches the secret store or Vault'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc p
      where p.pronamespace = 'cofre'::regnamespace and p.proname ~ '(secret)'
        and (has_function_privilege('authenticated', p.oid, 'execute') or has_function_privilege('anon', p.oid, 'execute')) $$,
  'every secret RPC is closed to anon and authenticated'
);
select pg_temp.act_as('admin_a');
select throws_ok($$select cofre.create_destination('0000000a-0000-4000-8000-000000000000', 'Leaky', 's3',
    '{"bucket":"b","region":"r","secret_access_key":"wJalrXUtnFEMI"}')$$,
  '22023', 'Cofre: settings may not hold credentials (key "secret_access_key"); send them as the secret',
  'credentials are refused in the readable settings');

-- ---------------------------------------------------------------------------------------------
-- Local stack: AES-256-GCM sealed by the functions (store aes_gcm)
-- ---------------------------------------------------------------------------------------------
select pg_temp.act_as('admin_a');
insert into ids values ('s3', cofre.create_destination('0000000a-0000-4000-8000-000000000000', 'S3 A', 's3',
  '{"bucket":"orthoplus-a","region":"sa-east-1"}'));
insert into ids values ('enc', cofre.create_schedule('0000000a-0000-4000-8000-000000000000', 'Encrypted A', 'full', 'daily', '02:00',
  array[(select id from ids where name = 's3')], p_encryption => true));
select pg_temp.act_as('owner');
select is((select secret_hint from cofre.destinations where id = (select id from ids where name = 's3')), null,
  'a new destination has no secret yet');

select pg_temp.act_as('service_role');
select is(cofre.get_secret_store(), 'aes_gcm', 'without Vault the store is aes_gcm');
select isnt(cofre.put_sealed_secret('destination', (select id from ids where name = 's3'), '00000000-0000-4000-8000-0000000000a1',
  '…EKEY', 'k-test', encode('\x0102030405060708090a0b0c'::bytea, 'base64'), encode(convert_to('SEALED-BYTES-0123456789', 'UTF8'), 'base64')),
  null, 'the functions store a sealed credential for clinic A''s admin');
select pg_temp.act_as('viewer_a');
select is((select secret_hint || '|' || (secret_set_at is not null) from cofre.destinations where id = (select id from ids where name = 's3')),
  '…EKEY|true', 'the tab sees only the hint and that it was set');
select pg_temp.act_as('service_role');
select row_eq(format($$select store, key_id, nonce, ciphertext, secret from cofre.read_secret_for_engine('destination', %L)$$,
                     (select id from ids where name = 's3')),
  row('aes_gcm'::text, 'k-test'::text, encode('\x0102030405060708090a0b0c'::bytea, 'base64'),
      encode(convert_to('SEALED-BYTES-0123456789', 'UTF8'), 'base64'), null::text),
  'the engine gets back exactly the sealed parts (the database cannot open them)');
select is((select count(*) from cofre.read_secret_for_engine('destination', '000000da-0000-4000-8000-000000000000')), 0::bigint,
  'a destination without a secret gives no row');
select throws_ok(format($$select cofre.put_sealed_secret('destination', %L, '00000000-0000-4000-8000-0000000000a1',
    '…EKEYS', 'k-test', 'AQIDBAUGBwgJCgsM', 'AAAAAAAAAAAAAAAAAAAAAAAA')$$, (select id from ids where name = 's3')),
  '22023', 'Cofre: a secret hint is "…" or "…" and 4 characters', 'a hint longer than 4 characters is refused');
select throws_ok(format($$select cofre.put_sealed_secret('destination', %L, '00000000-0000-4000-8000-0000000000a1',
    '…', 'k-test', 'AQIDBAUGBwgJ', 'AAAAAAAAAAAAAAAAAAAAAAAA')$$, (select id from ids where name = 's3')),
  '22023', 'Cofre: a sealed secret needs a 12-byte nonce and 17 to 131072 bytes of AES-GCM output, in base64',
  'a nonce of the wrong length is refused');
select throws_ok(format($$select cofre.put_sealed_secret('destination', %L, '00000000-0000-4000-8000-0000000000a1',
    '…', 'k-test', 'not base64!', 'AAAAAAAAAAAAAAAAAAAAAAAA')$$, (select id from ids where name = 's3')),
  '22023', 'Cofre: a sealed secret needs a 12-byte nonce and 17 to 131072 bytes of AES-GCM output, in base64',
  'a nonce that is not base64 is refused');
select throws_ok(format($$select cofre.put_sealed_secret('tenant', %L, '00000000-0000-4000-8000-0000000000a1',
    '…', 'k-test', 'AQIDBAUGBwgJCgsM', 'AAAAAAAAAAAAAAAAAAAAAAAA')$$, (select id from ids where name = 's3')),
  '22023', 'Cofre: a secret belongs to a destination or a schedule', 'only destinations and schedules have secrets');

-- Encrypted schedules wait for their passphrase.
select pg_temp.act_as('operator_a');
select throws_ok(format($$select cofre.start_backup('0000000a-0000-4000-8000-000000000000', p_schedule_id => %L)$$, (select id from ids where name = 'enc')),
  '55000', 'Cofre: set the encryption passphrase of this schedule before it runs', 'an encrypted schedule does not run without its passphrase');
select pg_temp.act_as('service_role');
select isnt(cofre.put_sealed_secret('schedule', (select id from ids where name = 'enc'), '00000000-0000-4000-8000-0000000000a1',
  '…le 7', 'k-test', 'AQIDBAUGBwgJCgsM', encode(convert_to('SEALED-PASSPHRASE-BYTES', 'UTF8'), 'base64')), null,
  'the functions store a sealed passphrase');
select pg_temp.act_as('viewer_a');
select is((select passphrase_hint from cofre.schedules where id = (select id from ids where name = 'enc')), '…le 7',
  'the tab sees only the passphrase hint');
select pg_temp.act_as('operator_a');
select isnt(cofre.start_backup('0000000a-0000-4000-8000-000000000000', p_schedule_id => (select id from ids where name = 'enc')), null,
  'with its passphrase set, the encrypted schedule runs');
select pg_temp.act_as('owner');

-- Audit: changes and reads recorded, without secret material.
select is((select string_agg(action || ':' || (details ->> 'acting_for') || ':' || (details ->> 'store') || ':' || (details ->> 'key_id'), ',' order by id)
             from cofre.audit_log where action like '%.secret_changed'),
  'destination.secret_changed:00000000-0000-4000-8000-0000000000a1:aes_gcm:k-test,schedule.secret_changed:00000000-0000-4000-8000-0000000000a1:aes_gcm:k-test',
  'each secret change is audited with the admin it was made for, the store and the key id');
select is((select count(*) from cofre.audit_log where action = 'destination.secret_read'), 1::bigint,
  'each read by the engine that returns a secret is audited');

-- Nowhere readable: no row of any Cofre table or the audit log holds the secret material.
create function pg_temp.tables_matching(p_pattern text) returns text language plpgsql as $fx$
declare
  t text;
  n bigint;
  v text := '';
begin
  for t in select c.relname from pg_class c where c.relnamespace = 'cofre'::regnamespace and c.relkind = 'r' order by 1 loop
    execute format('select count(*) from cofre.%I x where to_jsonb(x)::text ~ %L', t, p_pattern) into n;
    if n > 0 then v := v || t || ' '; end if;
  end loop;
  return v;
end;
$fx$;
select is(pg_temp.tables_matching('(SEALED|U0VBTEVE|AQIDBAUGBwgJCgsM)'), '',
  'no table row (audit log included) holds a ciphertext, a nonce or its base64');
select is(pg_temp.tables_matching('(orthoplus-a|Encrypted A)'), 'audit_log destinations schedules ',
  '(the same scan does find the non-secret values)');

-- Deleting the owner destroys the secret.
select pg_temp.act_as('admin_a');
select cofre.update_schedule((select id from ids where name = 'enc'), p_destination_ids => '{000000da-0000-4000-8000-000000000000}');
select cofre.delete_destination((select id from ids where name = 's3'));
select pg_temp.act_as('service_role');
select is((select count(*) from cofre.read_secret_for_engine('destination', (select id from ids where name = 's3'))), 0::bigint,
  'deleting a destination destroys its credential');
select throws_ok(format($$select cofre.put_sealed_secret('destination', %L, '00000000-0000-4000-8000-0000000000a1',
    '…', 'k-test', 'AQIDBAUGBwgJCgsM', 'AAAAAAAAAAAAAAAAAAAAAAAA')$$, (select id from ids where name = 's3')),
  '42501', 'Cofre: permission denied for this tenant', 'a deleted destination takes no new secret');
select pg_temp.act_as('owner');

-- ---------------------------------------------------------------------------------------------
-- Supabase: Vault (store vault)
-- ---------------------------------------------------------------------------------------------
-- A stand-in for Supabase Vault with its public API as supabase/vault 0.3 defines it:
-- vault.secrets, vault.create_secret(new_secret, new_name, new_description, new_key_id) → uuid,
-- vault.update_secret(secret_id, new_secret, new_name, new_description, new_key_id) and the view
-- vault.decrypted_secrets(…, decrypted_secret). Real Vault encrypts with pgsodium (not installed
-- here); this stand-in encrypts with pgcrypto so the stored column is not plaintext either. It
-- exists only inside this test's transaction.
create schema vault;
create table vault.secrets (
  id uuid primary key default gen_random_uuid(), name text, description text not null default '',
  secret text not null, key_id uuid, nonce bytea, created_at timestamptz not null default now(),
  updated_at timestamptz not null default now());
create unique index on vault.secrets (name) where name is not null;
create view vault.decrypted_secrets as
  select s.id, s.name, s.description, s.secret,
         extensions.pgp_sym_decrypt(decode(s.secret, 'base64'), 'vault-test-key') as decrypted_secret,
         s.key_id, s.nonce, s.created_at, s.updated_at
    from vault.secrets s;
create function vault.create_secret(new_secret text, new_name text = null, new_description text = '', new_key_id uuid = null)
returns uuid language sql as $fx$
  insert into vault.secrets (secret, name, description)
  values (encode(extensions.pgp_sym_encrypt(new_secret, 'vault-test-key'), 'base64'), new_name, new_description)
  returning id
$fx$;
create function vault.update_secret(secret_id uuid, new_secret text = null, new_name text = null,
                                    new_description text = null, new_key_id uuid = null)
returns void language sql as $fx$
  update vault.secrets s
     set secret = coalesce(encode(extensions.pgp_sym_encrypt(new_secret, 'vault-test-key'), 'base64'), s.secret),
         name = coalesce(new_name, s.name), description = coalesce(new_description, s.description), updated_at = now()
   where s.id = secret_id
$fx$;

select pg_temp.act_as('service_role');
select is(cofre.get_secret_store(), 'vault', 'with Vault''s API present the store is vault');
select throws_ok($$select cofre.put_sealed_secret('destination', '000000da-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a1',
    '…', 'k-test', 'AQIDBAUGBwgJCgsM', 'AAAAAAAAAAAAAAAAAAAAAAAA')$$,
  '55000', 'Cofre: this database has Vault; store secrets with put_vault_secret', 'with Vault, sealed secrets are refused');
select isnt(cofre.put_vault_secret('destination', '000000da-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a1',
  '…wxyz', '{"password":"VAULTED-PASSWORD-uvwxyz"}'), null, 'the functions store a credential in Vault');
select pg_temp.act_as('owner');
select is((select count(*) from vault.secrets where name = 'cofre/destination/000000da-0000-4000-8000-000000000000'), 1::bigint,
  'Vault holds it under the name cofre/destination/<id>');
select is((select count(*) from vault.secrets where secret ~ 'VAULTED'), 0::bigint, '(encrypted in Vault''s table)');
select pg_temp.act_as('service_role');
select is((select store || ':' || secret from cofre.read_secret_for_engine('destination', '000000da-0000-4000-8000-000000000000')),
  'vault:{"password":"VAULTED-PASSWORD-uvwxyz"}', 'the engine reads it back through vault.decrypted_secrets');
select cofre.put_vault_secret('destination', '000000da-0000-4000-8000-000000000000', '00000000-0000-4000-8000-0000000000a1',
  '…2345', '{"password":"REPLACED-012345"}');
select is((select secret from cofre.read_secret_for_engine('destination', '000000da-0000-4000-8000-000000000000')),
  '{"password":"REPLACED-012345"}', 'replacing updates the same Vault secret …');
select pg_temp.act_as('owner');
select is((select count(*) from vault.secrets), 1::bigint, '… without leaving the old one behind');
select is(pg_temp.tables_matching('(VAULTED|REPLACED)'), '', 'no Cofre table or audit row holds the Vault plaintext');
delete from cofre.schedule_destinations where destination_id = '000000da-0000-4000-8000-000000000000';
select pg_temp.act_as('admin_a');
select cofre.delete_destination('000000da-0000-4000-8000-000000000000');
select pg_temp.act_as('owner');
select is((select count(*) from vault.secrets), 0::bigint, 'deleting the destination deletes its Vault secret');

select * from finish();
rollback;
