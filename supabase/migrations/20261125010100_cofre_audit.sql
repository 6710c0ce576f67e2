-- Cofre audit log: append-only and hash-chained (tamper-evident).
--
-- Every configuration change, secret change, backup start/cancel, restore, verification,
-- download and read of backup contents becomes one row: who (auth.uid() and JWT role), which
-- tenant, what (action, target, details), when, and the request origin (PostgREST's
-- request.headers: x-forwarded-for / x-real-ip, user-agent; request.method and request.path).
--
-- Chain: rows are numbered 1, 2, 3, … (id, gap-free, assigned under a lock by the insert
-- trigger, whatever the writer passed). Each row stores
--   prev_hash = row_hash of row id-1 (or the anchor for the first kept row)
--   row_hash  = sha256(prev_hash || convert_to(cofre_private.audit_canonical(row), 'UTF8'))
-- cofre_private.audit_chain keeps the head (last id and hash) and the anchor (the hash the
-- first kept row must point to: a fixed genesis value, moved forward only by retention).
-- verify_audit_chain() recomputes every hash, so an edited row, an inserted row, a deleted
-- row (middle: a gap / prev mismatch; end: head mismatch; start: anchor mismatch) are reported.
--
-- Append-only: no API role holds UPDATE, DELETE or TRUNCATE; triggers refuse them even for the
-- owner, except deletes by cofre_private.prune_audit_log (retention), which only the owner role
-- (postgres) can execute. Limits: a superuser can disable triggers and rewrite the whole chain;
-- publishing the head hash outside the database (backup manifests, the weekly report) makes
-- even that evident.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table cofre.audit_log (
  id bigint primary key,
  tenant_id uuid,
  occurred_at timestamptz not null default now(),
  actor_id uuid,
  actor_role text not null default 'unknown',
  action text not null check (action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
  target_type text,
  target_id text,
  details jsonb not null default '{}'::jsonb check (jsonb_typeof(details) = 'object'),
  origin jsonb not null default '{}'::jsonb check (jsonb_typeof(origin) = 'object'),
  prev_hash bytea not null,
  row_hash bytea not null
);
comment on table cofre.audit_log is
  'Append-only, hash-chained audit trail of every access to backups and every configuration or secret change. Never holds a secret. Read by clinic admins; verified by verify_audit_chain().';
create index audit_log_tenant_idx on cofre.audit_log (tenant_id, id desc);

create table cofre_private.audit_chain (
  singleton boolean primary key default true check (singleton),
  head_id bigint not null,
  head_hash bytea not null,
  anchor_id bigint not null,
  anchor_hash bytea not null
);
comment on table cofre_private.audit_chain is
  'The audit chain''s head (last id and row_hash) and anchor (the id and hash the first kept row follows; genesis until retention prunes rows).';

revoke all on table cofre_private.audit_chain from public, anon, authenticated, service_role;
alter table cofre_private.audit_chain enable row level security;
-- No policies: only the owner (through the chain trigger and prune_audit_log) touches it.

insert into cofre_private.audit_chain (head_id, head_hash, anchor_id, anchor_hash)
values (0, extensions.digest('cofre-audit-genesis', 'sha256'),
        0, extensions.digest('cofre-audit-genesis', 'sha256'));

-- ---------------------------------------------------------------------------------------------
-- Internals
-- ---------------------------------------------------------------------------------------------
create function cofre_private.audit_canonical(r cofre.audit_log)
returns text
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', r.id,
    'tenant_id', r.tenant_id,
    'occurred_at', to_char(r.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'actor_id', r.actor_id,
    'actor_role', r.actor_role,
    'action', r.action,
    'target_type', r.target_type,
    'target_id', r.target_id,
    'details', r.details,
    'origin', r.origin
  )::text
$$;
comment on function cofre_private.audit_canonical(cofre.audit_log) is
  'Canonical text of an audit row (jsonb text: sorted keys, UTC timestamp with microseconds, independent of the session time zone) that its row_hash covers.';
revoke execute on function cofre_private.audit_canonical(cofre.audit_log) from public;

create function cofre_private.audit_row_hash(p_prev bytea, r cofre.audit_log)
returns bytea
language sql
immutable
set search_path = ''
as $$
  select extensions.digest(p_prev || convert_to(cofre_private.audit_canonical(r), 'UTF8'), 'sha256')
$$;
comment on function cofre_private.audit_row_hash(bytea, cofre.audit_log) is
  'sha256(previous hash || canonical row): the hash chaining one audit row to the one before.';
revoke execute on function cofre_private.audit_row_hash(bytea, cofre.audit_log) from public;

create function cofre_private.redact(p jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select case jsonb_typeof(p)
    when 'object' then coalesce((
      select jsonb_object_agg(k, case
               when k ~* '(secret|password|passphrase|passwd|token|credential|access_grant|private_key|api_key)'
                    and jsonb_typeof(v) not in ('boolean', 'null')
                 then to_jsonb('**redacted**'::text)
               else cofre_private.redact(v) end)
      from jsonb_each(p) as e(k, v)), '{}'::jsonb)
    when 'array' then coalesce((select jsonb_agg(cofre_private.redact(v)) from jsonb_array_elements(p) as a(v)), '[]'::jsonb)
    else p end
$$;
comment on function cofre_private.redact(jsonb) is
  'Replaces the value of every key that names a secret (secret, password, passphrase, token, credential, access_grant, private_key, api_key) by "**redacted**", at any depth (booleans and nulls such as "secret_changed": true are kept). Applied to every audit row''s details.';
revoke execute on function cofre_private.redact(jsonb) from public;

create function cofre_private.request_origin()
returns jsonb
language sql
stable
set search_path = ''
as $$
  with h as (
    select coalesce(nullif(current_setting('request.headers', true), ''), '{}')::jsonb as headers
  )
  select jsonb_strip_nulls(jsonb_build_object(
    'ip', coalesce(split_part(h.headers ->> 'x-forwarded-for', ',', 1), h.headers ->> 'x-real-ip'),
    'user_agent', left(h.headers ->> 'user-agent', 300),
    'method', nullif(current_setting('request.method', true), ''),
    'path', nullif(current_setting('request.path', true), ''),
    'via', case when nullif(current_setting('request.headers', true), '') is null then 'sql' else 'api' end
  ))
  from h
$$;
comment on function cofre_private.request_origin() is
  'Where the current request came from, as PostgREST reports it (client IP, user agent, method, path); via = sql outside the API (migrations, pg_cron, tests).';
revoke execute on function cofre_private.request_origin() from public;

create function cofre_private.audit_log_chain()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_head_id bigint;
  v_head_hash bytea;
begin
  select c.head_id, c.head_hash into v_head_id, v_head_hash
    from cofre_private.audit_chain c where c.singleton for update;
  new.id := v_head_id + 1;
  new.details := cofre_private.redact(coalesce(new.details, '{}'::jsonb));
  new.origin := coalesce(new.origin, '{}'::jsonb);
  new.prev_hash := v_head_hash;
  new.row_hash := cofre_private.audit_row_hash(v_head_hash, new);
  update cofre_private.audit_chain set head_id = new.id, head_hash = new.row_hash where singleton;
  return new;
end;
$$;
comment on function cofre_private.audit_log_chain() is
  'Trigger (before insert on audit_log): numbers the row after the chain head under a row lock, redacts secrets from details, computes prev_hash and row_hash, and moves the head.';
revoke execute on function cofre_private.audit_log_chain() from public;

create trigger audit_log_chain before insert on cofre.audit_log
  for each row execute function cofre_private.audit_log_chain();

create function cofre_private.audit_log_refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and current_setting('cofre.audit_retention', true) = 'on' then
    return old;
  end if;
  raise exception 'Cofre: the audit log is append-only'
    using errcode = '42501', hint = 'COFRE_AUDIT_APPEND_ONLY';
end;
$$;
comment on function cofre_private.audit_log_refuse_change() is
  'Trigger: refuses UPDATE, DELETE and TRUNCATE on audit_log, except deletes made by cofre_private.prune_audit_log (retention).';
revoke execute on function cofre_private.audit_log_refuse_change() from public;

create trigger audit_log_refuse_update before update on cofre.audit_log
  for each row execute function cofre_private.audit_log_refuse_change();
create trigger audit_log_refuse_delete before delete on cofre.audit_log
  for each row execute function cofre_private.audit_log_refuse_change();
create trigger audit_log_refuse_truncate before truncate on cofre.audit_log
  for each statement execute function cofre_private.audit_log_refuse_change();

create function cofre_private.audit(
  p_tenant_id uuid, p_action text, p_target_type text, p_target_id text, p_details jsonb default '{}'
)
returns bigint
language sql
volatile
security definer
set search_path = ''
as $$
  insert into cofre.audit_log (tenant_id, actor_id, actor_role, action, target_type, target_id, details, origin)
  values (p_tenant_id, auth.uid(), coalesce(auth.role(), current_user::text), p_action,
          p_target_type, p_target_id, coalesce(p_details, '{}'::jsonb), cofre_private.request_origin())
  returning id
$$;
comment on function cofre_private.audit(uuid, text, text, text, jsonb) is
  'Appends one audit row for the current request (actor from the JWT, origin from the request headers). Called by every Cofre RPC that reads or changes something auditable.';
revoke execute on function cofre_private.audit(uuid, text, text, text, jsonb) from public;

create function cofre_private.prune_audit_log(p_before timestamptz)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v_last_id bigint;
  v_last_hash bytea;
  v_deleted bigint;
begin
  -- Only a prefix of the chain may go, so the kept rows stay contiguous.
  select max(a.id) into v_last_id from cofre.audit_log a where a.occurred_at < p_before;
  if v_last_id is null then
    return 0;
  end if;
  select a.row_hash into v_last_hash from cofre.audit_log a where a.id = v_last_id;
  perform set_config('cofre.audit_retention', 'on', true);
  delete from cofre.audit_log a where a.id <= v_last_id;
  get diagnostics v_deleted = row_count;
  perform set_config('cofre.audit_retention', 'off', true);
  update cofre_private.audit_chain set anchor_id = v_last_id, anchor_hash = v_last_hash where singleton;
  return v_deleted;
end;
$$;
comment on function cofre_private.prune_audit_log(timestamptz) is
  'Retention, owner role only: deletes the oldest audit rows (the prefix up to the last row older than p_before) and moves the chain anchor to the last deleted row''s hash, so the kept chain still verifies.';
revoke execute on function cofre_private.prune_audit_log(timestamptz) from public;

-- ---------------------------------------------------------------------------------------------
-- API
-- ---------------------------------------------------------------------------------------------
create function cofre.verify_audit_chain()
returns table (ok boolean, rows_checked bigint, first_bad_id bigint, problem text)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  c record;
  r cofre.audit_log;
  v_expected_id bigint;
  v_prev bytea;
  v_n bigint := 0;
begin
  select * into c from cofre_private.audit_chain where singleton;
  v_expected_id := c.anchor_id + 1;
  v_prev := c.anchor_hash;
  for r in select * from cofre.audit_log order by id loop
    v_n := v_n + 1;
    if r.id <> v_expected_id then
      return query select false, v_n, r.id,
        format('row %s follows row %s: rows are missing before it', r.id, v_expected_id - 1);
      return;
    end if;
    if r.prev_hash <> v_prev then
      return query select false, v_n, r.id, format('row %s does not point to the hash of the row before it', r.id);
      return;
    end if;
    if r.row_hash <> cofre_private.audit_row_hash(r.prev_hash, r) then
      return query select false, v_n, r.id, format('row %s was modified: its hash does not match its content', r.id);
      return;
    end if;
    v_prev := r.row_hash;
    v_expected_id := r.id + 1;
  end loop;
  if v_expected_id - 1 <> c.head_id or v_prev <> c.head_hash then
    return query select false, v_n, v_expected_id,
      format('the chain ends at row %s but its head is row %s: rows were removed from the end or inserted',
             v_expected_id - 1, c.head_id);
    return;
  end if;
  return query select true, v_n, null::bigint, null::text;
end;
$$;
comment on function cofre.verify_audit_chain() is
  'Recomputes the whole audit chain from its anchor to its head. ok = false with the first bad row and the problem when a row was edited, inserted or deleted. service_role only (it covers every tenant).';
revoke execute on function cofre.verify_audit_chain() from public, anon, authenticated;
grant execute on function cofre.verify_audit_chain() to service_role;

create function cofre.record_audit_event(
  p_tenant_id uuid, p_action text, p_target_type text default null, p_target_id text default null,
  p_details jsonb default '{}'
)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_action is null or p_action !~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$' then
    raise exception 'Cofre: invalid audit action %', coalesce(quote_literal(left(p_action, 60)), 'null')
      using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  if p_details is not null and jsonb_typeof(p_details) <> 'object' then
    raise exception 'Cofre: audit details must be a JSON object' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  return cofre_private.audit(p_tenant_id, p_action, p_target_type, p_target_id, p_details);
end;
$$;
comment on function cofre.record_audit_event(uuid, text, text, text, jsonb) is
  'For the Edge Functions and the worker (service_role only): records an access the database cannot see itself, e.g. backup.download, backup.read_contents, run.verified, restore.applied. Secrets in details are redacted.';
revoke execute on function cofre.record_audit_event(uuid, text, text, text, jsonb) from public, anon, authenticated;
grant execute on function cofre.record_audit_event(uuid, text, text, text, jsonb) to service_role;

create function cofre.list_audit_events(
  p_tenant_id uuid, p_before_id bigint default null, p_limit integer default 50, p_action_prefix text default null
)
returns setof cofre.audit_log
language plpgsql
stable
set search_path = ''
as $$
begin
  perform cofre.assert_role_on_tenant(p_tenant_id, 'admin');
  if p_limit is null or p_limit not between 1 and 500 then
    raise exception 'Cofre: p_limit must be between 1 and 500' using errcode = '22023', hint = 'COFRE_INVALID_INPUT';
  end if;
  return query
    select a.* from cofre.audit_log a
    where a.tenant_id = p_tenant_id
      and (p_before_id is null or a.id < p_before_id)
      and (p_action_prefix is null or a.action like p_action_prefix || '%')
    order by a.id desc
    limit p_limit;
end;
$$;
comment on function cofre.list_audit_events(uuid, bigint, integer, text) is
  'The tab''s audit view: a clinic''s audit rows, newest first, paged by p_before_id (keyset), optionally filtered by action prefix (e.g. ''destination.''). Clinic admins only.';
revoke execute on function cofre.list_audit_events(uuid, bigint, integer, text) from public, anon, service_role;
grant execute on function cofre.list_audit_events(uuid, bigint, integer, text) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Privileges and RLS
-- ---------------------------------------------------------------------------------------------
revoke all on table cofre.audit_log from anon, authenticated, service_role;
grant select on table cofre.audit_log to authenticated, service_role;

alter table cofre.audit_log enable row level security;

create policy "Clinic admins can read their audit log" on cofre.audit_log
  for select to authenticated
  using (tenant_id is not null and cofre.has_role_on_tenant(tenant_id, 'admin'));
