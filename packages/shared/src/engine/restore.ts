/**
 * Restores a backup into a database, whole or in part, always in ONE transaction — a failure
 * or a conflict at any point leaves the target as it was and says why. Every entry is checked
 * against the manifest (CRC-32, size, SHA-256, row count) while it streams.
 *
 * Modes (docs/restore.md):
 * - whole: schema objects (pre-data), every table's CSV through COPY, sequences, post-data —
 *   into a database without the backup's schemas, or under a new schema name (`intoSchema`);
 * - tables (`tables`): the selected tables into a target that lacks them or has them empty
 *   (restore-tables.ts);
 * - tenant (`tenant`): one tenant's rows and the rows they need (restore-merge.ts);
 * - live (`dryRun` / `apply`): compare by primary key with the target and report, or apply
 *   exactly what a dry run reported (restore-merge.ts).
 */
import { CofreError, describeError } from "../errors.ts";
import type { BackupManifest } from "../config/manifest.ts";
import type { Destination } from "../destinations/contract.ts";
import { writeSequences } from "../sources/postgres/data.ts";
import { connect, connectionError, describeDatabase, isConnectionFailure } from "../sources/postgres/connect.ts";
import { RESTORE_PREAMBLE } from "../sources/postgres/schema/mod.ts";
import type postgres from "postgres";
import { ident, qualified, type Db } from "../sources/postgres/db.ts";
import { parseTenant, type TenantFilter } from "./restore-filter.ts";
import type { TableDiff } from "./restore-live.ts";
import { loadTable } from "./restore-load.ts";
import { runMerge } from "./restore-merge.ts";
import { applyObject } from "./restore-objects.ts";
import { renamedSchema, renameSchemaInSql, type SchemaRename } from "./restore-rename.ts";
import type { RestoreSource } from "./restore-source.ts";
import { openChainSource } from "./chain.ts";
import { applyChainChanges } from "./apply-changes.ts";
import { runTablesRestore } from "./restore-tables.ts";
import { planStorageRestore, type StorageRestoreOptions, type StorageRestoreSummary } from "../sources/storage/restore.ts";

export interface RestoreOptions {
  destination: Destination;
  /** A backup id or `latest`. */
  backupId: string;
  targetUrl: string;
  /** Opens an encrypted backup. */
  passphrase?: string;
  onProgress?: (p: RestoreProgress) => void;
  /** Restore only these tables (`schema.table`, or `table` when unambiguous); with `tenant` or a dry run, the scope. */
  tables?: readonly string[];
  /** With `tables`: add every table the selected ones reference, transitively. */
  withDependencies?: boolean;
  /** One tenant's rows: `column=value` or parsed. */
  tenant?: string | TenantFilter;
  /**
   * With `tenant`: allow inserting rows of ANOTHER tenant that this tenant's rows reference and
   * the target lacks (CLI `--recreate-other-tenant-parents`). Default: refused (RESTORE_CONFLICT).
   */
  recreateOtherTenantParents?: boolean;
  /** Whole restore under another schema name: `new_name` (backup of one schema) or `old=new`. */
  intoSchema?: string;
  /** Compare with the live target and report per table; writes nothing. */
  dryRun?: boolean;
  /** Apply the difference a dry run reported, identified by its id. */
  apply?: string;
  /**
   * Also restore these Supabase Storage buckets (sources/storage/, docs/storage-source.md),
   * after the database; `only`: the buckets alone, the database is not touched.
   */
  storage?: StorageRestoreOptions & { only?: boolean };
}

export interface RestoreProgress {
  phase: "reading" | "schema" | "data" | "constraints" | "done";
  table?: string;
  tablesDone: number;
  tablesTotal: number;
  rows: number;
  bytes: number;
}

export type RestoreMode = "whole" | "tables" | "tenant" | "live" | "storage";

export interface RestoreSummary {
  backupId: string;
  target: string;
  mode: RestoreMode;
  tables: number;
  /** Rows written to the target (for a dry run: 0). */
  rows: number;
  bytes: number;
  durationMs: number;
  /** Things restored differently from the source, said out loud (e.g. an owner role missing here). */
  warnings: string[];
  /** Tenant and live modes: per table, rows inserted, updated, deleted (or that would be, in a dry run). */
  changes?: TableDiff[];
  /** Live mode: the id `apply` must be given to write exactly `changes`. */
  dryRunId?: string;
  /** Live mode: false for a dry run. */
  applied?: boolean;
  /** Storage buckets restored (when asked). */
  storage?: StorageRestoreSummary;
}

/** What the mode implementations share. */
export interface RestoreContext {
  opts: RestoreOptions;
  source: RestoreSource;
  target: string;
  warnings: string[];
  report: (p: Omit<RestoreProgress, "bytes">) => void;
}

function invalid(pt: string, en: string, details: Record<string, unknown> = {}) {
  return new CofreError("INVALID_INPUT", { "pt-BR": pt, en }, { details });
}

/** Refuses combinations of options that mean nothing (or nothing this version does). */
function modeOf(opts: RestoreOptions): Exclude<RestoreMode, "storage"> {
  const tables = (opts.tables?.length ?? 0) > 0;
  const tenant = opts.tenant !== undefined;
  const live = opts.dryRun === true || opts.apply !== undefined;
  if (opts.dryRun && opts.apply !== undefined) {
    throw invalid("Use --dry-run OU --apply <id>, não os dois.", "Use --dry-run OR --apply <id>, not both.");
  }
  if (opts.intoSchema !== undefined && (tables || tenant || live)) {
    throw invalid(
      "--schema restaura o backup inteiro sob outro nome de schema; não combina com --tables, --tenant, --dry-run ou --apply.",
      "--schema restores the whole backup under another schema name; it does not combine with --tables, --tenant, --dry-run or --apply.",
    );
  }
  if (opts.withDependencies && (!tables || tenant || live)) {
    throw invalid(
      "--with-dependencies só vale com --tables (sem --tenant, --dry-run ou --apply).",
      "--with-dependencies only applies to --tables alone (without --tenant, --dry-run or --apply).",
    );
  }
  if (opts.recreateOtherTenantParents && !tenant) {
    throw invalid(
      "--recreate-other-tenant-parents só vale com --tenant.",
      "--recreate-other-tenant-parents only applies with --tenant.",
    );
  }
  if (live) return "live";
  if (tenant) return "tenant";
  if (tables) return "tables";
  return "whole";
}

/** `new` (backup of exactly one schema) or `old=new`. */
export function parseSchemaRename(spec: string, manifest: BackupManifest): SchemaRename {
  const [a, b] = spec.includes("=") ? spec.split("=", 2).map((s) => s.trim()) : [undefined, spec.trim()];
  const from = a ?? (manifest.source.schemas.length === 1 ? manifest.source.schemas[0] : undefined);
  if (!from || !b || !manifest.source.schemas.includes(from) || !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(b)) {
    throw invalid(
      `--schema espera novo_nome (backup de um só schema) ou antigo=novo, com um schema do backup (${manifest.source.schemas.join(", ")}); recebeu ${JSON.stringify(spec)}.`,
      `--schema expects new_name (backup of one schema) or old=new, naming a schema of the backup (${manifest.source.schemas.join(", ")}); got ${JSON.stringify(spec)}.`,
      { schema: spec },
    );
  }
  return { from, to: b };
}

export async function runRestore(opts: RestoreOptions): Promise<RestoreSummary> {
  const started = Date.now();
  const mode = modeOf(opts);
  const tenant = typeof opts.tenant === "string" ? parseTenant(opts.tenant) : opts.tenant;
  // ── Chain call site ──────────────────────────────────────────────────────────────────
  // Incremental and differential backups restore as their chain (engine/chain.ts): the full's
  // data, then every link's change sets in order (apply-changes.ts; docs/postgres-chains.md) —
  // into the tables (whole, tables) or into the staging tables (tenant, live) before rows are
  // picked and compared.
  const source = await openChainSource(opts.destination, opts.backupId, opts.passphrase);
  // ── Storage buckets call site (sources/storage/, docs/storage-source.md) ──────────────────
  // Planned before anything is written (conflicting objects refuse the restore), written after
  // the database restore commits; `storage.only` restores the buckets alone.
  if (opts.storage && opts.dryRun) {
    throw invalid("--buckets não combina com --dry-run (a simulação não grava nada; a restauração do Storage grava).", "--buckets does not combine with --dry-run (a dry run writes nothing; a Storage restore writes).");
  }
  const storagePlan = opts.storage
    ? await planStorageRestore(opts.destination, opts.backupId, opts.passphrase, opts.storage, source.links)
    : null;
  if (storagePlan && opts.storage?.only) {
    const done = await storagePlan.run();
    const count = (f: (b: StorageRestoreSummary["buckets"][number]) => number) => done.buckets.reduce((n, b) => n + f(b), 0);
    return {
      backupId: source.backupId, target: "storage", mode: "storage", tables: 0, rows: 0, bytes: count((b) => b.bytes),
      durationMs: Date.now() - started, warnings: [], storage: done,
    };
  }
  const target = describeDatabase(opts.targetUrl);
  const warnings: string[] = [];
  const ctx: RestoreContext = {
    opts, source, target, warnings,
    report: (p) => opts.onProgress?.({ ...p, bytes: source.bytesRead }),
  };
  ctx.report({ phase: "reading", tablesDone: 0, tablesTotal: source.manifest.tables.length, rows: 0 });

  const sql = connect(opts.targetUrl);
  try {
    const result = await (async () => {
      switch (mode) {
        case "whole":
          return await restoreWhole(sql, ctx, opts.intoSchema === undefined ? null : parseSchemaRename(opts.intoSchema, source.manifest));
        case "tables":
          return await runTablesRestore(sql, ctx, opts.tables!, opts.withDependencies === true);
        case "tenant":
          return await runMerge(sql, ctx, {
            kind: "tenant-add", tenant: tenant!, tables: opts.tables, recreateOtherTenantParents: opts.recreateOtherTenantParents,
          });
        case "live":
          return await runMerge(sql, ctx, {
            kind: opts.dryRun ? "dry-run" : "apply", tenant, tables: opts.tables, applyId: opts.apply,
            recreateOtherTenantParents: opts.recreateOtherTenantParents,
          });
      }
    })();
    ctx.report({ phase: "done", tablesDone: result.tables, tablesTotal: result.tables, rows: result.rows });
    const storage = storagePlan ? await storagePlan.run() : undefined;
    return {
      backupId: source.backupId, target, mode, bytes: source.bytesRead, durationMs: Date.now() - started, warnings, ...result,
      ...(storage ? { storage } : {}),
    };
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
}

/** Refuses a target whose restored schemas hold relations; checks the platform tables the rows need. */
async function assertTargetReady(db: Db, manifest: BackupManifest, schemas: readonly string[], target: string, rename: SchemaRename | null) {
  const rows = await db<{ name: string }[]>`
    select format('%I.%I', n.nspname, c.relname) as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any(${schemas as string[]}) and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
     order by 1 limit 5`;
  if (rows.length) {
    const names = rows.map((r) => r.name);
    throw new CofreError("RESTORE_TARGET_NOT_EMPTY", {
      "pt-BR": `O banco de destino ${target} já tem objetos nos schemas do backup (${names.join(", ")}…). Restaure em um banco vazio, em outro schema (--schema novo_nome), compare com --dry-run, ou remova esses objetos antes.`,
      en: `Target database ${target} already has objects in the backup's schemas (${names.join(", ")}…). Restore into an empty database, under another schema (--schema new_name), compare with --dry-run, or drop them first.`,
    }, { details: { objects: names } });
  }
  const skip = new Set<string>();
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
      // Side by side with the original schema, the platform's rows are already there.
      if (rename) {
        skip.add(name);
        continue;
      }
      throw new CofreError("RESTORE_TARGET_NOT_EMPTY", {
        "pt-BR": `A tabela ${name} do banco de destino já tem linhas; restaure em um projeto onde ela está vazia, ou use --tenant / --dry-run para mesclar linhas.`,
        en: `Table ${name} in the target database already has rows; restore into a project where it is empty, or use --tenant / --dry-run to merge rows.`,
      }, { details: { table: name } });
    }
  }
  return skip;
}

/** The whole backup, optionally under a new schema name (restore-rename.ts says what is rewritten). */
async function restoreWhole(sql: postgres.Sql, ctx: RestoreContext, rename: SchemaRename | null) {
  const { source, warnings } = ctx;
  const { manifest, schema } = source;
  const schemas = manifest.source.schemas.map((s) => renamedSchema(s, rename));
  const skipData = await assertTargetReady(sql, manifest, schemas, ctx.target, rename);
  const sqlOf = (text: string) => (rename ? renameSchemaInSql(text, rename.from, rename.to) : text);
  let objects = schema.objects.map((o) => ({ ...o, schema: o.schema === null ? null : renamedSchema(o.schema, rename), sql: sqlOf(o.sql) }));
  if (rename) {
    // `public` has no CREATE SCHEMA in a dump (every database has it); the new name needs one.
    if (!schema.objects.some((o) => o.kind === "SCHEMA" && o.name === rename.from)) {
      objects = [{ id: "", kind: "SCHEMA", schema: null, name: rename.to, table: null, section: "pre-data", deps: [], sql: `CREATE SCHEMA ${ident(rename.to)};\n` }, ...objects];
    }
  }
  const tablesTotal = manifest.tables.length;
  let rows = 0;
  if (skipData.size) warnings.push(`rows of ${[...skipData].join(", ")} not loaded: the target already has rows there (the new schema's foreign keys use them)`);
  await sql.begin(async (tx) => {
    ctx.report({ phase: "schema", tablesDone: 0, tablesTotal, rows });
    await tx.unsafe(RESTORE_PREAMBLE).simple();
    for (const obj of objects) {
      if (obj.section !== "pre-data") continue;
      // Beside the original schema, an extension the target already has stays where it is;
      // the new schema may already exist, empty (assertTargetReady checked it holds nothing).
      await applyObject(tx, obj, warnings, { mayExist: rename !== null && (obj.kind === "EXTENSION" || obj.kind === "SCHEMA") });
    }
    // Triggers already in the target (e.g. on auth.users) must not fire while rows load:
    // the rows are restored as they were. Needs superuser or SET on the parameter (PG ≥ 15).
    try {
      await tx.savepoint((sp) => sp`set local session_replication_role = replica`);
    } catch (e) {
      warnings.push(`triggers in the target stay enabled during the data load: ${describeError(e)}`);
    }
    for (const [i, t] of manifest.tables.entries()) {
      if (skipData.has(`${t.schema}.${t.name}`)) continue;
      ctx.report({ phase: "data", table: `${t.schema}.${t.name}`, tablesDone: i, tablesTotal, rows });
      rows += await loadTable(tx, source, t, { schema: renamedSchema(t.schema, rename), name: t.name });
    }
    await applyChainChanges(tx, source, {
      filter: { tables: new Set(manifest.tables.map((t) => `${t.schema}.${t.name}`).filter((n) => !skipData.has(n))) },
      into: (t) => ({ schema: renamedSchema(t.schema, rename), name: t.name }),
    });
    await writeSequences(tx, manifest.sequences.map((s) => ({ ...s, schema: renamedSchema(s.schema, rename) })));
    await tx`set local session_replication_role = origin`;

    ctx.report({ phase: "constraints", tablesDone: tablesTotal, tablesTotal, rows });
    for (const obj of objects) if (obj.section === "post-data") await applyObject(tx, obj, warnings);
  });
  return { tables: tablesTotal, rows };
}
