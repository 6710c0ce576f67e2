/**
 * One tenant's rows out of a staged backup (`--tenant clinic_id=<value>`), marked in each
 * staging table's PICK column:
 *
 * 1. own rows: in every table that has the tenant column, the rows where it equals the value;
 * 2. own rows, transitively: in tables WITHOUT the column, rows whose foreign key points at an
 *    own row (a treatment plan's items, say);
 * 3. needed parents, transitively: rows that own or needed rows reference by foreign key (the
 *    clinic row itself, the shared procedure catalogue, auth.users rows), so the result keeps
 *    its integrity. Parents never pull in their other children, so another tenant's rows are
 *    only ever picked as a parent one of this tenant's rows references.
 *
 * Steps 2 and 3 repeat until nothing changes. Foreign keys are the target's (same tables as
 * the backup's), restricted to staged tables.
 */
import { CofreError } from "../errors.ts";
import type { Db } from "../sources/postgres/db.ts";
import { ident } from "../sources/postgres/db.ts";
import { columnsEqual, PICK, type StagedTable } from "./restore-stage.ts";
import type { TargetCatalog } from "./restore-target.ts";

export interface TenantFilter {
  column: string;
  value: string;
}

export const OWN = 1;
export const PARENT = 2;

/** Parses `column=value`. */
export function parseTenant(spec: string): TenantFilter {
  const at = spec.indexOf("=");
  const column = spec.slice(0, at).trim();
  const value = spec.slice(at + 1).trim();
  if (at <= 0 || !column || !value) {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": `--tenant espera coluna=valor (ex.: clinic_id=4f1c…), recebeu ${JSON.stringify(spec)}.`,
      en: `--tenant expects column=value (e.g. clinic_id=4f1c…), got ${JSON.stringify(spec)}.`,
    }, { details: { tenant: spec } });
  }
  return { column, value };
}

export interface TenantPick {
  /** Per staged table: own rows and needed parents. */
  counts: Map<string, { own: number; parents: number }>;
  /** Parent rows that carry the tenant column with another value (picked only because this tenant's rows reference them). */
  foreignParents: { table: string; rows: number }[];
  /** Tables that have the tenant column. */
  tenantTables: Set<string>;
}

export async function pickTenantRows(
  tx: Db,
  staged: readonly StagedTable[],
  catalog: TargetCatalog,
  tenant: TenantFilter,
): Promise<TenantPick> {
  const byTarget = new Map(staged.map((s) => [s.target, s]));
  const tenantTables = new Set<string>();
  for (const s of staged) {
    await tx.unsafe(`alter table ${s.stage} add column ${ident(PICK)} smallint not null default 0`);
    if (!s.record.columns.includes(tenant.column)) continue;
    tenantTables.add(s.target);
    const type = catalog.tables.get(s.target)?.types.get(tenant.column) ?? "text";
    try {
      await tx.unsafe(`update ${s.stage} set ${ident(PICK)} = ${OWN} where ${ident(tenant.column)} = cast($1::text as ${type})`, [tenant.value]);
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith("22")) {
        throw new CofreError("INVALID_INPUT", {
          "pt-BR": `O valor de --tenant não serve para a coluna ${tenant.column} (${type}) de ${s.target}.`,
          en: `The --tenant value does not fit column ${tenant.column} (${type}) of ${s.target}.`,
        }, { details: { column: tenant.column, type, table: s.target } });
      }
      throw e;
    }
  }
  if (tenantTables.size === 0) {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": `Nenhuma tabela do backup tem a coluna ${tenant.column}; confira o nome em --tenant.`,
      en: `No table in the backup has column ${tenant.column}; check the name given to --tenant.`,
    }, { details: { column: tenant.column } });
  }
  const fks = catalog.foreignKeys.filter((f) => byTarget.has(f.child) && byTarget.has(f.parent));
  for (let changed = true; changed;) {
    changed = false;
    for (const f of fks) {
      const child = byTarget.get(f.child)!;
      const parent = byTarget.get(f.parent)!;
      const on = columnsEqual("p", "c", f.parentColumns, f.childColumns);
      if (!tenantTables.has(f.child)) {
        const r = await tx.unsafe(
          `update ${child.stage} c set ${ident(PICK)} = ${OWN} where c.${ident(PICK)} <> ${OWN}
              and exists (select from ${parent.stage} p where p.${ident(PICK)} = ${OWN} and ${on})`,
        );
        if (r.count > 0) changed = true;
      }
      const r = await tx.unsafe(
        `update ${parent.stage} p set ${ident(PICK)} = ${PARENT} where p.${ident(PICK)} = 0
            and exists (select from ${child.stage} c where c.${ident(PICK)} > 0 and ${on})`,
      );
      if (r.count > 0) changed = true;
    }
  }
  const counts = new Map<string, { own: number; parents: number }>();
  const foreignParents: TenantPick["foreignParents"] = [];
  for (const s of staged) {
    const [c] = await tx.unsafe<{ own: number; parents: number; foreign: number }[]>(
      `select count(*) filter (where ${ident(PICK)} = ${OWN})::int as own,
              count(*) filter (where ${ident(PICK)} = ${PARENT})::int as parents,
              ${tenantTables.has(s.target) ? `count(*) filter (where ${ident(PICK)} = ${PARENT})::int` : "0"} as foreign
         from ${s.stage}`,
    );
    counts.set(s.target, { own: c!.own, parents: c!.parents });
    if (c!.foreign > 0) foreignParents.push({ table: s.target, rows: c!.foreign });
  }
  return { counts, foreignParents, tenantTables };
}
