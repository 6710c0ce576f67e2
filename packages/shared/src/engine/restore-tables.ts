/**
 * Restoring selected tables (`--tables a,b [--with-dependencies]`) into a target that lacks
 * them (their definitions are created from the backup, with what they need: types,
 * functions, sequences — kept as they are when the target already has them) or has them
 * empty. A selected table that references an unselected one is refused unless
 * `--with-dependencies` adds it or the target has that table; in the latter case the
 * referenced rows must be there: every foreign key touching the restored tables is checked
 * (restore-integrity.ts), added NOT VALID first and validated after the check, so a missing
 * parent is reported with its constraint and row count.
 */
import type postgres from "postgres";
import { CofreError } from "../errors.ts";
import { ident, qualified } from "../sources/postgres/db.ts";
import { objectsForTables, RESTORE_PREAMBLE, type SchemaDump } from "../sources/postgres/schema/mod.ts";
import { applyChainChanges } from "./apply-changes.ts";
import { assertNoOrphans } from "./restore-integrity.ts";
import { loadTable } from "./restore-load.ts";
import { applyObject, type SchemaObjectDoc } from "./restore-objects.ts";
import { parseTableSpecs, recordsFor, tableReferences, unselectedReferences, withDependencies } from "./restore-plan.ts";
import { assertPlatformTablesPresent, raiseSequences, readTargetCatalog, tableKey } from "./restore-target.ts";
import type { RestoreContext } from "./restore.ts";

/** The FK statement with NOT VALID, so adding it does not scan; validated after the orphan check. */
function notValid(obj: SchemaObjectDoc): SchemaObjectDoc {
  return { ...obj, sql: obj.sql.replace(/;\s*$/, " NOT VALID;\n") };
}

export async function runTablesRestore(sql: postgres.Sql, ctx: RestoreContext, specs: readonly string[], withDeps: boolean) {
  const { source, warnings } = ctx;
  const { manifest, schema } = source;
  const refs = tableReferences(schema);
  let selected = parseTableSpecs(specs, manifest);
  if (withDeps) selected = withDependencies(selected, refs);
  const records = recordsFor(manifest, selected);
  const keys = new Set(records.map((r) => tableKey(r.schema, r.name)));
  const tablesTotal = records.length;
  let rows = 0;

  await sql.begin(async (tx) => {
    await tx.unsafe(RESTORE_PREAMBLE).simple();
    const before = await readTargetCatalog(tx, records);
    const notEmpty = records.filter((r) => before.tables.get(tableKey(r.schema, r.name))?.hasRows);
    if (notEmpty.length) {
      const names = notEmpty.map((r) => `${r.schema}.${r.name}`);
      throw new CofreError("RESTORE_TARGET_NOT_EMPTY", {
        "pt-BR": `Estas tabelas já têm linhas no banco de destino: ${names.join(", ")}. Para comparar e mesclar com o que está lá, use --dry-run e depois --apply <id>.`,
        en: `These tables already have rows in the target database: ${names.join(", ")}. To compare and merge with what is there, use --dry-run and then --apply <id>.`,
      }, { details: { tables: names } });
    }
    const missing = records.filter((r) => !before.tables.has(tableKey(r.schema, r.name)));
    assertPlatformTablesPresent(missing);
    const outside = unselectedReferences(selected, refs);
    const absent: typeof outside = [];
    for (const r of outside) {
      const [found] = await tx<{ exists: boolean }[]>`select to_regclass(${qualified(r.to.schema, r.to.name)}) is not null as exists`;
      if (!found?.exists) absent.push(r);
    }
    if (absent.length) {
      const list = absent.map((r) => `${r.from.schema}.${r.from.name} → ${r.to.schema}.${r.to.name} (${r.constraint})`);
      throw new CofreError("RESTORE_CONFLICT", {
        "pt-BR": `Tabelas escolhidas referenciam tabelas que não foram escolhidas e não existem no destino: ${list.join("; ")}. Acrescente --with-dependencies ou inclua essas tabelas em --tables.`,
        en: `Selected tables reference tables that were not selected and do not exist in the target: ${list.join("; ")}. Add --with-dependencies or include those tables in --tables.`,
      }, { details: { references: absent } });
    }

    const missingKeys = new Set(missing.map((r) => tableKey(r.schema, r.name)));
    const own = (o: SchemaObjectDoc) => o.schema !== null && o.table !== null && missingKeys.has(tableKey(o.schema, o.table));
    const objects = objectsForTables(schema as SchemaDump, missing) as SchemaObjectDoc[];
    // Foreign keys from a new table to an unselected table the target has: objectsForTables
    // leaves them out (it aims at an empty database); they are added back here.
    const backToTarget = schema.objects.filter((o) => o.kind === "FK CONSTRAINT" && own(o) && outside.some((r) =>
      r.constraint === o.name && r.from.schema === o.schema && r.from.name === o.table));

    for (const o of objects) {
      if (o.kind === "TABLE" && !own(o) && o.schema !== null) {
        warnings.push(`${o.schema}.${o.name}: created without rows (if the target lacked it) because a restored object needs it (a policy, view or function)`);
      }
    }
    ctx.report({ phase: "schema", tablesDone: 0, tablesTotal, rows });
    for (const o of objects) if (o.section === "pre-data") await applyObject(tx, o, warnings, { mayExist: !own(o) });
    await tx.savepoint((sp) => sp`set local session_replication_role = replica`).catch((e) => {
      warnings.push(`triggers in the target stay enabled during the data load: ${(e as Error).message}`);
    });
    for (const [i, r] of records.entries()) {
      ctx.report({ phase: "data", table: `${r.schema}.${r.name}`, tablesDone: i, tablesTotal, rows });
      rows += await loadTable(tx, source, r, r);
    }
    // A chain's change sets for the selected tables, before any constraint or trigger exists on new tables.
    await applyChainChanges(tx, source, { filter: { tables: new Set(records.map((r) => `${r.schema}.${r.name}`)) } });
    await raiseSequences(tx, manifest.sequences, [...keys]);
    await tx`set local session_replication_role = origin`;

    ctx.report({ phase: "constraints", tablesDone: tablesTotal, tablesTotal, rows });
    const toValidate: SchemaObjectDoc[] = [];
    for (const o of [...objects.filter((o) => o.section === "post-data"), ...backToTarget]) {
      if (o.kind === "FK CONSTRAINT" && own(o)) {
        await applyObject(tx, notValid(o), warnings);
        toValidate.push(o);
      } else {
        await applyObject(tx, o, warnings, { mayExist: !own(o) });
      }
    }
    const after = await readTargetCatalog(tx, records);
    await assertNoOrphans(tx, after.foreignKeys, keys, {
      "pt-BR": "Restaure também as tabelas referenciadas (--with-dependencies) ou as linhas que faltam.",
      en: "Restore the referenced tables too (--with-dependencies) or the missing rows.",
    });
    for (const o of toValidate) {
      await tx.unsafe(`alter table ${qualified(o.schema!, o.table!)} validate constraint ${ident(o.name)}`);
    }
  });
  return { tables: tablesTotal, rows };
}
