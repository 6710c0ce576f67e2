/**
 * A logical backup of a PostgreSQL database to a destination, written as ZIP volumes plus a
 * top-level manifest that is stored last — so a backup that failed part-way has no manifest
 * and never looks complete.
 *
 * - full: schema from the catalogs, every table as CSV parts, sequence positions. In one
 *   REPEATABLE READ snapshot by default; with `stepBytes`, in steps of their own transactions
 *   (each with its snapshot), then the changes made meanwhile, captured in the source, are
 *   added so a restore reaches the last step's snapshot.
 * - incremental / differential: the schema and, per table, the net changes since the parent
 *   (the newest backup of the chain / the last full), from the source's change capture.
 * Design: docs/postgres-chains.md.
 */
import { CofreError, describeError, isCofreError } from "../errors.ts";
import {
  BackupManifest, ENCRYPTION_CONTAINER, FORMAT_NAME, FORMAT_VERSION, ManifestEnvelope, type BackupType,
  type ArtifactRecord, type ChangeSetRecord, type EncryptionRecord, type StepRecord, type TableRecord,
} from "../config/manifest.ts";
import { createBackupKey, encryptStream, KeyCache } from "../format/crypto/mod.ts";
import { DEFAULT_EXCLUDES, isSystemSchema, matchExclusion } from "../config/scope.ts";
import type { Destination } from "../destinations/contract.ts";
import {
  blockRanges, copyOut, copySelectOut, listReferencedSystemTables, listTables, readSequences, type BlockRange, type TableInfo,
} from "../sources/postgres/data.ts";
import { connect, connectionError, describeDatabase, isConnectionFailure } from "../sources/postgres/connect.ts";
import { dumpSchema, renderSql } from "../sources/postgres/schema/mod.ts";
import type { SchemaDump } from "../sources/postgres/schema/model.ts";
import type { Db } from "../sources/postgres/db.ts";
import {
  alteredSince, captureEpoch, capturePosition, destinationConsumer, dropConsumer, ensureCapture, hasConsumer,
  pinValueTextSettings, pruneChanges, setConsumer, snapshotLiteral, VALUE_TEXT_SETTINGS,
} from "../sources/postgres/capture/mod.ts";
import { changeSetSelect, describeCapturedTables, type CapturedTable } from "../sources/postgres/capture/changes.ts";
import { sha256Hasher } from "../format/checksum.ts";
import { COFRE_VERSION } from "../version.ts";
import { newBackupId } from "./backup-id.ts";
import {
  changePartEntry, MANIFEST_ENTRY, MANIFEST_KEY, SCHEMA_JSON_ENTRY, SCHEMA_POST_SQL_ENTRY, SCHEMA_PRE_SQL_ENTRY,
  SEALED_MANIFEST_KEY,
} from "./entry-names.ts";
import { TablePartWriter } from "./table-parts.ts";
import { openUpload, putObject, type Sealer, type Upload } from "./upload.ts";
import { VolumeSetWriter } from "./volume-set.ts";
import { listBackupObjects } from "./catalog.ts";
import { findChainParent, type ChainStart } from "./chain.ts";
import { backupStorage, type StorageBackupSummary, type StorageSourceOptions } from "../sources/storage/backup.ts";

const MiB = 1024 * 1024;
const BLOCK_SIZE = 8192;

/**
 * Stores one extra object under `<backupId>/` (sealed with `seal` when the backup is
 * encrypted) and returns its record; runs after the data, before the manifest. Example:
 * sources/postgres/pg-dump-custom.ts (Node only, so it is passed in, never imported here).
 */
export type ArtifactProducer = (ctx: {
  backupId: string;
  /** Opens `<backupId>/<name>` for writing, sealed when the backup is encrypted; close() gives its stored digests. */
  open: (name: string) => Upload;
  /** True when the backup is encrypted (name the object `….cofre`). */
  sealed: boolean;
  schemas: readonly string[];
  excluded: readonly { schema: string; name: string }[];
}) => Promise<ArtifactRecord>;

export interface BackupOptions {
  sourceUrl: string;
  /** Extra objects to store with the backup (e.g. pgDumpArtifact()); default none. */
  artifacts?: readonly ArtifactProducer[];
  destination: Destination;
  /** full (default); incremental: changes since the newest backup of the chain; differential: since the last full. */
  type?: BackupType;
  /**
   * Install the change capture in the source (schema `cofre_capture`, triggers on every table
   * backed up), which incrementals and differentials start from. Default: on for incremental,
   * differential and multi-step full backups; for a one-step full, on only if already installed.
   */
  capture?: boolean;
  /**
   * What an incremental or differential does when it cannot continue a chain (no full made
   * with the current change capture, or the schema changed since): "full" (default) makes a
   * full backup instead and says so in `warnings` — as pgBackRest forces a full when no prior
   * backup exists — so a schedule of incrementals needs nothing from the user; "fail" throws
   * CHAIN_BROKEN.
   */
  whenChainBroken?: "full" | "fail";
  /**
   * Days after which a destination's record in the source's change log (refreshed by each of
   * its backups) expires, letting pruning drop the changes it kept; that destination's next
   * incremental then becomes a full. Default 35 (DEFAULT_CONSUMER_MAX_AGE_DAYS): longer than
   * the longest interval between two backups a schedule allows (docs/postgres-chains.md).
   */
  consumerMaxAgeDays?: number;
  /**
   * Split a full dump into steps, each its own transaction and snapshot, ending a step once it
   * has read this many CSV bytes (tests; the engine's edge budget). Default: one step.
   */
  stepBytes?: number;
  /** Awaited between the steps of a multi-step full (tests write concurrently here). */
  onStep?: (step: number) => Promise<void> | void;
  /**
   * Tests: awaited inside each full-dump step's transaction, right after its snapshot is taken,
   * with that snapshot exported (pg_export_snapshot()), so a test can read the source exactly
   * as of the step (SET TRANSACTION SNAPSHOT) while writers keep going.
   */
  onSnapshot?: (exported: string, step: number) => Promise<void> | void;
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
  /** Supabase Storage buckets to store in the same volumes (sources/storage/, docs/storage-source.md). */
  storage?: StorageSourceOptions;
}

export interface BackupProgress {
  phase: "schema" | "data" | "changes" | "finishing" | "done";
  table?: string;
  tablesDone: number;
  tablesTotal: number;
  rows: number;
  bytesIn: number;
  bytesOut: number;
}

export interface BackupSummary {
  backupId: string;
  type: BackupType;
  /** The backup this one's changes start after (null for a full). */
  parentId: string | null;
  /** The chain's full (null for a full). */
  baseId: string | null;
  destination: string;
  tables: number;
  /** Table rows plus change records. */
  rows: number;
  /** Change records (incremental/differential, or a multi-step full's catch-up). */
  changeRows: number;
  /** Transactions the dump took (1 unless split by stepBytes). */
  steps: number;
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
  /** Storage buckets backed up with the database (when asked). */
  storage?: StorageBackupSummary;
}

type DataTable = TableInfo & { dataOnly: boolean };

interface Scope {
  schemas: string[];
  /** Tables whose rows the backup carries. */
  tables: DataTable[];
  excluded: BackupSummary["excluded"];
}

interface Point {
  version: string;
  snapshot: string;
  lsn: string | null;
  at: string;
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

async function readScope(db: Db, schemasWanted: readonly string[] | undefined, patterns: readonly string[]): Promise<Scope> {
  const schemas = schemasWanted?.length ? [...schemasWanted] : await defaultSchemas(db);
  await assertSchemasExist(db, schemas);
  const external = await listReferencedSystemTables(db, schemas, isSystemSchema);
  const all: DataTable[] = [
    ...external.map((t) => ({ ...t, dataOnly: true })),
    ...(await listTables(db, schemas)).map((t) => ({ ...t, dataOnly: false })),
  ];
  const excluded: Scope["excluded"] = [];
  const tables = all.filter((t) => {
    const hit = matchExclusion(patterns, t.schema, t.name);
    if (hit) excluded.push({ schema: t.schema, name: t.name, reason: `data excluded by pattern ${hit}` });
    return !hit;
  });
  return { schemas, tables, excluded };
}

async function readPoint(tx: Db): Promise<Point> {
  const [p] = await tx<{ version: string; snapshot: string; lsn: string | null; at: Date }[]>`
    select current_setting('server_version') as version, pg_current_snapshot()::text as snapshot,
           case when pg_is_in_recovery() then null else pg_current_wal_lsn()::text end as lsn,
           now() as at`;
  return { version: p!.version, snapshot: p!.snapshot, lsn: p!.lsn, at: new Date(p!.at).toISOString() };
}

/** SHA-256 over the objects' ids and SQL: the same digest means the same schema. */
function schemaDigest(dump: SchemaDump): string {
  const h = sha256Hasher();
  for (const o of dump.objects) h.update(`${o.id}\u0000${o.sql}\u0000`);
  return h.digest("hex");
}

const tableKey = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

function schemaChanged(pt: string, en: string, details: Record<string, unknown>) {
  return new CofreError("CHAIN_BROKEN", { "pt-BR": pt, en }, { details });
}

export async function runBackup(opts: BackupOptions): Promise<BackupSummary> {
  const started = Date.now();
  /** The type made: the one asked for, unless a broken chain forced a full (see whenChainBroken). */
  let type: BackupType = opts.type ?? "full";
  const forcedFull: string[] = [];
  /** Turns a CHAIN_BROKEN into a full backup when the options allow it; rethrows anything else. */
  const forceFull = (e: unknown) => {
    if (!isCofreError(e, "CHAIN_BROKEN") || (opts.whenChainBroken ?? "full") === "fail") throw e;
    forcedFull.push(
      `backup completo feito no lugar do ${type === "incremental" ? "incremental" : "diferencial"} pedido / full backup made instead of the requested ${type}: ${e.messages.en}`,
    );
    type = "full";
  };
  const createdAt = opts.now ?? new Date();
  const backupId = newBackupId(createdAt);
  const level = opts.compressionLevel ?? 6;
  const keyCache = new KeyCache();
  const key = opts.passphrase === undefined ? null : await createBackupKey(opts.passphrase, { iterations: opts.kdfIterations });
  const seal: Sealer | undefined = key ? () => encryptStream(key) : undefined;
  const encryption: EncryptionRecord | null = key
    ? { container: ENCRYPTION_CONTAINER, kdf: "pbkdf2-hmac-sha256", iterations: key.iterations }
    : null;
  const newWriter = () => new VolumeSetWriter(opts.destination, backupId, opts.volumeSize ?? 64 * MiB, {
    method: "auto", level, modified: createdAt,
  }, seal);
  /** Replaced (after removing what it stored) when an incremental turns into a full part-way. */
  let writer = newWriter();
  const partBytes = opts.partSize ?? 64 * MiB;
  const blocksPerPart = Math.max(1, Math.floor(partBytes / BLOCK_SIZE));
  const patterns = [...(opts.noDefaultExcludes ? [] : DEFAULT_EXCLUDES), ...(opts.exclude ?? [])];
  const sql = connect(opts.sourceUrl);
  const encoder = new TextEncoder();
  const runConsumer = `run:${backupId}`;
  let consumerSet = false;
  let bytesIn = 0;
  let rows = 0;
  let changeRows = 0;
  const report = (p: Omit<BackupProgress, "rows" | "bytesIn" | "bytesOut">) =>
    opts.onProgress?.({ ...p, rows, bytesIn, bytesOut: writer.bytesOut });

  /** Writes the three schema entries. */
  async function writeSchema(dump: SchemaDump) {
    for (const [name, text] of [
      [SCHEMA_JSON_ENTRY, JSON.stringify(dump)],
      [SCHEMA_PRE_SQL_ENTRY, renderSql(dump, "pre-data")],
      [SCHEMA_POST_SQL_ENTRY, renderSql(dump, "post-data")],
    ] as const) {
      bytesIn += (await writer.addEntry(name, encoder.encode(text))).size;
    }
  }

  /** Writes the change set of each table with changes after `sinceOf(table)` (null: none needed). */
  async function writeChanges(tx: Db, tables: readonly CapturedTable[], sinceOf: (t: CapturedTable) => string | null) {
    const out: ChangeSetRecord[] = [];
    const unpin = await pinValueTextSettings(tx, VALUE_TEXT_SETTINGS);
    for (const [i, t] of tables.entries()) {
      const since = sinceOf(t);
      if (since === null) continue;
      const snap = snapshotLiteral(since);
      // Logged rows that no longer fit the table (a column added and dropped since) fail in the
      // COPY below, which casts each once; loggedRowsUnfit turns that into CHAIN_BROKEN and the
      // caller discards what this backup wrote.
      const [probe] = await tx.unsafe<{ any: boolean; truncated: boolean }[]>(
        `select count(*) > 0 as any, coalesce(bool_or(op = 'T'), false) as truncated
           from cofre_capture.change_log
          where relid = ${t.oid}::oid and xid >= pg_snapshot_xmin(${snap}) and not pg_visible_in_snapshot(xid, ${snap})`,
      );
      if (!probe?.any) continue;
      report({ phase: "changes", table: tableKey(t), tablesDone: i, tablesTotal: tables.length });
      const parts = new TablePartWriter(writer, t.schema, t.name, partBytes, (n) => changePartEntry(t.schema, t.name, n));
      await parts.startRange();
      try {
        await copySelectOut(tx, changeSetSelect(t, since), (chunk) => parts.write(chunk));
      } catch (e) {
        throw loggedRowsUnfit(t, e);
      }
      await parts.endRange();
      changeRows += parts.rows;
      rows += parts.rows;
      bytesIn += parts.bytes;
      out.push({
        schema: t.schema, name: t.name, columns: t.columns, key: t.key, since, truncated: probe.truncated,
        rows: parts.rows, parts: parts.parts,
      });
    }
    await unpin();
    return out;
  }

  try {
    const scope = await sql.begin("isolation level repeatable read read only", (tx) => readScope(tx, opts.schemas, patterns));
    const multiStep = type === "full" && opts.stepBytes !== undefined;
    const wantCapture = opts.capture ?? (type !== "full" || multiStep || (await captureEpoch(sql)) !== null);
    if ((type !== "full" || multiStep) && opts.capture === false) {
      throw new CofreError("INVALID_INPUT", {
        "pt-BR": "Backups incrementais, diferenciais e completos em etapas precisam da captura de alterações: não use capture=false com eles.",
        en: "Incremental, differential and multi-step full backups need change capture: do not set capture=false with them.",
      });
    }
    // Installed (and committed) before any snapshot the backup reads in: see capture/mod.ts.
    const installed = wantCapture ? await ensureCapture(sql, scope.tables) : null;
    const epoch = installed?.epoch ?? null;
    const secrets = { passphrase: opts.passphrase, keyCache };
    let chain: ChainStart | null = null;
    if (type !== "full") {
      chain = await findChainParent(opts.destination, type, { epoch: epoch!, schemas: scope.schemas }, secrets).catch((e) => {
        forceFull(e);
        return null;
      });
    }
    if (epoch) {
      const [now] = await sql<{ s: string }[]>`select pg_current_snapshot()::text as s`;
      await setConsumer(sql, runConsumer, chain?.parent.consistency.snapshot ?? now!.s);
      consumerSet = true;
    }

    let body: Body | null = null;
    if (chain) {
      body = await dumpChanges(scope, chain, installed!.added).catch(async (e) => {
        forceFull(e);
        chain = null;
        if (writer.entries.length > 0) {
          // Refused after writing began (logged rows that no longer fit): start the full afresh.
          await writer.abort(e);
          await removePartialBackup(opts.destination, backupId);
          writer = newWriter();
          rows = 0;
          changeRows = 0;
          bytesIn = 0;
        }
        return null;
      });
    }
    body ??= await dumpFull(scope, epoch !== null);

    report({ phase: "finishing", tablesDone: body.tables.length, tablesTotal: body.tables.length });
    const content: BackupManifest = {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      backupId,
      type,
      parentId: chain?.parent.backupId ?? null,
      baseId: chain?.base.backupId ?? null,
      createdAt: createdAt.toISOString(),
      tool: { name: "cofre", version: COFRE_VERSION },
      source: {
        kind: "postgres", serverVersion: body.point.version, database: describeDatabase(opts.sourceUrl),
        schemas: scope.schemas, excluded: scope.excluded,
      },
      consistency: {
        snapshot: body.point.snapshot, lsn: body.point.lsn, at: body.point.at,
        since: chain?.parent.consistency.snapshot ?? null,
        capture: epoch && body.position !== null ? { epoch, position: body.position } : null,
        steps: body.steps,
      },
      compression: { method: "deflate", level },
      encryption,
      schema: {
        objects: body.schema.objects.length, entries: [SCHEMA_JSON_ENTRY, SCHEMA_PRE_SQL_ENTRY, SCHEMA_POST_SQL_ENTRY],
        digest: schemaDigest(body.schema),
      },
      tables: body.tables,
      changes: body.changes,
      sequences: body.sequences,
      entries: [],
      artifacts: [],
      stats: { rows, bytesIn, durationMs: Date.now() - started },
    };
    // ── Storage buckets call site (sources/storage/, docs/storage-source.md) ──────────────
    // Every object of the selected buckets goes into these volumes after the data; one
    // unchanged since the parent (same ETag and size) references the backup that stored it.
    const storage = opts.storage
      ? await backupStorage(opts.storage, {
        writer, backupId, parent: chain?.parent ?? null, partSize: partBytes,
        onObject: (bucket, key) => report({ phase: "data", table: `storage ${bucket}/${key}`, tablesDone: content.tables.length, tablesTotal: content.tables.length }),
      })
      : null;
    if (storage) {
      content.storage = storage.section;
      content.stats.bytesIn += storage.summary.storedBytes;
      bytesIn += storage.summary.storedBytes;
    }
    // Extra objects (a pg_dump -Fc archive, Node only) are stored before the manifest names them.
    for (const produce of opts.artifacts ?? []) {
      content.artifacts.push(await produce({
        backupId, open: (name) => openUpload(opts.destination, `${backupId}/${name}`, seal), sealed: seal !== undefined,
        schemas: scope.schemas, excluded: scope.excluded,
      }));
    }
    const full = await storeManifest(content);

    if (epoch) {
      // What this destination's next backups need: everything after its chain's latest full
      // (a differential starts there). Then nothing older is kept for it.
      await setConsumer(sql, destinationConsumer(opts.destination.displaySpec), chain?.base.consistency.snapshot ?? full.consistency.snapshot);
      await dropConsumer(sql, runConsumer);
      consumerSet = false;
      await pruneChanges(sql, undefined, opts.consumerMaxAgeDays);
    }

    const bytesOut = writer.volumes.reduce((n, v) => n + v.size, 0);
    report({ phase: "done", tablesDone: body.tables.length, tablesTotal: body.tables.length });
    return {
      backupId,
      type,
      parentId: full.parentId,
      baseId: full.baseId,
      destination: opts.destination.displaySpec,
      tables: body.tables.length,
      rows,
      changeRows,
      steps: Math.max(1, body.steps.length),
      bytesIn,
      bytesOut,
      compressionRatio: bytesOut > 0 ? bytesIn / bytesOut : 0,
      volumes: writer.volumes.length,
      encrypted: key !== null,
      durationMs: Date.now() - started,
      excluded: scope.excluded,
      schemas: scope.schemas,
      warnings: [...forcedFull, ...body.schema.warnings, ...(installed?.warnings ?? []), ...(storage?.warnings ?? [])],
      ...(storage ? { storage: storage.summary } : {}),
    };
  } catch (e) {
    await writer.abort(e);
    await removePartialBackup(opts.destination, backupId);
    if (consumerSet) await dropConsumer(sql, runConsumer).catch(() => {});
    if (e instanceof CofreError) throw e;
    if (isConnectionFailure(e)) throw connectionError(opts.sourceUrl, e);
    throw new CofreError("SOURCE_QUERY", {
      "pt-BR": `O backup falhou ao ler o banco: ${describeError(e)}. Nenhum backup parcial foi mantido.`,
      en: `The backup failed while reading the database: ${describeError(e)}. No partial backup was kept.`,
    }, { cause: e });
  } finally {
    await sql.end({ timeout: 5 });
  }

  interface Body {
    point: Point;
    schema: SchemaDump;
    tables: TableRecord[];
    changes: ChangeSetRecord[];
    sequences: BackupManifest["sequences"];
    steps: StepRecord[];
    /** Change-log position at `point`, null without capture. */
    position: string | null;
  }

  /**
   * A full dump: one transaction, or (stepBytes) several, each ending once it has read
   * stepBytes of CSV. A table without a primary key is never split across steps: its changes
   * replay in order, which needs one starting snapshot for all its rows.
   */
  async function dumpFull(scope: Scope, capture: boolean): Promise<Body> {
    const queue = scope.tables.map((table) => ({
      table, ranges: blockRanges(table.blocks, blocksPerPart) as BlockRange[], parts: null as TablePartWriter | null,
    }));
    const total = queue.length;
    const records: TableRecord[] = [];
    const since = new Map<string, string>();
    const steps: StepRecord[] = [];
    let schema: SchemaDump | null = null;
    let captured: CapturedTable[] = [];
    for (let step = 0; ; step++) {
      if (step > 0) await opts.onStep?.(step);
      const done = await sql.begin("isolation level repeatable read read only", async (tx): Promise<Body | null> => {
        const point = await readPoint(tx);
        if (opts.onSnapshot) {
          const [x] = await tx<{ id: string }[]>`select pg_export_snapshot() as id`;
          await opts.onSnapshot(x!.id, step);
        }
        if (step === 0) {
          const now = await readScope(tx, scope.schemas, patterns);
          if (now.tables.map(tableKey).join("\n") !== scope.tables.map(tableKey).join("\n")) {
            throw new CofreError("SOURCE_QUERY", {
              "pt-BR": "As tabelas do banco mudaram enquanto o backup começava. Rode o backup de novo.",
              en: "The database's tables changed while the backup was starting. Run the backup again.",
            });
          }
          report({ phase: "schema", tablesDone: 0, tablesTotal: total });
          schema = await dumpSchema(tx, { schemas: scope.schemas });
          await writeSchema(schema);
          captured = await describeCapturedTables(tx, scope.tables);
        }
        const keyed = new Set(captured.filter((t) => t.key).map(tableKey));
        const stepTables: string[] = [];
        let read = 0;
        while (queue.length) {
          const item = queue[0]!;
          const k = tableKey(item.table);
          if (!since.has(k)) since.set(k, point.snapshot);
          if (!stepTables.includes(k)) stepTables.push(k);
          if (!item.parts) {
            report({ phase: "data", table: k, tablesDone: records.length, tablesTotal: total });
            item.parts = new TablePartWriter(writer, item.table.schema, item.table.name, partBytes);
          }
          const parts = item.parts;
          const before = parts.bytes;
          await parts.startRange();
          await copyOut(tx, item.table, item.ranges.shift()!, (chunk) => parts.write(chunk));
          await parts.endRange();
          read += parts.bytes - before;
          if (item.ranges.length === 0) {
            records.push({
              schema: item.table.schema, name: item.table.name, columns: item.table.columns, rows: parts.rows,
              parts: parts.parts, dataOnly: item.table.dataOnly,
            });
            rows += parts.rows;
            bytesIn += parts.bytes;
            queue.shift();
          }
          const canStop = item.ranges.length === 0 || keyed.has(k);
          if (opts.stepBytes !== undefined && read >= opts.stepBytes && queue.length > 0 && canStop) break;
        }
        steps.push({ snapshot: point.snapshot, at: point.at, tables: stepTables });
        if (queue.length) return null;

        let changes: ChangeSetRecord[] = [];
        if (steps.length > 1) {
          const again = await dumpSchema(tx, { schemas: scope.schemas });
          if (schemaDigest(again) !== schemaDigest(schema!)) {
            throw new CofreError("SOURCE_QUERY", {
              "pt-BR": "O schema do banco mudou durante o backup em etapas. Rode o backup de novo (ele volta a ser consistente).",
              en: "The database schema changed during the multi-step backup. Run the backup again.",
            });
          }
          // Each table catches up from the snapshot its first rows were read in to this one.
          changes = await writeChanges(tx, captured, (t) => {
            const first = since.get(tableKey(t));
            return first === undefined || first === point.snapshot ? null : first;
          }).catch((e) => {
            if (!isCofreError(e, "CHAIN_BROKEN")) throw e;
            throw new CofreError("SOURCE_QUERY", {
              "pt-BR": "A definição de uma tabela mudou durante o backup em etapas. Rode o backup de novo.",
              en: "A table's definition changed during the multi-step backup. Run the backup again.",
            }, { details: e.details });
          });
        }
        return {
          point, schema: schema!, tables: records, changes, sequences: await readSequences(tx, scope.schemas),
          steps: steps.length > 1 ? steps : [], position: capture ? await capturePosition(tx) : null,
        };
      });
      if (done) return done;
    }
  }

  /** An incremental or differential: the changes since the parent's snapshot, in one transaction. */
  async function dumpChanges(scope: Scope, start: ChainStart, added: readonly string[]): Promise<Body> {
    const refuse = (why: string, whyPt: string) =>
      schemaChanged(
        `Não é possível fazer um backup ${type === "incremental" ? "incremental" : "diferencial"} a partir de ${start.parent.backupId}: ${whyPt}. Faça um backup completo (--type full).`,
        `Cannot make a ${type} backup on top of ${start.parent.backupId}: ${why}. Run a full backup (--type full).`,
        { parent: start.parent.backupId, reason: why },
      );
    if (added.length) {
      throw refuse(
        `change capture was missing on ${added.slice(0, 5).join(", ")} since then`,
        `a captura de alterações faltava em ${added.slice(0, 5).join(", ")} desde então`,
      );
    }
    return await sql.begin("isolation level repeatable read read only", async (tx): Promise<Body> => {
      const point = await readPoint(tx);
      const shape = (ts: readonly { schema: string; name: string; columns: readonly string[] }[]) =>
        ts.map((t) => `${tableKey(t)}(${t.columns.join(",")})`).sort().join("\n");
      const now = await readScope(tx, scope.schemas, patterns);
      if (shape(now.tables) !== shape(start.base.tables)) {
        throw refuse("its tables or columns (or the exclusions) differ", "as tabelas, colunas ou exclusões mudaram");
      }
      report({ phase: "schema", tablesDone: 0, tablesTotal: now.tables.length });
      const schema = await dumpSchema(tx, { schemas: scope.schemas });
      if (!start.parent.schema.digest || schemaDigest(schema) !== start.parent.schema.digest) {
        throw refuse("the schema changed", "o schema mudou");
      }
      const captured = await describeCapturedTables(tx, now.tables);
      // A column added and dropped again leaves the digest equal but the logged rows unfit.
      const altered = await alteredSince(tx, start.parent.consistency.snapshot, captured.map((t) => t.oid));
      if (altered.length) {
        throw refuse(`DDL changed ${altered.slice(0, 5).join(", ")} since then`, `DDL alterou ${altered.slice(0, 5).join(", ")} desde então`);
      }
      // The destination's record expired (or retention dropped it): the log may have lost changes.
      if (!(await hasConsumer(tx, destinationConsumer(opts.destination.displaySpec)))) {
        throw refuse(
          "the source's change log no longer keeps this destination's changes (its record expired or was removed)",
          "o log de alterações da origem não guarda mais as alterações deste destino (o registro expirou ou foi removido)",
        );
      }
      await writeSchema(schema);
      const changes = await writeChanges(tx, captured, () => start.parent.consistency.snapshot);
      return {
        point, schema, tables: [], changes, sequences: await readSequences(tx, scope.schemas), steps: [],
        position: await capturePosition(tx),
      };
    });
  }

  /** Stores the volumes and the manifest (sealed + envelope when encrypted); the top-level manifest goes last. */
  async function storeManifest(content: BackupManifest): Promise<BackupManifest> {
    // The copy inside the volumes lists every entry but itself; the top-level one adds volumes.
    content.entries = [...writer.entries];
    await writer.addEntry(MANIFEST_ENTRY, encoder.encode(JSON.stringify(BackupManifest.parse(content), null, 2)));
    const volumes = await writer.finish();
    const full = BackupManifest.parse({ ...content, entries: [...writer.entries], volumes });
    const fullBytes = encoder.encode(JSON.stringify(full, null, 2));
    if (seal && encryption) {
      const sealed = await putObject(opts.destination, `${backupId}/${SEALED_MANIFEST_KEY}`, fullBytes, seal);
      const envelope = ManifestEnvelope.parse({
        format: FORMAT_NAME, version: FORMAT_VERSION, backupId, type: full.type, parentId: full.parentId,
        baseId: full.baseId, createdAt: full.createdAt, encryption, volumes,
        sealedManifest: { name: SEALED_MANIFEST_KEY, size: sealed.size, sha256: sealed.sha256, md5: sealed.md5 },
      });
      await putObject(opts.destination, `${backupId}/${MANIFEST_KEY}`, encoder.encode(JSON.stringify(envelope, null, 2)));
    } else {
      await putObject(opts.destination, `${backupId}/${MANIFEST_KEY}`, fullBytes);
    }
    return full;
  }
}

/**
 * A change-set query that failed, typically casting logged row text to a table type that has
 * changed since (a column added and dropped again): CHAIN_BROKEN, so the default makes a full.
 * The database's message quotes the row, so neither it nor the error (as `cause`) is kept —
 * only the table and the SQLSTATE (patient data must not reach logs).
 */
function loggedRowsUnfit(t: { schema: string; name: string }, e: unknown): unknown {
  if (e instanceof CofreError) return e;
  const sqlstate = (e as { code?: string }).code;
  // Data exceptions (22xxx: malformed record literal, invalid input syntax…) and type mismatches.
  if (typeof sqlstate !== "string" || !(sqlstate.startsWith("22") || sqlstate === "42804" || sqlstate === "42846")) return e;
  const table = `${t.schema}.${t.name}`;
  return new CofreError("CHAIN_BROKEN", {
    "pt-BR": `As alterações registradas de ${table} não cabem mais na tabela (SQLSTATE ${sqlstate}): a definição dela mudou desde o backup anterior. Faça um backup completo (--type full).`,
    en: `The logged changes of ${table} no longer fit the table (SQLSTATE ${sqlstate}): its definition changed since the previous backup. Run a full backup (--type full).`,
  }, { details: { table, sqlstate } });
}

/** Best effort: delete the volumes a failed backup stored. Without a manifest they are inert anyway. */
async function removePartialBackup(dest: Destination, backupId: string) {
  try {
    for (const o of await listBackupObjects(dest, backupId)) await dest.remove(o.key);
  } catch {
    /* the missing manifest already marks it incomplete */
  }
}
