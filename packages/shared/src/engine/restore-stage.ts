/**
 * Staging: a backup's tables loaded into temporary tables of the target's session (schema
 * pg_temp, `ON COMMIT DROP`), shaped like the target's tables, so a partial or live restore
 * can pick, compare and merge rows with SQL — memory bounded by Postgres, not by the data.
 * Temporary tables are not WAL-logged, never visible to other sessions, and vanish with the
 * transaction whether it commits or rolls back.
 */
import type { TableRecord } from "../config/manifest.ts";
import type { Db } from "../sources/postgres/db.ts";
import { ident, qualified } from "../sources/postgres/db.ts";
import { loadTable } from "./restore-load.ts";
import type { RestoreSource } from "./restore-source.ts";
import type { TableKey } from "./restore-target.ts";

/** Column added to staging tables by the tenant filter: 0 not picked, 1 the tenant's own row, 2 a parent it needs. */
export const PICK = "cofre$pick";

export interface StagedTable {
  record: TableRecord;
  /** The target table, quoted and qualified. */
  target: TableKey;
  /** The staging table, quoted and qualified (`"pg_temp"."cofre_stage_3"`). */
  stage: string;
  /** Its name in pg_temp (`cofre_stage_3`). */
  stageName: string;
  rows: number;
}

/** Creates one staging table per entry, shaped as `select <backup columns> from <target>`, and loads it. */
export async function stageTables(
  tx: Db,
  source: RestoreSource,
  tables: readonly { record: TableRecord; target: TableKey }[],
  onTable?: (label: string, done: number) => void,
): Promise<StagedTable[]> {
  const out: StagedTable[] = [];
  for (const [i, t] of tables.entries()) {
    onTable?.(`${t.record.schema}.${t.record.name}`, i);
    const name = `cofre_stage_${i + 1}`;
    const cols = t.record.columns.map(ident).join(", ");
    await tx.unsafe(`create temp table ${ident(name)} on commit drop as select ${cols} from ${t.target} with no data`);
    const rows = await loadTable(tx, source, t.record, { schema: "pg_temp", name });
    await tx.unsafe(`analyze ${qualified("pg_temp", name)}`);
    out.push({ record: t.record, target: t.target, stage: qualified("pg_temp", name), stageName: name, rows });
  }
  return out;
}

/** `a.c1 = b.c1 and a.c2 = b.c2` over `columns`. */
export function columnsEqual(a: string, b: string, columns: readonly string[], bColumns: readonly string[] = columns): string {
  return columns.map((c, i) => `${a}.${ident(c)} = ${b}.${ident(bColumns[i]!)}`).join(" and ");
}

/** True when the two rows differ in any of `columns`, compared by their text forms (every type has one). */
export function rowsDiffer(a: string, b: string, columns: readonly string[]): string {
  if (columns.length === 0) return "false";
  const row = (x: string) => `row(${columns.map((c) => `${x}.${ident(c)}::text`).join(", ")})`;
  return `${row(a)} is distinct from ${row(b)}`;
}
