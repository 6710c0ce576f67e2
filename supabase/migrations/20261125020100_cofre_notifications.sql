-- Cofre notifications: per clinic, who gets e-mails (addresses, language) and for which events
-- (backup succeeded, backup failed, corruption detected, weekly report); and the log of every
-- notification the engine sent or failed to send.
--
-- The engine (service_role) reads notification_settings to decide whom to write, sends through
-- its mail provider, and records each attempt with record_notification. Clinic admins manage the
-- settings (set_notification_settings) and read both tables; every settings change and every
-- notification is audited (notification.settings_changed, notification.sent/.failed).

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------
create type cofre.notification_event as enum ('backup_succeeded', 'backup_failed', 'corruption_detected', 'weekly_report');
comment on type cofre.notification_event is
  'What a clinic can be told about: a backup succeeded, a backup failed, a verification found corruption, the weekly report.';

create type cofre.notification_locale as enum ('pt-BR', 'en');
comment on type cofre.notification_locale is 'Language of a clinic''s notification e-mails.';

create type cofre.notification_status as enum ('sent', 'failed');
comment on type cofre.notification_status is 'Outcome of one notification attempt.';

-- ---------------------------------------------------------------------------------------------
-- Internals
-- ---------------------------------------------------------------------------------------------
create function cofre_private.is_email_list(p_emails text[])
returns boolean
language sql
immutable
set search_path = ''
as $$
  select p_emails is not null and cardinality(p_emails) between 1 and 20
     and not exists (select 1 from unnest(p_emails) e
                      where e is null or length(e) > 254
                         or e !~ '^[a-z0-9._%+''-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$')
     and cardinality(p_emails) = (select count(distinct e) from unnest(p_emails) e)
$$;
comment on function cofre_private.is_email_list(text[]) is
  'True for 1 to 20 distinct, lower-case, plausible e-mail addresses (local@domain.tld, at most 254 characters each).';
revoke execute on function cofre_private.is_email_list(text[]) from public;
grant execute on function cofre_private.is_email_list(text[]) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table cofre.notification_settings (
  tenant_id uuid primary key references cofre.tenants (id) on delete cascade,
  emails text[] not null check (cofre_private.is_email_list(emails)),
  locale cofre.notification_locale not null default 'pt-BR',
  events cofre.notification_event[] not null default '{backup_failed,corruption_detected,weekly_report}'
    check (cardinality(events) <= 4),
  enabled boolean not null default true,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table cofre.notification_settings is
  'Who a clinic''s notification e-mails go to, in which language, for which events, and whether they are on. One row per clinic; clinic admins only.';

create trigger notification_settings_set_updated_at before update on cofre.notification_settings
  for each row execute function cofre_private.set_updated_at();

create table cofre.notification_log (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references cofre.tenants (id) on delete cascade,
  event cofre.notification_event not null,
  run_id uuid,
  recipients text[] not null check (cardinality(recipients) between 1 and 20),
  locale cofre.notification_locale not null,
  status cofre.notification_status not null,
  provider_message_id text check (length(provider_message_id) <= 200),
  error_code text check (length(error_code) <= 100),
  created_at timestamptz not null default now(),
  foreign key (tenant_id, run_id) references cofre.runs (tenant_id, id) on delete set null (run_id)
);
comment on table cofre.notification_log is
  'Every notification the engine sent or failed to send: event, run, recipients, language, provider message id or classified error. Clinic admins only.';
create index notification_log_tenant_idx on cofre.notification_log (tenant_id, id desc);

-- ---------------------------------------------------------------------------------------------
-- API for the tab (clinic admins)
-- ---------------------------------------------------------------------------------------------
create function cofre.set_notification_settings(
  p_tenant_id uuid, p_emails text[], p_locale cofre.notification_locale default 'pt-BR',
  p_events cofre.notification_event[] default '{backup_failed,corruption_detected,weekly_report}',
  p_enabled boolean default true
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_emails text[];
  v_events cofre.notification_event[];
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'admin');
  select array_agg(distinct lower(btrim(e)) order by lower(btrim(e))) into v_emails from unnest(p_emails) e;
  if not cofre_private.is_email_list(v_emails) then
    raise exception 'Cofre: give 1 to 20 valid e-mail addresses' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_locale is null then
    raise exception 'Cofre: the language is required (pt-BR or en)' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_events is null or array_position(p_events, null) is not null then
    raise exception 'Cofre: events must be a list (possibly empty) of notification events' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  select coalesce(array_agg(distinct e order by e), '{}') into v_events from unnest(p_events) e;
  insert into cofre.notification_settings (tenant_id, emails, locale, events, enabled, updated_by)
  values (p_tenant_id, v_emails, p_locale, v_events, coalesce(p_enabled, true), auth.uid())
  on conflict (tenant_id) do update
    set emails = excluded.emails, locale = excluded.locale, events = excluded.events,
        enabled = excluded.enabled, updated_by = excluded.updated_by;
  perform cofre_private.audit(p_tenant_id, 'notification.settings_changed', 'tenant', p_tenant_id::text,
    jsonb_build_object('emails', v_emails, 'locale', p_locale, 'events', v_events, 'enabled', coalesce(p_enabled, true)));
end;
$$;
comment on function cofre.set_notification_settings(uuid, text[], cofre.notification_locale, cofre.notification_event[], boolean) is
  'Sets who receives a clinic''s notification e-mails (1 to 20 addresses, normalised to lower case), their language and events, and whether they are on. Clinic admins only.';
revoke execute on function cofre.set_notification_settings(uuid, text[], cofre.notification_locale, cofre.notification_event[], boolean) from public, anon, service_role;
grant execute on function cofre.set_notification_settings(uuid, text[], cofre.notification_locale, cofre.notification_event[], boolean) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- API for the engine (service_role)
-- ---------------------------------------------------------------------------------------------
create function cofre.record_notification(
  p_tenant_id uuid, p_event cofre.notification_event, p_run_id uuid, p_recipients text[],
  p_locale cofre.notification_locale, p_status cofre.notification_status,
  p_provider_message_id text default null, p_error_code text default null
)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id bigint;
begin
  if not exists (select 1 from cofre.tenants t where t.id = p_tenant_id) then
    raise exception 'Cofre: tenant not found' using errcode = 'P0002', hint = 'COFRE_NOT_FOUND';
  end if;
  if p_event is null or p_locale is null or p_status is null or not cofre_private.is_email_list(p_recipients) then
    raise exception 'Cofre: a notification needs an event, 1 to 20 recipients, a language and a status'
      using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_run_id is not null and not exists (select 1 from cofre.runs r where r.id = p_run_id and r.tenant_id = p_tenant_id) then
    raise exception 'Cofre: run not found' using errcode = 'P0002', hint = 'COFRE_NOT_FOUND';
  end if;
  insert into cofre.notification_log (tenant_id, event, run_id, recipients, locale, status, provider_message_id, error_code)
  values (p_tenant_id, p_event, p_run_id, p_recipients, p_locale, p_status, p_provider_message_id, p_error_code)
  returning id into v_id;
  perform cofre_private.audit(p_tenant_id, 'notification.' || p_status::text, 'notification', v_id::text,
    jsonb_build_object('event', p_event, 'run_id', p_run_id, 'recipients', cardinality(p_recipients),
                       'error_code', p_error_code));
  return v_id;
end;
$$;
comment on function cofre.record_notification(uuid, cofre.notification_event, uuid, text[], cofre.notification_locale, cofre.notification_status, text, text) is
  'The engine records one notification attempt (sent with the provider''s message id, or failed with a classified error code); audited. service_role only.';
revoke execute on function cofre.record_notification(uuid, cofre.notification_event, uuid, text[], cofre.notification_locale, cofre.notification_status, text, text) from public, anon, authenticated;
grant execute on function cofre.record_notification(uuid, cofre.notification_event, uuid, text[], cofre.notification_locale, cofre.notification_status, text, text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Privileges and RLS
-- ---------------------------------------------------------------------------------------------
revoke all on table cofre.notification_settings, cofre.notification_log from anon, authenticated;
grant select on table cofre.notification_settings, cofre.notification_log to authenticated;
grant all on table cofre.notification_settings, cofre.notification_log to service_role;

alter table cofre.notification_settings enable row level security;
alter table cofre.notification_log enable row level security;

create policy "Clinic admins can see their notification settings" on cofre.notification_settings
  for select to authenticated
  using (cofre.has_role_on_tenant(tenant_id, 'admin'));

create policy "Clinic admins can see their notification log" on cofre.notification_log
  for select to authenticated
  using (cofre.has_role_on_tenant(tenant_id, 'admin'));
