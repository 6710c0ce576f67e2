/**
 * Helpers for the chain tests: what a source looks like at a backup's point (per-table
 * ordered checksums and sequence positions), and a scratch name per test process.
 */
import postgres from "postgres";
import { tableChecksums, type TableChecksum } from "../../scripts/demo/compare.ts";
import { readSequences } from "../../packages/shared/src/sources/postgres/data.ts";
import type { SequenceRecord } from "../../packages/shared/src/config/manifest.ts";

export function scratchName(tag: string): string {
  return `chains_${tag}_${process.pid}`;
}

export function connectTo(url: string) {
  return postgres(url, { max: 1, onnotice: () => {}, prepare: false });
}

export interface DbState {
  tables: TableChecksum[];
  sequences: SequenceRecord[];
}

/** Every table's row count and ordered checksum, and every sequence's position. */
export async function stateOf(url: string, schemas: string[]): Promise<DbState> {
  const sql = connectTo(url);
  try {
    return { tables: await tableChecksums(url, schemas), sequences: await readSequences(sql, schemas) };
  } finally {
    await sql.end();
  }
}

/** Runs statements on `url` (one simple-protocol batch). */
export async function run(url: string, text: string): Promise<void> {
  const sql = connectTo(url);
  try {
    await sql.unsafe(text).simple();
  } finally {
    await sql.end();
  }
}

/**
 * A transaction on `url` holding snapshot `exported` (from pg_export_snapshot() in a still
 * open transaction): reads the source exactly as of that snapshot, however long after.
 */
export async function holdSnapshot(url: string, exported: string) {
  const sql = connectTo(url);
  const conn = await sql.reserve();
  await conn.unsafe("begin isolation level repeatable read read only");
  await conn.unsafe(`set transaction snapshot '${exported.replace(/'/g, "''")}'`);
  return {
    /**
     * Row count and ordered checksum of every table in `schemas` at the snapshot (the same
     * query as scripts/demo/compare.ts tableChecksums, which needs a connection of its own).
     */
    async tables(schemas: string[]): Promise<TableChecksum[]> {
      const names = await conn<{ name: string }[]>`
        select format('%I.%I', n.nspname, c.relname) as name
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind = 'r' and n.nspname = any(${schemas}) order by 1`;
      const out: TableChecksum[] = [];
      for (const { name } of names) {
        const [r] = await conn.unsafe<{ rows: string; checksum: string | null }[]>(
          `select count(*)::text as rows, md5(string_agg(t::text, E'\\n' order by t::text)) as checksum from only ${name} t`,
        );
        out.push({ table: name, rows: Number(r!.rows), checksum: r!.checksum ?? "empty" });
      }
      return out;
    },
    async close() {
      await conn.unsafe("commit").catch(() => {});
      conn.release();
      await sql.end();
    },
  };
}
