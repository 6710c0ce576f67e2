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
 *    only ever picked as a parent one of this tenant's rows references — and a restore refuses
 *    to insert those unless asked to (restore-merge.ts, TenantGuard).
 *
 * Steps 2 and 3 repeat until nothing changes. Foreign keys are the target's (same tables as
 * the backup's), restricted to staged tables.
 */
import { CofreError } from "../errors.ts";
import type { Db } from "../sources/postgres/db.ts";
import { ident } from "../sources/postgres/db.ts";
import { literal } from "../sources/postgres/schema/sql.ts";
import type { TenantGuard } from "./restore-live.ts";
import { columnsEqual, PICK, type StagedTable } from "./restore-stage.ts";
import type { TableKey, TargetCatalog } from "./restore-target.ts";

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
  const fks = followedKeys(staged, catalog);
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
  for (const s of staged) {
    const [c] = await tx.unsafe<{ own: number; parents: number }[]>(
      `select count(*) filter (where ${ident(PICK)} = ${OWN})::int as own,
              count(*) filter (where ${ident(PICK)} = ${PARENT})::int as parents
         from ${s.stage}`,
    );
    counts.set(s.target, { own: c!.own, parents: c!.parents });
  }
  return { counts, tenantTables };
}

/** The foreign keys the tenant filter follows: between staged tables, read from the target's catalog. */
function followedKeys(staged: readonly StagedTable[], catalog: TargetCatalog) {
  const keys = new Set(staged.map((s) => s.target));
  return catalog.foreignKeys.filter((f) => keys.has(f.child) && keys.has(f.parent));
}

/** `<alias>.<column> = <value cast to the column's type>`: a row of the tenant, in a table with the column. */
export function tenantCondition(alias: string, tenant: TenantFilter, catalog: TargetCatalog, table: TableKey): string {
  const type = catalog.tables.get(table)?.types.get(tenant.column) ?? "text";
  return `${alias}.${ident(tenant.column)} = cast(${literal(tenant.value)} as ${type})`;
}

/**
 * One TenantGuard per staged table (restore-live.ts): the mirror, in the TARGET, of what
 * pickTenantRows marks in the staging tables. A target row is the tenant's when its tenant
 * column equals the value or — in a table without the column — when a foreign key the filter
 * follows leads to a target row that is the tenant's, transitively (a plan item whose plan is
 * the clinic's). A row of another tenant is one whose tenant column holds another value
 * (NULL is a shared row, not another tenant's).
 */
export function tenantGuards(
  staged: readonly StagedTable[],
  catalog: TargetCatalog,
  tenant: TenantFilter,
  tenantTables: ReadonlySet<TableKey>,
): Map<TableKey, TenantGuard> {
  const fks = followedKeys(staged, catalog);
  let n = 0;
  // A boolean over `alias` (a row of `table` in the target); `seen` stops foreign-key cycles.
  const owned = (table: TableKey, alias: string, seen: ReadonlySet<TableKey>): string => {
    if (tenantTables.has(table)) return tenantCondition(alias, tenant, catalog, table);
    const paths = fks.filter((f) => f.child === table && !seen.has(f.parent)).map((f) => {
      const p = `cofre_own_${++n}`;
      return `exists (select from ${f.parent} ${p} where ${columnsEqual(p, alias, f.parentColumns, f.childColumns)}
                and ${owned(f.parent, p, new Set([...seen, f.parent]))})`;
    });
    return paths.length ? `(${paths.join(" or ")})` : "false";
  };
  const out = new Map<TableKey, TenantGuard>();
  for (const s of staged) {
    const hasColumn = tenantTables.has(s.target);
    out.set(s.target, {
      claimed: `s.${ident(PICK)} = ${OWN}`,
      ownedTarget: owned(s.target, "t", new Set([s.target])),
      otherTenant: hasColumn ? `s.${ident(tenant.column)} is not null and not (${tenantCondition("s", tenant, catalog, s.target)})` : null,
    });
  }
  return out;
}
