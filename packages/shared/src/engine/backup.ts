/**
 * A full logical backup of a PostgreSQL database to a destination: schema from the catalogs,
 * every table as CSV parts, sequence positions, all from one REPEATABLE READ snapshot, written
 * as ZIP volumes plus a top-level manifest that is stored last — so a backup that failed
 * part-way has no manifest and never looks complete.
 */
import { CofreError, describeError } from "../errors.ts";
import {
  BackupManifest, ENCRYPTION_CONTAINER, FORMAT_NAME, FORMAT_VERSION, ManifestEnvelope, type EncryptionRecord,
  type TableRecord,
} from "../config/manifest.ts";
import { createBackupKey, encryptStream } from "../format/crypto/mod.ts";
import { DEFAULT_EXCLUDES, isSystemSchema, matchExclusion } from "../config/scope.ts";
import type { Destination } from "../destinations/contract.ts";
import { blockRanges, copyOut, listReferencedSystemTables, listTables, readSequences, type TableInfo } from "../sources/postgres/data.ts";
import { connect, connectionError, describeDatabase, isConnectionFailure } from "../sources/postgres/connect.ts";
import { dumpSchema, renderSql } from "../sources/postgres/schema/mod.ts";
import type { Db } from "../sources/postgres/db.ts";
import { COFRE_VERSION } from "../version.ts";
import { newBackupId } from "./backup-id.ts";
import {
  MANIFEST_ENTRY, MANIFEST_KEY, SCHEMA_JSON_ENTRY, SCHEMA_POST_SQL_ENTRY, SCHEMA_PRE_SQL_ENTRY, SEALED_MANIFEST_KEY,
} from "./entry-names.ts";
import { TablePartWriter } from "./table-parts.ts";
import { putObject, type Sealer } from "./upload.ts";
import { VolumeSetWriter } from "./volume-set.ts";
import { listBackupObjects } from "./catalog.ts";

const MiB = 1024 * 1024;
const BLOCK_SIZE = 8192;

export interface BackupOptions {
  sourceUrl: string;
  destination: Destination;
  /** Schemas to back up; default: every schema that is neither the system's nor Supabase's. */
  schemas?: readonly string[];
  /** Extra table patterns whose data is left out (their definitions are kept). */
  exclude?: readonly string[];
  /** Leave out the default `_temp_*` / cache patterns. */
  noDefaultExcludes?: boolean;
  /** Deflate level 0–9; default 6. */
  compressionLevel?: number;
  /** Volume size cap in bytes; default 64 MiB. */
  volumeSize?: number;
  /** Bytes of CSV per part (and heap bytes read per COPY); default 64 MiB. */
  partSize?: number;
  onProgress?: (p: BackupProgress) => void;
  /** Encrypts every stored object (format/crypto) when set. Never logged or stored. */
  passphrase?: string;
  /** PBKDF2 iterations for a new backup key; default the container's (600,000). */
  kdfIterations?: number;
  /** Fixed creation time (tests and vectors); default now. */
  now?: Date;
}

export interface BackupProgress {
  phase: "schema" | "data" | "finishing" | "done";
  table?: string;
  tablesDone: number;
  tablesTotal: number;
  rows: number;
  bytesIn: number;
  bytesOut: number;
}

export interface BackupSummary {
  backupId: string;
  destination: string;
  tables: number;
  rows: number;
  bytesIn: number;
  bytesOut: number;
  /** bytesIn / bytesOut. */
  compressionRatio: number;
  volumes: number;
  encrypted: boolean;
  durationMs: number;
  excluded: { schema: string; name: string; reason: string }[];
  schemas: string[];
  /** Objects in scope the schema dump could not reproduce (see schema/unsupported.ts). */
  warnings: string[];
}

async function defaultSchemas(db: Db): Promise<string[]> {
  const rows = await db<{ nspname: string }[]>`
    select n.nspname from pg_namespace n
     where not exists (select from pg_depend d where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
     order by 1`;
  return rows.map((r) => r.nspname).filter((s) => !isSystemSchema(s));
}

async function assertSchemasExist(db: Db, schemas: readonly string[]) {
  const rows = await db<{ nspname: string }[]>`select nspname from pg_namespace where nspname = any(${schemas as string[]})`;
  const missing = schemas.filter((s) => !rows.some((r) => r.nspname === s));
  if (missing.length) {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": `Schema não encontrado no banco de origem: ${missing.join(", ")}.`,
      en: `Schema not found in the source database: ${missing.join(", ")}.`,
    }, { details: { missing } });
  }
}

export async function runBackup(opts: BackupOptions): Promise<BackupSummary> {
  const started = Date.now();
  const createdAt = opts.now ?? new Date();
  const backupId = newBackupId(createdAt);
  const level = opts.compressionLevel ?? 6;
  const key = opts.passphrase === undefined ? null : await createBackupKey(opts.passphrase, { iterations: opts.kdfIterations });
  const seal: Sealer | undefined = key ? () => encryptStream(key) : undefined;
  const encryption: EncryptionRecord | null = key
    ? { container: ENCRYPTION_CONTAINER, kdf: "pbkdf2-hmac-sha256", iterations: key.iterations }
    : null;
  const writer = new VolumeSetWriter(opts.destination, backupId, opts.volumeSize ?? 64 * MiB, {
    method: "auto", level, modified: createdAt,
  }, seal);
  const partBytes = opts.partSize ?? 64 * MiB;
  const blocksPerPart = Math.max(1, Math.floor(partBytes / BLOCK_SIZE));
  const patterns = [...(opts.noDefaultExcludes ? [] : DEFAULT_EXCLUDES), ...(opts.exclude ?? [])];
  const sql = connect(opts.sourceUrl);
  let bytesIn = 0;
  let rows = 0;
  const report = (p: Omit<BackupProgress, "rows" | "bytesIn" | "bytesOut">) =>
    opts.onProgress?.({ ...p, rows, bytesIn, bytesOut: writer.bytesOut });

  try {
    const manifest = await sql.begin("isolation level repeatable read read only", async (tx) => {
      const [point] = await tx<{ version: string; snapshot: string; lsn: string | null; at: Date }[]>`
        select current_setting('server_version') as version, pg_current_snapshot()::text as snapshot,
               case when pg_is_in_recovery() then null else pg_current_wal_lsn()::text end as lsn,
               now() as at`;
      const schemas = opts.schemas?.length ? [...opts.schemas] : await defaultSchemas(tx);
      await assertSchemasExist(tx, schemas);
      const external = await listReferencedSystemTables(tx, schemas, isSystemSchema);
      const allTables: (TableInfo & { dataOnly: boolean })[] = [
        ...external.map((t) => ({ ...t, dataOnly: true })),
        ...(await listTables(tx, schemas)).map((t) => ({ ...t, dataOnly: false })),
      ];
      const excluded: BackupSummary["excluded"] = [];
      const tables = allTables.filter((t) => {
        const hit = matchExclusion(patterns, t.schema, t.name);
        if (hit) excluded.push({ schema: t.schema, name: t.name, reason: `data excluded by pattern ${hit}` });
        return !hit;
      });

      report({ phase: "schema", tablesDone: 0, tablesTotal: tables.length });
      const schemaDump = await dumpSchema(tx, { schemas });
      const encoder = new TextEncoder();
      for (const [name, text] of [
        [SCHEMA_JSON_ENTRY, JSON.stringify(schemaDump)],
        [SCHEMA_PRE_SQL_ENTRY, renderSql(schemaDump, "pre-data")],
        [SCHEMA_POST_SQL_ENTRY, renderSql(schemaDump, "post-data")],
      ] as const) {
        bytesIn += (await writer.addEntry(name, encoder.encode(text))).size;
      }
      const sequences = await readSequences(tx, schemas);

      const tableRecords: TableRecord[] = [];
      for (const [i, table] of tables.entries()) {
        const record: TableRecord = {
          schema: table.schema, name: table.name, columns: table.columns, rows: 0, parts: [], dataOnly: table.dataOnly,
        };
        report({ phase: "data", table: `${table.schema}.${table.name}`, tablesDone: i, tablesTotal: tables.length });
        const parts = new TablePartWriter(writer, table.schema, table.name, partBytes);
        for (const range of blockRanges(table.blocks, blocksPerPart)) {
          await parts.startRange();
          await copyOut(tx, table, range, (chunk) => parts.write(chunk));
          await parts.endRange();
        }
        record.rows = parts.rows;
        record.parts = parts.parts;
        rows += parts.rows;
        bytesIn += parts.bytes;
        tableRecords.push(record);
      }

      report({ phase: "finishing", tablesDone: tables.length, tablesTotal: tables.length });
      const content: BackupManifest = {
        format: FORMAT_NAME,
        version: FORMAT_VERSION,
        backupId,
        type: "full",
        parentId: null,
        createdAt: createdAt.toISOString(),
        tool: { name: "cofre", version: COFRE_VERSION },
        source: {
          kind: "postgres", serverVersion: point!.version, database: describeDatabase(opts.sourceUrl),
          schemas, excluded,
        },
        consistency: { snapshot: point!.snapshot, lsn: point!.lsn, at: new Date(point!.at).toISOString() },
        compression: { method: "deflate", level },
        encryption,
        schema: { objects: schemaDump.objects.length, entries: [SCHEMA_JSON_ENTRY, SCHEMA_PRE_SQL_ENTRY, SCHEMA_POST_SQL_ENTRY] },
        tables: tableRecords,
        sequences,
        entries: [],
        stats: { rows, bytesIn, durationMs: Date.now() - started },
      };
      // The copy inside the volumes lists every entry but itself; the top-level one adds volumes.
      content.entries = [...writer.entries];
      await writer.addEntry(MANIFEST_ENTRY, encoder.encode(JSON.stringify(BackupManifest.parse(content), null, 2)));
      const volumes = await writer.finish();
      const full = BackupManifest.parse({ ...content, entries: [...writer.entries], volumes });
      const fullBytes = encoder.encode(JSON.stringify(full, null, 2));
      // The top-level manifest goes last: until it exists the backup is incomplete.
      if (seal && encryption) {
        const sealed = await putObject(opts.destination, `${backupId}/${SEALED_MANIFEST_KEY}`, fullBytes, seal);
        const envelope = ManifestEnvelope.parse({
          format: FORMAT_NAME, version: FORMAT_VERSION, backupId, type: full.type, parentId: full.parentId,
          createdAt: full.createdAt, encryption, volumes,
          sealedManifest: { name: SEALED_MANIFEST_KEY, size: sealed.size, sha256: sealed.sha256, md5: sealed.md5 },
        });
        await putObject(opts.destination, `${backupId}/${MANIFEST_KEY}`, encoder.encode(JSON.stringify(envelope, null, 2)));
      } else {
        await putObject(opts.destination, `${backupId}/${MANIFEST_KEY}`, fullBytes);
      }
      return { full, excluded, schemas, warnings: schemaDump.warnings };
    });

    const bytesOut = writer.volumes.reduce((n, v) => n + v.size, 0);
    report({ phase: "done", tablesDone: manifest.full.tables.length, tablesTotal: manifest.full.tables.length });
    return {
      backupId,
      destination: opts.destination.displaySpec,
      tables: manifest.full.tables.length,
      rows,
      bytesIn,
      bytesOut,
      compressionRatio: bytesOut > 0 ? bytesIn / bytesOut : 0,
      volumes: writer.volumes.length,
      encrypted: key !== null,
      durationMs: Date.now() - started,
      excluded: manifest.excluded,
      schemas: manifest.schemas,
      warnings: manifest.warnings,
    };
  } catch (e) {
    await writer.abort(e);
    await removePartialBackup(opts.destination, backupId);
    if (e instanceof CofreError) throw e;
    if (isConnectionFailure(e)) throw connectionError(opts.sourceUrl, e);
    throw new CofreError("SOURCE_QUERY", {
      "pt-BR": `O backup falhou ao ler o banco: ${describeError(e)}. Nenhum backup parcial foi mantido.`,
      en: `The backup failed while reading the database: ${describeError(e)}. No partial backup was kept.`,
    }, { cause: e });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Best effort: delete the volumes a failed backup stored. Without a manifest they are inert anyway. */
async function removePartialBackup(dest: Destination, backupId: string) {
  try {
    for (const o of await listBackupObjects(dest, backupId)) await dest.remove(o.key);
  } catch {
    /* the missing manifest already marks it incomplete */
  }
}
