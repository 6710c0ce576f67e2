-- Write-only secrets: destination credentials and encryption passphrases go in once, come back
-- out only to service_role (audited), never through a table, RPC answer, error or audit row.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(17);

-- The shared fixture: two clinics, a member per role, their destinations, schedules, a
-- finished backup each, and pg_temp.act_as()/try() (see fixtures/cofre.psql).
\ir fixtures/cofre.psql

create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;

select pg_temp.act_as('admin_a');
insert into ids values ('s3', cofre.create_destination('0000000a-0000-4000-8000-000000000000', 'S3 A', 's3',
  '{"bucket":"orthoplus-a","region":"sa-east-1","storage_class":"STANDARD_IA"}',
  '{"access_key_id":"AKIAIOSFODNN7EXAMPLE","secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"}'));
insert into ids values ('enc', cofre.create_schedule('0000000a-0000-4000-8000-000000000000', 'Encrypted A', 'full', 'daily', '02:00',
  array[(select id from ids where name = 's3')], p_encryption => true, p_passphrase => 'correct horse battery staple 7'));
select is((select secret_hint from cofre.destinations where id = (select id from ids where name = 's3')), '…EKEY',
  'the tab sees only the last 4 characters of a credential');
select isnt((select secret_set_at from cofre.destinations where id = (select id from ids where name = 's3')), null,
  'the tab sees when the credential was set');
select is((select passphrase_hint from cofre.schedules where id = (select id from ids where name = 'enc')), '…le 7',
  'the tab sees only a hint of the passphrase');
select throws_ok($$select cofre.create_destination('0000000a-0000-4000-8000-000000000000', 'Leaky', 's3',
    '{"bucket":"b","region":"r","secret_access_key":"wJalrXUtnFEMI"}')$$,
  '22023', 'Cofre: settings may not hold credentials (key "secret_access_key"); send them as the secret',
  'credentials are refused in the readable settings');
select throws_ok($$select cofre.create_schedule('0000000a-0000-4000-8000-000000000000', 'Weak', 'full', 'daily', '02:00',
    '{000000da-0000-4000-8000-000000000000}', p_encryption => true, p_passphrase => 'hunter2')$$,
  '22023', 'Cofre: the encryption passphrase must have 12 to 1024 characters',
  'a weak passphrase is refused without being echoed');
select throws_ok($$select cofre.create_schedule('0000000a-0000-4000-8000-000000000000', 'NoPass', 'full', 'daily', '02:00',
    '{000000da-0000-4000-8000-000000000000}', p_encryption => true)$$,
  '22023', 'Cofre: encrypted schedules need a passphrase', 'encryption without a passphrase is refused');
select pg_temp.act_as('owner');

-- Nowhere readable: no row of any Cofre table or the audit log, as service_role sees them.
select pg_temp.act_as('service_role');
create function pg_temp.tables_matching(p_pattern text) returns text language plpgsql as $fx$
declare
  t text;
  n bigint;
  v text := '';
begin
  foreach t in array array['tenants', 'tenant_members', 'audit_log', 'destinations', 'schedules',
                           'schedule_destinations', 'runs', 'artifacts'] loop
    execute format('select count(*) from cofre.%I x where to_jsonb(x)::text ~ %L', t, p_pattern) into n;
    if n > 0 then v := v || t || ' '; end if;
  end loop;
  return v;
end;
$fx$;
select is(pg_temp.tables_matching('(wJalrXUt|AKIAIOSFODNN|horse battery)'), '',
  'no table row (audit log included) holds a credential or a passphrase');
select is(pg_temp.tables_matching('(orthoplus-a|Encrypted A)'), 'audit_log destinations schedules ',
  '(the same scan does find the non-secret values)');
select pg_temp.act_as('owner');
select is((select count(*) from cofre_private.secrets s
            where position(convert_to('wJalrXUt', 'UTF8') in s.ciphertext) > 0
               or position(convert_to('horse', 'UTF8') in s.ciphertext) > 0), 0::bigint,
  'the store holds ciphertext, not plaintext');
select is((select count(*) from cofre_private.secrets s where length(s.iv) = 16 and length(s.mac) = 32), 2::bigint,
  'each secret has a random 16-byte IV and a 32-byte HMAC-SHA256');
select isnt((select count(distinct ciphertext) from cofre_private.secrets), 1::bigint, 'ciphertexts differ');

-- Out only to the engine, audited; integrity-checked.
select pg_temp.act_as('service_role');
select is(cofre.reveal_secret_for_engine('destination', (select id from ids where name = 's3')),
  '{"access_key_id":"AKIAIOSFODNN7EXAMPLE","secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"}',
  'service_role can decrypt a credential for the engine');
select is(cofre.reveal_secret_for_engine('schedule', (select id from ids where name = 'enc')), 'correct horse battery staple 7',
  'service_role can decrypt a passphrase for the engine');
select pg_temp.act_as('owner');
select is((select count(*) from cofre.audit_log where action in ('destination.secret_read', 'schedule.secret_read')), 2::bigint,
  'every decryption is audited');
update cofre_private.secrets set ciphertext = ciphertext || '\x00'::bytea where owner_id = (select id from ids where name = 's3');
select pg_temp.act_as('service_role');
select throws_ok(format($$select cofre.reveal_secret_for_engine('destination', %L)$$, (select id from ids where name = 's3')),
  'XX001', 'Cofre: a stored secret failed its integrity check', 'a tampered ciphertext is refused before decryption');

-- Replacing and deleting.
select pg_temp.act_as('admin_a');
select cofre.update_destination((select id from ids where name = 's3'), p_secret => 'short');
select is((select secret_hint from cofre.destinations where id = (select id from ids where name = 's3')), '…',
  'a short secret shows no characters at all');
select cofre.update_schedule((select id from ids where name = 'enc'), p_destination_ids => '{000000da-0000-4000-8000-000000000000}');
select cofre.delete_destination((select id from ids where name = 's3'));
select pg_temp.act_as('service_role');
select is(cofre.reveal_secret_for_engine('destination', (select id from ids where name = 's3')), null,
  'deleting a destination destroys its credential');
select pg_temp.act_as('owner');

select * from finish();
rollback;
