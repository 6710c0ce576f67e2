-- Notification settings (per clinic: e-mails, language, events) and the notification log, both
-- audited.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(11);

\ir fixtures/cofre.psql

select pg_temp.act_as('admin_a');
select lives_ok($$select cofre.set_notification_settings('0000000a-0000-4000-8000-000000000000',
    '{" Ops@Clinic-A.test ","dentist@clinic-a.test","ops@clinic-a.test"}', 'en', '{weekly_report,backup_failed,weekly_report}', true)$$,
  'an admin sets the notification settings');
select is((select array_to_string(emails, ',') || ' ' || locale || ' ' || array_to_string(events, ',') || ' ' || enabled
             from cofre.notification_settings where tenant_id = '0000000a-0000-4000-8000-000000000000'),
  'dentist@clinic-a.test,ops@clinic-a.test en backup_failed,weekly_report true',
  'addresses are trimmed, lower-cased and de-duplicated; events de-duplicated');
select throws_ok($$select cofre.set_notification_settings('0000000a-0000-4000-8000-000000000000', '{not-an-email}')$$,
  '22023', 'Cofre: give 1 to 20 valid e-mail addresses', 'a malformed address is refused');
select throws_ok($$select cofre.set_notification_settings('0000000a-0000-4000-8000-000000000000', '{}')$$,
  '22023', 'Cofre: give 1 to 20 valid e-mail addresses', 'at least one address');
select throws_ok(format('select cofre.set_notification_settings(%L, %L)', '0000000a-0000-4000-8000-000000000000',
    (select array_agg('u' || i || '@clinic-a.test') from generate_series(1, 21) i)),
  '22023', 'Cofre: give 1 to 20 valid e-mail addresses', 'at most 20 addresses');
select throws_ok($$select cofre.set_notification_settings('0000000a-0000-4000-8000-000000000000', '{a@b.test}', 'es')$$,
  '22P02', 'invalid input value for enum cofre.notification_locale: "es"', 'only pt-BR and en');
select lives_ok($$select cofre.set_notification_settings('0000000a-0000-4000-8000-000000000000', '{a@b.test}', 'pt-BR', '{}', false)$$,
  'notifications can be switched off with no events');
select pg_temp.act_as('owner');
select is((select count(*) from cofre.audit_log where action = 'notification.settings_changed'
             and tenant_id = '0000000a-0000-4000-8000-000000000000'), 2::bigint, 'every settings change is audited');

select pg_temp.act_as('service_role');
select isnt(cofre.record_notification('0000000a-0000-4000-8000-000000000000', 'corruption_detected', '000000ea-0000-4000-8000-000000000000',
  '{a@b.test}', 'pt-BR', 'sent', 're_123'), null, 'the engine records a sent notification');
select throws_ok($$select cofre.record_notification('0000000a-0000-4000-8000-000000000000', 'backup_failed', '000000eb-0000-4000-8000-000000000000',
    '{a@b.test}', 'pt-BR', 'sent')$$, 'P0002', 'Cofre: run not found', 'a notification cannot name another clinic''s run');
select pg_temp.act_as('owner');
select is((select action || ' ' || (details ->> 'event') || ' ' || (details ->> 'recipients') from cofre.audit_log
            where action like 'notification.sent' order by id desc limit 1),
  'notification.sent corruption_detected 1', 'sending is audited (event and number of recipients)');

select * from finish();
rollback;
