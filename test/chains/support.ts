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
