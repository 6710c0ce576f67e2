/**
 * Restores that merge backed-up rows into tables the target already has (or, for a tenant
 * restore into an empty database, that this restore creates first), through staging
 * (restore-stage.ts) and a per-table difference by primary key (restore-live.ts):
 *
 * - `tenant-add`: one tenant's rows (restore-filter.ts) are inserted where their key is
 *   absent; identical rows are left alone; a tenant row that exists with other values, or a
 *   row that would break a UNIQUE constraint, is a RESTORE_CONFLICT naming tables and counts.
 *   Needed parents the target already has are kept as they are. No row is deleted.
 * - `dry-run`: for the whole backup, `--tables` or `--tenant`, report per table the rows an
 *   apply would insert, update and delete, with an id; nothing is written.
 * - `apply`: recompute the same difference with the scope's tables locked against writes;
 *   refuse unless its id equals the one given; write it; check foreign keys.
 */
import type postgres from "postgres";
import { CofreError } from "../errors.ts";
import type { TableRecord } from "../config/manifest.ts";
import { ident } from "../sources/postgres/db.ts";
import { RESTORE_PREAMBLE } from "../sources/postgres/schema/mod.ts";
import { applyChainChanges } from "./apply-changes.ts";
import { OWN, pickTenantRows, tenantCondition, tenantGuards, type TenantFilter } from "./restore-filter.ts";
import { assertNoOrphans } from "./restore-integrity.ts";
import { applyDiff, assertPrimaryKeys, computeDiff, dryRunId, type DiffScope, type TableDiff, type TenantBreaches } from "./restore-live.ts";
import { applyObject } from "./restore-objects.ts";
import { parseTableSpecs, recordsFor } from "./restore-plan.ts";
import { PICK, stageTables } from "./restore-stage.ts";
import { assertPlatformTablesPresent, raiseSequences, readTargetCatalog, tableKey, type TargetCatalog } from "./restore-target.ts";
import type { RestoreContext } from "./restore.ts";

/**
 * `recreateOtherTenantParents`: a tenant restore may insert rows of ANOTHER tenant that this
 * tenant's rows reference and the target lacks (`--recreate-other-tenant-parents`); without
 * it such rows are a RESTORE_CONFLICT (docs/restore.md, "Tenant safety").
 */
export type MergeRequest =
  | { kind: "tenant-add"; tenant: TenantFilter; tables?: readonly string[]; recreateOtherTenantParents?: boolean }
  | {
    kind: "dry-run" | "apply";
    tenant?: TenantFilter;
    tables?: readonly string[];
    applyId?: string;
    recreateOtherTenantParents?: boolean;
  };

/** A RESTORE_CONFLICT with the tables and counts that caused it. */
function conflict(pt: string, en: string, details: Record<string, unknown>) {
  return new CofreError("RESTORE_CONFLICT", { "pt-BR": pt, en }, { details });
}

/**
 * The records in scope: `--tables`, or every table. A tenant restore follows foreign keys
 * only between tables in scope (with `--tables`, parents outside it must already be in the target).
 */
function scopeRecords(ctx: RestoreContext, req: MergeRequest): TableRecord[] {
  const { manifest } = ctx.source;
  if (req.tables?.length) return recordsFor(manifest, parseTableSpecs(req.tables, manifest));
  return manifest.tables;
}

/**
 * For a tenant restore into a database without any of the backup's tables: the whole schema
 * (pre-data and post-data) is created first, then only the tenant's rows are inserted.
 */
async function createSchemaIfAbsent(tx: postgres.TransactionSql, ctx: RestoreContext, records: readonly TableRecord[], catalog: TargetCatalog) {
  const own = records.filter((r) => !r.dataOnly);
  const present = own.filter((r) => catalog.tables.has(tableKey(r.schema, r.name)));
  if (present.length === own.length) return false;
  if (present.length > 0) {
    const absent = own.filter((r) => !catalog.tables.has(tableKey(r.schema, r.name))).map((r) => `${r.schema}.${r.name}`);
    throw new CofreError("RESTORE_FAILED", {
      "pt-BR": `O banco de destino tem só parte das tabelas do backup (faltam ${absent.slice(0, 10).join(", ")}). Restaure essas tabelas antes (--tables) ou use um banco vazio.`,
      en: `The target database has only some of the backup's tables (missing ${absent.slice(0, 10).join(", ")}). Restore those tables first (--tables) or use an empty database.`,
    }, { details: { missing: absent } });
  }
  if (ctx.opts.dryRun || ctx.opts.apply !== undefined) {
    throw new CofreError("RESTORE_FAILED", {
      "pt-BR": "O banco de destino não tem as tabelas do backup: não há o que comparar. Faça uma restauração comum (sem --dry-run).",
      en: "The target database does not have the backup's tables: there is nothing to compare with. Run a plain restore (without --dry-run).",
    });
  }
  // Every object, as a whole restore applies them (views and functions included), minus the data.
  for (const section of ["pre-data", "post-data"] as const) {
    for (const o of ctx.source.schema.objects) if (o.section === section) await applyObject(tx, o, ctx.warnings);
  }
  return true;
}

export async function runMerge(sql: postgres.Sql, ctx: RestoreContext, req: MergeRequest) {
  const { source, warnings } = ctx;
  const records = scopeRecords(ctx, req);
  const tenant = req.tenant;
  const tablesTotal = records.length;
  let rows = 0;
  let changes: TableDiff[] = [];
  let id = "";

  await sql.begin(async (tx) => {
    await tx.unsafe(RESTORE_PREAMBLE).simple();
    let catalog = await readTargetCatalog(tx, records);
    ctx.report({ phase: "schema", tablesDone: 0, tablesTotal, rows });
    if (await createSchemaIfAbsent(tx, ctx, records, catalog)) catalog = await readTargetCatalog(tx, records);
    const missing = records.filter((r) => !catalog.tables.has(tableKey(r.schema, r.name)));
    assertPlatformTablesPresent(missing);
    const absent = missing.map((r) => `${r.schema}.${r.name}`);
    if (absent.length) {
      throw new CofreError("RESTORE_FAILED", {
        "pt-BR": `O banco de destino não tem ${absent.join(", ")}. Restaure essas tabelas antes (--tables).`,
        en: `The target database lacks ${absent.join(", ")}. Restore those tables first (--tables).`,
      }, { details: { tables: absent } });
    }
    const entries = records.map((r) => ({ record: r, target: tableKey(r.schema, r.name) }));
    if (req.kind === "apply") {
      // Nobody writes these tables between our comparison and our writes; readers carry on.
      await tx.unsafe(`lock table ${entries.map((e) => e.target).join(", ")} in share row exclusive mode`);
    }
    const staged = await stageTables(tx, source, entries, (table, i) =>
      ctx.report({ phase: "data", table, tablesDone: i, tablesTotal, rows }));
    // A chain's change sets bring the staged rows to the backup's point (apply-changes.ts).
    const stageOf = new Map(staged.map((s) => [`${s.record.schema}.${s.record.name}`, s.stageName]));
    await applyChainChanges(tx, source, {
      filter: { tables: new Set(stageOf.keys()) },
      into: (t) => ({ schema: "pg_temp", name: stageOf.get(`${t.schema}.${t.name}`)! }),
    });
    ctx.report({ phase: "constraints", tablesDone: tablesTotal, tablesTotal, rows });
    const pick = tenant ? await pickTenantRows(tx, staged, catalog, tenant) : null;
    const guards = pick ? tenantGuards(staged, catalog, tenant!, pick.tenantTables) : null;

    const scopes: DiffScope[] = [];
    for (const s of staged) {
      const table = catalog.tables.get(s.target)!;
      const picked = pick ? (pick.counts.get(s.target)?.own ?? 0) + (pick.counts.get(s.target)?.parents ?? 0) : s.rows;
      // Platform tables (auth.users) only ever receive rows they lack.
      const platform = s.record.dataOnly;
      if (pick && picked === 0 && !pick.tenantTables.has(s.target)) continue;
      scopes.push({
        staged: s, table,
        insertWhere: pick ? `s.${ident(PICK)} > 0` : "true",
        updateWhere: platform ? "false" : pick ? `s.${ident(PICK)} = ${OWN}` : "true",
        deleteWhere: platform || req.kind === "tenant-add" ? null
          : pick ? (pick.tenantTables.has(s.target) ? tenantCondition("t", tenant!, catalog, s.target) : null)
          : "true",
        ...(guards ? { tenant: guards.get(s.target)! } : {}),
      });
    }
    if (req.kind !== "tenant-add") assertPrimaryKeys(scopes.map((s) => s.table));

    const fingerprints: { table: string; fingerprint: string }[] = [];
    const breaches: (TenantBreaches & { table: string })[] = [];
    for (const [i, scope] of scopes.entries()) {
      const { diff, fingerprint, breaches: b } = await computeDiff(tx, scope, i);
      changes.push(diff);
      fingerprints.push({ table: diff.table, fingerprint });
      breaches.push({ table: diff.table, ...b });
    }
    const recreate = req.recreateOtherTenantParents === true;
    // Refused in every mode, dry run included, before anything is written.
    if (tenant) assertTenantSafe(tenant, breaches, recreate, warnings);
    id = dryRunId({
      backupId: source.backupId, tenant: tenant ?? null, tables: records.map((r) => tableKey(r.schema, r.name)), kind: req.kind === "tenant-add" ? "add" : "merge",
      ...(recreate ? { recreateOtherTenantParents: true } : {}),
    }, fingerprints);
    if (req.kind === "dry-run") return;

    if (req.kind === "apply" && req.applyId !== id) {
      throw conflict(
        `O banco mudou desde o --dry-run ${req.applyId} (ou as opções são outras): o que seria aplicado agora difere do relatado. Rode --dry-run de novo (novo id: ${id}) e confira o relatório.`,
        `The database changed since dry run ${req.applyId} (or the options differ): what would be applied now differs from what was reported. Run --dry-run again (new id: ${id}) and review the report.`,
        { dryRunId: req.applyId, currentId: id, changes },
      );
    }
    if (req.kind === "tenant-add") {
      const differ = changes.filter((c) => c.update > 0).map((c) => ({ table: c.table, rows: c.update }));
      if (differ.length) {
        throw conflict(
          `Linhas deste ${tenant!.column} já existem no destino com outros valores: ${differ.map((d) => `${d.table}: ${d.rows}`).join(", ")}. Para sobrescrevê-las, use --tenant com --dry-run e depois --apply <id>.`,
          `Rows of this ${tenant!.column} already exist in the target with other values: ${differ.map((d) => `${d.table}: ${d.rows}`).join(", ")}. To overwrite them, use --tenant with --dry-run and then --apply <id>.`,
          { tables: differ },
        );
      }
    }
    const unique = changes.filter((c) => c.uniqueConflicts.length > 0);
    if (unique.length) {
      const list = unique.flatMap((c) => c.uniqueConflicts.map((u) => `${c.table} (${u.constraint}): ${u.rows}`));
      throw conflict(
        `Linhas a inserir colidem com linhas do destino em restrições UNIQUE: ${list.join("; ")}. Resolva essas linhas no destino e tente de novo.`,
        `Rows to insert collide with target rows on UNIQUE constraints: ${list.join("; ")}. Resolve those rows in the target and try again.`,
        { conflicts: unique.map((c) => ({ table: c.table, uniqueConflicts: c.uniqueConflicts })) },
      );
    }

    await tx`set local session_replication_role = replica`;
    for (const [i, scope] of scopes.entries()) {
      await applyDiff(tx, scope, i, changes[i]!, { update: req.kind === "apply", delete: req.kind === "apply" });
      rows += changes[i]!.insert + (req.kind === "apply" ? changes[i]!.update + changes[i]!.delete : 0);
    }
    await tx`set local session_replication_role = origin`;
    const touched = new Set(scopes.filter((_, i) => {
      const c = changes[i]!;
      return c.insert + c.update + c.delete > 0;
    }).map((s) => s.staged.target));
    await assertNoOrphans(tx, catalog.foreignKeys, touched, {
      "pt-BR": req.kind === "tenant-add" ? "Confira se as linhas referenciadas existem no destino." : "A mesclagem precisa incluir as tabelas relacionadas (restaure sem --tables, ou inclua-as).",
      en: req.kind === "tenant-add" ? "Check that the referenced rows exist in the target." : "The merge must include the related tables (restore without --tables, or include them).",
    });
    await raiseSequences(tx, source.manifest.sequences, [...touched]);
  });
  if (req.kind === "tenant-add") changes = changes.map((c) => ({ ...c, update: 0, delete: 0 }));
  return {
    tables: tablesTotal, rows, changes,
    ...(req.kind === "tenant-add" ? {} : { dryRunId: id, applied: req.kind === "apply" }),
  };
}

/**
 * The tenant-safety rule (docs/restore.md): a key match between one of the tenant's backed-up
 * rows and a target row of anyone else is a RESTORE_CONFLICT; so is inserting another
 * tenant's row (a parent the target lacks) unless `recreate` allows it (then a warning).
 * Tables and counts only: never row values.
 */
function assertTenantSafe(tenant: TenantFilter, breaches: readonly (TenantBreaches & { table: string })[], recreate: boolean, warnings: string[]) {
  const cross = breaches.filter((b) => b.crossTenantMatches > 0).map((b) => ({ table: b.table, rows: b.crossTenantMatches }));
  if (cross.length) {
    const list = cross.map((c) => `${c.table}: ${c.rows}`).join(", ");
    throw conflict(
      `Linhas deste ${tenant.column} no backup têm a mesma chave que linhas que, no destino, não são deste ${tenant.column} (${list}). Nada foi gravado. Confira essas linhas no destino (podem ter mudado de ${tenant.column} depois do backup) e resolva-as antes de restaurar.`,
      `Rows of this ${tenant.column} in the backup have the same key as target rows that do not belong to this ${tenant.column} (${list}). Nothing was written. Check those rows in the target (they may have moved to another ${tenant.column} after the backup) and resolve them before restoring.`,
      { reason: "cross-tenant-key", tables: cross },
    );
  }
  const other = breaches.filter((b) => b.otherTenantInserts > 0).map((b) => ({ table: b.table, rows: b.otherTenantInserts }));
  if (!other.length) return;
  const list = other.map((o) => `${o.table}: ${o.rows}`).join(", ");
  if (recreate) {
    for (const o of other) warnings.push(`${o.table}: ${o.rows} row(s) of another ${tenant.column}, referenced by this tenant's rows and absent from the target, re-created (--recreate-other-tenant-parents)`);
    return;
  }
  throw conflict(
    `Linhas deste ${tenant.column} referenciam linhas de outro ${tenant.column} que o destino não tem (${list}); a restauração as recriaria. Nada foi gravado. Para recriá-las mesmo assim, acrescente --recreate-other-tenant-parents.`,
    `Rows of this ${tenant.column} reference rows of another ${tenant.column} that the target lacks (${list}); the restore would re-create them. Nothing was written. To re-create them anyway, add --recreate-other-tenant-parents.`,
    { reason: "other-tenant-parents", tables: other },
  );
}
