/**
 * The change set of one table between two snapshots, as the SELECT a `COPY … TO STDOUT (FORMAT
 * csv, HEADER true)` runs. The window is every change whose transaction the `since` snapshot
 * does NOT see and the current snapshot (the caller's REPEATABLE READ transaction) does: xid
 * visibility, never time or sequence numbers. Within the window:
 *
 * - a table WITH a primary key gets its net change per key: the key's last state (`U`, the
 *   whole row) or a tombstone (`D`, key columns only). An UPDATE that changes the key gives a
 *   tombstone for the old key and a state for the new one. Rows are the same whatever state
 *   the target is in before, so applying them is idempotent (needed by multi-step dumps).
 * - a table WITHOUT a primary key gets its operations in order (`D` one row equal to the old
 *   row, `I` a row), since rows have no identity to net on.
 * - a TRUNCATE in the window makes the first record a `T` marker; changes before the last
 *   TRUNCATE are dropped.
 *
 * Per-key order is the seq order: a row's writers hold its lock until they commit, so their
 * seqs follow the order their changes were made in.
 *
 * CSV columns: `cofre:op`, then the table's stored columns (generated ones are recomputed).
 */
import { ident, qualified, type Db } from "../db.ts";
import { snapshotLiteral, type TableName } from "./mod.ts";

export const OP_COLUMN = "cofre:op";

export interface CapturedTable extends TableName {
  /** Stored columns, in attribute order (as in the table's CSV parts). */
  columns: string[];
  /** Primary key columns in key order, or null for a table without one. */
  key: string[] | null;
  oid: string;
}

/** Oid and primary key of each table. */
export async function describeCapturedTables(
  db: Db,
  tables: readonly (TableName & { columns: string[] })[],
): Promise<CapturedTable[]> {
  if (tables.length === 0) return [];
  const rows = await db<{ i: number; oid: string; key: string[] | null }[]>`
    select t.i::int as i, c.oid::text as oid,
           (select array_agg(a.attname order by k.ord)
              from pg_index x cross join lateral unnest(x.indkey) with ordinality as k(attnum, ord)
              join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
             where x.indrelid = c.oid and x.indisprimary) as key
      from unnest(${tables.map((t) => t.schema)}::text[], ${tables.map((t) => t.name)}::text[])
             with ordinality as t(s, n, i)
      join pg_namespace ns on ns.nspname = t.s
      join pg_class c on c.relnamespace = ns.oid and c.relname = t.n`;
  return rows.map((r) => {
    const t = tables[r.i - 1]!;
    return { schema: t.schema, name: t.name, columns: t.columns, key: r.key, oid: r.oid };
  });
}

/** The SELECT whose rows are `table`'s change set after `since` (see the module comment). */
export function changeSetSelect(table: CapturedTable, since: string): string {
  const rowType = qualified(table.schema, table.name);
  const snap = snapshotLiteral(since);
  const window = `w as materialized (
      select seq, op, old_row, new_row from cofre_capture.change_log
       where relid = ${table.oid}::oid and xid >= pg_snapshot_xmin(${snap}) and not pg_visible_in_snapshot(xid, ${snap})),
    tr as (select coalesce(max(seq), 0) as tseq, count(*) > 0 as truncated from w where op = 'T')`;
  const op = `x.op as ${ident(OP_COLUMN)}`;
  if (table.key) {
    const keySet = new Set(table.key);
    const keyOf = (alias: string) => table.key!.map((k) => `(${alias}.r).${ident(k)}`).join(", ");
    const cols = table.columns.map((c) =>
      keySet.has(c) ? `(x.r).${ident(c)}` : `case when x.op = 'U' then (x.r).${ident(c)} end as ${ident(c)}`
    );
    return `with ${window},
    ev as (
      select w.seq, 'U'::text as op, w.new_row::${rowType} as r from w, tr where w.op in ('I', 'U') and w.seq > tr.tseq
      union all
      select w.seq, 'D'::text, w.old_row::${rowType} from w, tr where w.op in ('U', 'D') and w.seq > tr.tseq
      offset 0),
    net as (select distinct on (${keyOf("ev")}) ev.op, ev.r from ev order by ${keyOf("ev")}, ev.seq desc, ev.op desc)
    select ${[op, ...cols].join(", ")} from (
      select 0 as ord, 'T'::text as op, null::${rowType} as r from tr where tr.truncated
      union all
      select 1, net.op, net.r from net) x
    order by x.ord, ${keyOf("x")}`;
  }
  const cols = table.columns.map((c) => `(x.r).${ident(c)}`);
  return `with ${window}
    select ${[op, ...cols].join(", ")} from (
      select 0::bigint as seq, 0 as sub, 'T'::text as op, null::${rowType} as r from tr where tr.truncated
      union all
      select w.seq, 0, 'D', w.old_row::${rowType} from w, tr where w.op in ('U', 'D') and w.seq > tr.tseq
      union all
      select w.seq, 1, 'I', w.new_row::${rowType} from w, tr where w.op in ('I', 'U') and w.seq > tr.tseq
      offset 0) x
    order by x.seq, x.sub`;
}
