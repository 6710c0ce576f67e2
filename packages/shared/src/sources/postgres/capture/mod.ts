/**
 * Installing, inspecting and pruning the change capture in a source database (DDL in
 * ddl.ts). Every function here runs its own statements on `db`; `ensureCapture` must run in
 * a transaction of its own that commits BEFORE the snapshot of the backup that relies on it
 * (CREATE TRIGGER waits for the table's writers, so every change after that commit is logged).
 */
import { CofreError, describeError } from "../../../errors.ts";
import { qualified, type Db } from "../db.ts";
import {
  alwaysEnableSql, CAPTURE_VERSION, DDL_EVENT_TRIGGER, DDL_EVENT_TRIGGER_SQL, DEFAULT_CONSUMER_MAX_AGE_DAYS, INSTALL_SQL,
  ROW_TRIGGER, tableTriggersSql, TRUNCATE_TRIGGER, UNINSTALL_SQL,
} from "./ddl.ts";

export { CAPTURE_SCHEMA, DEFAULT_CONSUMER_MAX_AGE_DAYS, VALUE_TEXT_SETTINGS } from "./ddl.ts";

/** The consumer a destination's backups keep in the source (see setConsumer). */
export const destinationConsumer = (displaySpec: string) => `destination:${displaySpec}`;

export interface TableName {
  schema: string;
  name: string;
}

/** A pg_snapshot in text form (`xmin:xmax:xip,…`), checked before it is put in SQL text. */
export function snapshotLiteral(snapshot: string): string {
  if (!/^\d+:\d+:(\d+(,\d+)*)?$/.test(snapshot)) {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": `Snapshot inválido no manifesto: ${snapshot}.`,
      en: `Invalid snapshot in the manifest: ${snapshot}.`,
    }, { details: { snapshot } });
  }
  return `'${snapshot}'::pg_snapshot`;
}

function captureFailed(e: unknown): CofreError {
  const why = (e as { code?: string }).code === LOCK_NOT_AVAILABLE
    ? `tabelas ocupadas por transações abertas por mais de ${LOCK_TIMEOUT} em ${LOCK_ATTEMPTS} tentativas; rode o backup de novo / tables held by open transactions for over ${LOCK_TIMEOUT} in ${LOCK_ATTEMPTS} attempts; run the backup again`
    : describeError(e);
  return new CofreError("SOURCE_QUERY", {
    "pt-BR": `Não foi possível instalar a captura de alterações (schema cofre_capture) no banco de origem: ${why}. Backups incrementais e diferenciais precisam de um usuário com CREATE no banco e TRIGGER nas tabelas (no Supabase, o usuário postgres).`,
    en: `Could not install change capture (schema cofre_capture) in the source database: ${why}. Incremental and differential backups need a user with CREATE on the database and TRIGGER on the tables (on Supabase, the postgres user).`,
  }, { cause: e, details: { sqlstate: (e as { code?: string }).code } });
}

/**
 * Installs (idempotently) the capture schema, then the triggers of every table in `tables`
 * that lacks them, ONE TABLE PER TRANSACTION: a transaction holding trigger locks on several
 * tables could deadlock with the application's writers, which lock tables in their own order.
 *
 * No step waits unboundedly for the application's writers (a waiting DDL lock would queue
 * every later writer behind it): the schema DDL runs only when `state.version` differs from
 * CAPTURE_VERSION, and every DDL transaction runs with lock_timeout = LOCK_TIMEOUT and is
 * retried with backoff (LOCK_ATTEMPTS times) before failing with SOURCE_QUERY.
 *
 * Returns the epoch, the tables (`schema.name`) whose triggers had to be added (their earlier
 * changes were not logged, so no incremental can span that moment) and warnings (e.g. the
 * DDL event trigger could not be created: then only the schema digest and the cast check
 * guard chains against ALTER TABLE).
 */
export async function ensureCapture(
  db: Db,
  tables: readonly TableName[],
): Promise<{ epoch: string; added: string[]; warnings: string[] }> {
  const pool = db as import("postgres").Sql;
  try {
    const warnings: string[] = [];
    const current = await installedState(db);
    if (!current || current.version !== CAPTURE_VERSION || !current.ddlGuard) {
      await withLockRetries(() =>
        pool.begin(async (tx) => {
          await tx.unsafe(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
          await tx`select pg_advisory_xact_lock(hashtext('cofre_capture install'))`;
          const again = await installedState(tx);
          if (!again || again.version !== CAPTURE_VERSION) await tx.unsafe(INSTALL_SQL).simple();
          if (!again?.ddlGuard) {
            try {
              await tx.savepoint((sp) => sp.unsafe(DDL_EVENT_TRIGGER_SQL).simple());
            } catch (e) {
              if ((e as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw e;
              warnings.push(NO_DDL_GUARD_WARNING);
            }
          }
        })
      );
    }
    const [epochRow] = await db<{ epoch: string }[]>`select epoch::text as epoch from cofre_capture.state`;
    const have = await db<{ schema: string; name: string }[]>`
      select n.nspname as schema, c.relname as name
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
       where t.tgname = ${ROW_TRIGGER} and t.tgenabled <> 'D'
         and exists (select from pg_trigger u where u.tgrelid = t.tgrelid and u.tgname = ${TRUNCATE_TRIGGER} and u.tgenabled <> 'D')`;
    const present = new Set(have.map((r) => `${r.schema}.${r.name}`));
    const added: string[] = [];
    for (const t of tables) {
      const name = `${t.schema}.${t.name}`;
      if (present.has(name)) continue;
      await withLockRetries(() =>
        pool.begin(async (tx) => {
          await tx.unsafe(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
          await tx.unsafe(tableTriggersSql(qualified(t.schema, t.name))).simple();
          try {
            await tx.savepoint((sp) => sp.unsafe(alwaysEnableSql(qualified(t.schema, t.name))).simple());
          } catch (e) {
            if ((e as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw e;
            warnings.push(`change capture on ${name} does not fire under session_replication_role = replica (only the table's owner can set ENABLE ALWAYS)`);
          }
        })
      );
      added.push(name);
    }
    return { epoch: epochRow!.epoch, added, warnings };
  } catch (e) {
    if (e instanceof CofreError) throw e;
    throw captureFailed(e);
  }
}

export const NO_DDL_GUARD_WARNING =
  "the DDL event trigger cofre_capture_ddl could not be created (it needs a superuser; on Supabase, the postgres role): " +
  "a column added and dropped again between two backups is then detected only when the logged rows no longer fit the table";

/** What is installed: null when nothing; `ddlGuard` = the DDL event trigger exists and is enabled. */
async function installedState(db: Db): Promise<{ version: string | null; ddlGuard: boolean } | null> {
  const [row] = await db<{ has_state: boolean; has_version: boolean; guard: boolean }[]>`
    select to_regclass('cofre_capture.state') is not null as has_state,
           exists (select from pg_attribute where attrelid = to_regclass('cofre_capture.state') and attname = 'version' and not attisdropped) as has_version,
           exists (select from pg_event_trigger where evtname = ${DDL_EVENT_TRIGGER} and evtenabled <> 'D') as guard`;
  if (!row?.has_state) return null;
  if (!row.has_version) return { version: null, ddlGuard: row.guard };
  const [v] = await db.unsafe<{ version: string | null }[]>(`select version from cofre_capture.state`);
  return { version: v?.version ?? null, ddlGuard: row.guard };
}

/**
 * Runs `attempt` (one DDL transaction under lock_timeout) again after a lock timeout or a
 * deadlock, with growing pauses; after LOCK_ATTEMPTS tries the last error is thrown.
 */
async function withLockRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if ((code !== LOCK_NOT_AVAILABLE && code !== DEADLOCK) || n >= LOCK_ATTEMPTS) throw e;
      await new Promise((r) => setTimeout(r, 200 * n));
    }
  }
}

const LOCK_TIMEOUT = "2s";
const LOCK_ATTEMPTS = 5;
const LOCK_NOT_AVAILABLE = "55P03";
const DEADLOCK = "40P01";
const INSUFFICIENT_PRIVILEGE = "42501";

/** The installation's epoch, or null when capture is not installed. */
export async function captureEpoch(db: Db): Promise<string | null> {
  const [row] = await db<{ installed: boolean }[]>`select to_regclass('cofre_capture.state') is not null as installed`;
  if (!row?.installed) return null;
  const [s] = await db<{ epoch: string }[]>`select epoch::text as epoch from cofre_capture.state`;
  return s?.epoch ?? null;
}

/** The highest change sequence number the current snapshot sees ("0" when none): informational. */
export async function capturePosition(db: Db): Promise<string> {
  const [row] = await db<{ seq: string }[]>`select coalesce(max(seq), 0)::text as seq from cofre_capture.change_log`;
  return row!.seq;
}

/** Records that `name` needs every change its snapshot does not see (kept from pruning). */
export async function setConsumer(db: Db, name: string, needs: string): Promise<void> {
  await db.unsafe(
    `insert into cofre_capture.consumer (name, needs) values ($1, ${snapshotLiteral(needs)})
     on conflict (name) do update set needs = excluded.needs, updated_at = now()`,
    [name],
  );
}

export async function dropConsumer(db: Db, name: string): Promise<void> {
  await db`delete from cofre_capture.consumer where name = ${name}`;
}

/**
 * For retention: forgets what a destination (by its displaySpec) needs from the source's
 * change log, so pruning may delete it. Its next incremental/differential then becomes a full
 * (hasConsumer is false). No-op when capture is not installed.
 */
export async function dropDestinationConsumer(db: Db, displaySpec: string): Promise<void> {
  if ((await captureEpoch(db)) === null) return;
  await dropConsumer(db, destinationConsumer(displaySpec));
}

/** True when consumer `name` is recorded (a destination's record expires: see pruneChanges). */
export async function hasConsumer(db: Db, name: string): Promise<boolean> {
  const [row] = await db<{ n: number }[]>`select count(*)::int as n from cofre_capture.consumer where name = ${name}`;
  return row!.n > 0;
}

/**
 * Deletes the changes no consumer needs — and, given `oldestNeeded` (a pg_snapshot text: the
 * oldest watermark a kept backup's future children still need), none that snapshot lacks.
 * First drops every destination consumer not refreshed by a backup for `consumerMaxAgeDays`
 * (default DEFAULT_CONSUMER_MAX_AGE_DAYS): a destination no longer used must not keep patient
 * rows in the log forever. Returns how many changes were deleted.
 */
export async function pruneChanges(
  db: Db,
  oldestNeeded?: string,
  consumerMaxAgeDays: number = DEFAULT_CONSUMER_MAX_AGE_DAYS,
): Promise<number> {
  if (!(consumerMaxAgeDays >= 0) || !Number.isFinite(consumerMaxAgeDays)) {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": `Idade máxima de consumidor inválida: ${consumerMaxAgeDays} (dias, ≥ 0).`,
      en: `Invalid consumer max age: ${consumerMaxAgeDays} (days, ≥ 0).`,
    });
  }
  const arg = oldestNeeded === undefined ? "null" : snapshotLiteral(oldestNeeded);
  const [row] = await db.unsafe<{ n: string }[]>(
    `select cofre_capture.prune(${arg}, make_interval(secs => $1::float8 * 86400))::text as n`,
    [consumerMaxAgeDays],
  );
  return Number(row!.n);
}

/** Tables (`schema.name`) altered by DDL after `since` as of the caller's snapshot (needs the event trigger). */
export async function alteredSince(tx: Db, since: string, relids: readonly string[]): Promise<string[]> {
  if (relids.length === 0) return [];
  const snap = snapshotLiteral(since);
  const rows = await tx.unsafe<{ name: string }[]>(
    `select distinct n.nspname || '.' || c.relname as name
       from cofre_capture.ddl_log d join pg_class c on c.oid = d.relid join pg_namespace n on n.oid = c.relnamespace
      where d.relid = any($1::oid[]) and d.xid >= pg_snapshot_xmin(${snap}) and not pg_visible_in_snapshot(d.xid, ${snap})
      order by 1`,
    [relids as string[]],
  );
  return rows.map((r) => r.name);
}

/** Drops every capture trigger and the schema (the log with it). */
export async function uninstallCapture(db: Db): Promise<void> {
  await db.unsafe(UNINSTALL_SQL).simple();
}

/**
 * Sets (transaction-locally) the settings under which captured record text is written and
 * parsed back; returns what puts the previous values back.
 */
export async function pinValueTextSettings(
  tx: Db,
  settings: readonly (readonly [string, string])[],
): Promise<() => Promise<void>> {
  const names = settings.map(([n]) => n);
  const [before] = await tx<{ v: string[] }[]>`select array(select current_setting(n) from unnest(${names}::text[]) with ordinality as s(n, i) order by i) as v`;
  const set = async (values: readonly string[]) => {
    await tx`select set_config(n, v, true) from unnest(${names}::text[], ${values as string[]}::text[]) as s(n, v)`;
  };
  await set(settings.map(([, v]) => v));
  return () => set(before!.v);
}

