/**
 * Restores a complete backup into a database: schema objects (pre-data), every table's CSV
 * parts through COPY, sequence positions, then post-data (constraints, indexes, triggers,
 * policies) — in ONE transaction, so a failure at any point leaves the target as it was and
 * says why. Every entry is checked against the manifest (CRC-32, size, SHA-256, row count)
 * while it streams.
 */
import { CofreError, describeError } from "../errors.ts";
import type { BackupManifest } from "../config/manifest.ts";
import { SchemaDumpDoc, type SchemaDumpDoc as SchemaDump } from "../config/schema-dump.ts";
import type { Destination } from "../destinations/contract.ts";
import { concatBytes, utf8Decoder } from "../format/bytes.ts";
import { sha256Hasher } from "../format/checksum.ts";
import type { ZipEntry, ZipReader } from "../format/zip/reader.ts";
import { copyIn, writeSequences } from "../sources/postgres/data.ts";
import { connect, connectionError, describeDatabase, isConnectionFailure } from "../sources/postgres/connect.ts";
import { CsvRecordCounter } from "../sources/postgres/csv.ts";
import { RESTORE_PREAMBLE } from "../sources/postgres/schema/mod.ts";
import { qualified, type Db } from "../sources/postgres/db.ts";
import { readManifest, resolveBackupId, type BackupSecrets } from "./catalog.ts";
import { KeyCache } from "../format/crypto/mod.ts";
import { SCHEMA_JSON_ENTRY } from "./entry-names.ts";
import { openVolume } from "./volume-access.ts";

export interface RestoreOptions {
  destination: Destination;
  /** A backup id or `latest`. */
  backupId: string;
  targetUrl: string;
  /** Opens an encrypted backup. */
  passphrase?: string;
  onProgress?: (p: RestoreProgress) => void;
}

export interface RestoreProgress {
  phase: "reading" | "schema" | "data" | "constraints" | "done";
  table?: string;
  tablesDone: number;
  tablesTotal: number;
  rows: number;
  bytes: number;
}

export interface RestoreSummary {
  backupId: string;
  target: string;
  tables: number;
  rows: number;
  bytes: number;
  durationMs: number;
  /** Things restored differently from the source, said out loud (e.g. an owner role missing here). */
  warnings: string[];
}

/** Objects that depend on roles existing in the target; a missing role is a warning, not a failure. */
const ROLE_DEPENDENT_KINDS = new Set(["OWNER", "ACL", "DEFAULT ACL"]);
const UNDEFINED_OBJECT = "42704";

function mismatch(what: string, details: Record<string, unknown>) {
  return new CofreError("INTEGRITY_MISMATCH", {
    "pt-BR": `O backup não confere (${what}): ele foi alterado ou está corrompido. Nada foi gravado no destino da restauração.`,
    en: `The backup does not match (${what}): it was altered or is corrupt. Nothing was written to the restore target.`,
  }, { details });
}

/** Opens every volume's directory and checks it lists each entry as the manifest does. */
async function openVolumes(dest: Destination, manifest: BackupManifest, secrets: BackupSecrets) {
  const volumes = manifest.volumes ?? [];
  const readers = new Map<number, ZipReader>();
  for (let i = 1; i <= volumes.length; i++) readers.set(i, await openVolume(dest, manifest, i, secrets));
  const located = new Map<string, { reader: ZipReader; entry: ZipEntry; sha256: string }>();
  for (const e of manifest.entries) {
    const reader = readers.get(e.volume);
    const entry = reader?.entry(e.name);
    if (!reader || !entry) throw mismatch(`entry ${e.name} missing from volume ${e.volume}`, { entry: e.name });
    if (entry.crc32 !== e.crc32 || entry.size !== e.size || entry.compressedSize !== e.compressedSize) {
      throw mismatch(`entry ${e.name} differs from the manifest`, { entry: e.name });
    }
    located.set(e.name, { reader, entry, sha256: e.sha256 });
  }
  return located;
}

async function assertTargetReady(db: Db, manifest: BackupManifest, target: string) {
  const schemas = manifest.source.schemas;
  const rows = await db<{ name: string }[]>`
    select format('%I.%I', n.nspname, c.relname) as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any(${schemas as string[]}) and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
     order by 1 limit 5`;
  if (rows.length) {
    const names = rows.map((r) => r.name);
    throw new CofreError("RESTORE_TARGET_NOT_EMPTY", {
      "pt-BR": `O banco de destino ${target} já tem objetos nos schemas do backup (${names.join(", ")}…). Restaure em um banco vazio ou remova esses objetos antes.`,
      en: `Target database ${target} already has objects in the backup's schemas (${names.join(", ")}…). Restore into an empty database or drop them first.`,
    }, { details: { objects: names } });
  }
  // Platform-owned tables (auth.users…) whose rows the backup carries must exist, empty.
  for (const t of manifest.tables.filter((t) => t.dataOnly)) {
    const name = `${t.schema}.${t.name}`;
    const [found] = await db<{ exists: boolean }[]>`select to_regclass(${qualified(t.schema, t.name)}) is not null as exists`;
    if (!found?.exists) {
      throw new CofreError("RESTORE_FAILED", {
        "pt-BR": `O banco de destino ${target} não tem a tabela ${name}, que o backup precisa (é da plataforma Supabase). Restaure em um projeto Supabase.`,
        en: `Target database ${target} lacks table ${name}, which the backup needs (Supabase owns it). Restore into a Supabase project.`,
      }, { details: { table: name } });
    }
    const [row] = await db.unsafe<{ any: boolean }[]>(`select exists (select from ${qualified(t.schema, t.name)}) as any`);
    if (row?.any && t.rows > 0) {
      throw new CofreError("RESTORE_TARGET_NOT_EMPTY", {
        "pt-BR": `A tabela ${name} do banco de destino já tem linhas; esta versão do Cofre só restaura essas linhas em um projeto onde ela está vazia.`,
        en: `Table ${name} in the target database already has rows; this version of Cofre restores them only into a project where it is empty.`,
      }, { details: { table: name } });
    }
  }
}

async function applyObject(tx: Db, obj: SchemaDump["objects"][number], warnings: string[]) {
  const label = `${obj.kind} ${obj.schema ? `${obj.schema}.` : ""}${obj.name}`;
  try {
    if (ROLE_DEPENDENT_KINDS.has(obj.kind) && "savepoint" in tx) {
      await tx.savepoint((sp) => sp.unsafe(obj.sql).simple());
    } else {
      await tx.unsafe(obj.sql).simple();
    }
  } catch (e) {
    if (ROLE_DEPENDENT_KINDS.has(obj.kind) && (e as { code?: string }).code === UNDEFINED_OBJECT) {
      warnings.push(`${label}: ${describeError(e)} — skipped`);
      return;
    }
    throw new CofreError("RESTORE_FAILED", {
      "pt-BR": `A restauração falhou em ${label}: ${describeError(e)}. Nada foi gravado no banco de destino.`,
      en: `The restore failed at ${label}: ${describeError(e)}. Nothing was written to the target database.`,
    }, { details: { object: label, sqlstate: (e as { code?: string }).code }, cause: e });
  }
}

export async function runRestore(opts: RestoreOptions): Promise<RestoreSummary> {
  const started = Date.now();
  const backupId = await resolveBackupId(opts.destination, opts.backupId);
  const secrets: BackupSecrets = { passphrase: opts.passphrase, keyCache: new KeyCache() };
  const manifest = await readManifest(opts.destination, backupId, secrets);
  const entries = await openVolumes(opts.destination, manifest, secrets);
  const target = describeDatabase(opts.targetUrl);
  const warnings: string[] = [];
  let rows = 0;
  let bytes = 0;
  const tablesTotal = manifest.tables.length;
  const report = (p: Omit<RestoreProgress, "rows" | "bytes" | "tablesTotal">) =>
    opts.onProgress?.({ ...p, rows, bytes, tablesTotal });

  /** Streams an entry's plaintext, checking its SHA-256 against the manifest at the end. */
  async function* entryData(name: string): AsyncGenerator<Uint8Array> {
    const loc = entries.get(name);
    if (!loc) throw mismatch(`entry ${name} not in the manifest`, { entry: name });
    const sha = sha256Hasher();
    for await (const chunk of loc.reader.read(loc.entry)) {
      sha.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
    if (sha.digest("hex") !== loc.sha256) throw mismatch(`SHA-256 of ${name}`, { entry: name });
  }

  report({ phase: "reading", tablesDone: 0 });
  const schemaParts: Uint8Array[] = [];
  for await (const c of entryData(SCHEMA_JSON_ENTRY)) schemaParts.push(c);
  const schema = SchemaDumpDoc.parse(JSON.parse(utf8Decoder.decode(concatBytes(schemaParts))));

  const sql = connect(opts.targetUrl);
  try {
    await assertTargetReady(sql, manifest, target);
    await sql.begin(async (tx) => {
      report({ phase: "schema", tablesDone: 0 });
      await tx.unsafe(RESTORE_PREAMBLE).simple();
      for (const obj of schema.objects) if (obj.section === "pre-data") await applyObject(tx, obj, warnings);

      // Triggers already in the target (e.g. on auth.users) must not fire while rows load:
      // the rows are restored as they were. Needs superuser or SET on the parameter (PG ≥ 15).
      try {
        await tx.savepoint((sp) => sp`set local session_replication_role = replica`);
      } catch (e) {
        warnings.push(`triggers in the target stay enabled during the data load: ${describeError(e)}`);
      }
      for (const [i, t] of manifest.tables.entries()) {
        report({ phase: "data", table: `${t.schema}.${t.name}`, tablesDone: i });
        let tableRows = 0;
        for (const part of t.parts) {
          const counter = new CsvRecordCounter();
          async function* counted() {
            for await (const chunk of entryData(part)) {
              counter.update(chunk);
              yield chunk;
            }
          }
          try {
            await copyIn(tx, t.schema, t.name, t.columns, counted());
          } catch (e) {
            if (e instanceof CofreError) throw e;
            // Postgres may reject altered bytes before the entry's checksum is reached: read
            // the rest of the entry, so a corrupt backup is reported as such, not as bad data.
            for await (const _ of entryData(part)) { /* CRC-32 and SHA-256 checked as it reads */ }
            // Postgres quotes the offending value; it may be a patient's data, so it stays out.
            const why = describeError(e).replace(/"[^"]*"/g, '"…"');
            throw new CofreError("RESTORE_FAILED", {
              "pt-BR": `A carga da tabela ${t.schema}.${t.name} falhou: ${why}. Nada foi gravado no banco de destino.`,
              en: `Loading table ${t.schema}.${t.name} failed: ${why}. Nothing was written to the target database.`,
            }, { details: { table: `${t.schema}.${t.name}`, part, sqlstate: (e as { code?: string }).code } });
          }
          tableRows += Math.max(0, counter.records - 1);
        }
        if (tableRows !== t.rows) {
          throw mismatch(`row count of ${t.schema}.${t.name}: ${tableRows} ≠ ${t.rows}`, { table: `${t.schema}.${t.name}` });
        }
        rows += tableRows;
      }
      await writeSequences(tx, manifest.sequences);
      await tx`set local session_replication_role = origin`;

      report({ phase: "constraints", tablesDone: tablesTotal });
      for (const obj of schema.objects) if (obj.section === "post-data") await applyObject(tx, obj, warnings);
    });
  } catch (e) {
    if (e instanceof CofreError) throw e;
    if (isConnectionFailure(e)) throw connectionError(opts.targetUrl, e);
    throw new CofreError("RESTORE_FAILED", {
      "pt-BR": `A restauração falhou: ${describeError(e)}. Nada foi gravado no banco de destino.`,
      en: `The restore failed: ${describeError(e)}. Nothing was written to the target database.`,
    }, { cause: e });
  } finally {
    await sql.end({ timeout: 5 });
  }
  report({ phase: "done", tablesDone: tablesTotal });
  return { backupId, target, tables: tablesTotal, rows, bytes, durationMs: Date.now() - started, warnings };
}
