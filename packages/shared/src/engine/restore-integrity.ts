/**
 * Foreign-key integrity after a partial or live restore. Rows are written with
 * session_replication_role = replica (so triggers do not rewrite them and foreign-key
 * actions do not cascade beyond what was reported), which also skips foreign-key checks:
 * they are made here, explicitly, for every foreign key whose child or parent was touched,
 * and a violation aborts the restore naming the constraint and the number of rows.
 */
import { CofreError } from "../errors.ts";
import type { Db } from "../sources/postgres/db.ts";
import { ident } from "../sources/postgres/db.ts";
import { columnsEqual } from "./restore-stage.ts";
import type { ForeignKey, TableKey } from "./restore-target.ts";

export interface Orphans {
  constraint: string;
  child: TableKey;
  parent: TableKey;
  rows: number;
}

/** Counts, per foreign key touching `touched`, child rows whose parent row is missing (MATCH SIMPLE). */
export async function findOrphans(tx: Db, fks: readonly ForeignKey[], touched: ReadonlySet<TableKey>): Promise<Orphans[]> {
  const out: Orphans[] = [];
  for (const f of fks) {
    if (!touched.has(f.child) && !touched.has(f.parent)) continue;
    const notNull = f.childColumns.map((c) => `c.${ident(c)} is not null`).join(" and ");
    const [r] = await tx.unsafe<{ n: number }[]>(
      `select count(*)::int as n from ${f.child} c
        where ${notNull} and not exists (select from ${f.parent} p where ${columnsEqual("p", "c", f.parentColumns, f.childColumns)})`,
    );
    if (r!.n > 0) out.push({ constraint: f.name, child: f.child, parent: f.parent, rows: r!.n });
  }
  return out;
}

/** Throws RESTORE_CONFLICT naming every violated foreign key, with counts. */
export async function assertNoOrphans(tx: Db, fks: readonly ForeignKey[], touched: ReadonlySet<TableKey>, hint: { "pt-BR": string; en: string }) {
  const orphans = await findOrphans(tx, fks, touched);
  if (orphans.length === 0) return;
  const list = orphans.map((o) => `${o.child} → ${o.parent} (${o.constraint}): ${o.rows}`).join("; ");
  throw new CofreError("RESTORE_CONFLICT", {
    "pt-BR": `A restauração deixaria linhas sem a linha que elas referenciam: ${list}. ${hint["pt-BR"]} Nada foi gravado.`,
    en: `The restore would leave rows without the row they reference: ${list}. ${hint.en} Nothing was written.`,
  }, { details: { orphans } });
}
