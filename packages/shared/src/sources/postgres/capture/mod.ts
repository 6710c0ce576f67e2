/**
 * Installing, inspecting and pruning the change capture in a source database (DDL in
 * ddl.ts). Every function here runs its own statements on `db`; `ensureCapture` must run in
 * a transaction of its own that commits BEFORE the snapshot of the backup that relies on it
 * (CREATE TRIGGER waits for the table's writers, so every change after that commit is logged).
 */
import { CofreError, describeError } from "../../../errors.ts";
import { qualified, type Db } from "../db.ts";
import { alwaysEnableSql, INSTALL_SQL, ROW_TRIGGER, tableTriggersSql, TRUNCATE_TRIGGER, UNINSTALL_SQL } from "./ddl.ts";

export { CAPTURE_SCHEMA, VALUE_TEXT_SETTINGS } from "./ddl.ts";

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
  const why = describeError(e);
  return new CofreError("SOURCE_QUERY", {
    "pt-BR": `Não foi possível instalar a captura de alterações (schema cofre_capture) no banco de origem: ${why}. Backups incrementais e diferenciais precisam de um usuário com CREATE no banco e TRIGGER nas tabelas (no Supabase, o usuário postgres).`,
    en: `Could not install change capture (schema cofre_capture) in the source database: ${why}. Incremental and differential backups need a user with CREATE on the database and TRIGGER on the tables (on Supabase, the postgres user).`,
  }, { cause: e, details: { sqlstate: (e as { code?: string }).code } });
}

/**
 * Installs (idempotently) the capture schema, then the triggers of every table in `tables`
 * that lacks them, ONE TABLE PER TRANSACTION: a transaction holding trigger locks on several
 * tables could deadlock with the application's writers, which lock tables in their own order.
 * Each table's transaction waits at most LOCK_TIMEOUT for the table's writers (so the app's
 * later writers do not queue behind it for long) and is retried. Returns the epoch and the
 * tables (`schema.name`) whose triggers had to be added: their earlier changes were not
 * logged, so no incremental can span that moment.
 */
export async function ensureCapture(
  db: Db,
  tables: readonly TableName[],
): Promise<{ epoch: string; added: string[]; warnings: string[] }> {
  const pool = db as import("postgres").Sql;
  try {
    const [present, epoch] = await pool.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('cofre_capture install'))`;
      await tx.unsafe(INSTALL_SQL).simple();
      const have = await tx<{ schema: string; name: string }[]>`
        select n.nspname as schema, c.relname as name
          from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
         where t.tgname = ${ROW_TRIGGER} and t.tgenabled <> 'D'
           and exists (select from pg_trigger u where u.tgrelid = t.tgrelid and u.tgname = ${TRUNCATE_TRIGGER} and u.tgenabled <> 'D')`;
      const [row] = await tx<{ epoch: string }[]>`select epoch::text as epoch from cofre_capture.state`;
      return [new Set(have.map((r) => `${r.schema}.${r.name}`)), row!.epoch] as const;
    }) as unknown as readonly [Set<string>, string];
    const added: string[] = [];
    const warnings: string[] = [];
    for (const t of tables) {
      const name = `${t.schema}.${t.name}`;
      if (present.has(name)) continue;
      for (let attempt = 1; ; attempt++) {
        try {
          await pool.begin(async (tx) => {
            await tx.unsafe(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
            await tx.unsafe(tableTriggersSql(qualified(t.schema, t.name))).simple();
            try {
              await tx.savepoint((sp) => sp.unsafe(alwaysEnableSql(qualified(t.schema, t.name))).simple());
            } catch (e) {
              if ((e as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw e;
              warnings.push(`change capture on ${name} does not fire under session_replication_role = replica (only the table's owner can set ENABLE ALWAYS)`);
            }
          });
          break;
        } catch (e) {
          const code = (e as { code?: string }).code;
          if ((code !== LOCK_NOT_AVAILABLE && code !== DEADLOCK) || attempt >= LOCK_ATTEMPTS) throw e;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
      added.push(name);
    }
    return { epoch, added, warnings };
  } catch (e) {
    if (e instanceof CofreError) throw e;
    throw captureFailed(e);
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
 * Deletes the changes no consumer needs — and, given `oldestNeeded` (a pg_snapshot text: the
 * oldest watermark a kept backup's future children still need), none that snapshot lacks.
 * Returns how many.
 */
export async function pruneChanges(db: Db, oldestNeeded?: string): Promise<number> {
  const arg = oldestNeeded === undefined ? "" : snapshotLiteral(oldestNeeded);
  const [row] = await db.unsafe<{ n: string }[]>(`select cofre_capture.prune(${arg})::text as n`);
  return Number(row!.n);
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

