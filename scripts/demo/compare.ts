/**
 * Proof that a restore gave back what was backed up: `pg_dump --schema-only` of both
 * databases for the backed-up schemas, and every table's row count and ordered checksum.
 * Used by the round-trip tests and by `npm start`'s demo.
 */
import { execFileSync } from "node:child_process";
import postgres from "postgres";

const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";

/**
 * Lines of pg_dump's output that differ between two dumps of identical databases, removed
 * before comparing, each for a stated reason:
 * - `-- Dumped from database version` / `-- Dumped by pg_dump version`: tool versions, equal
 *   here but not part of the schema;
 * - `\restrict <key>` / `\unrestrict <key>`: pg_dump ≥ 15.14 writes a fresh random key on
 *   every run (CVE-2025-8714 hardening), so two dumps never share it.
 */
export const SCHEMA_DUMP_NORMALISATIONS: readonly RegExp[] = [
  /^-- Dumped (from database|by pg_dump) version .*$/,
  /^\\(un)?restrict \S+$/,
];

export function schemaOnlyDump(url: string, schemas: readonly string[]): string {
  const out = execFileSync(PG_DUMP, ["--schema-only", ...schemas.flatMap((s) => ["-n", s]), url], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  return out
    .split("\n")
    .filter((line) => !SCHEMA_DUMP_NORMALISATIONS.some((re) => re.test(line)))
    .join("\n");
}

export interface TableChecksum {
  table: string;
  rows: number;
  /** md5 over the rows' text forms in sorted order. */
  checksum: string;
}

/** Row count and ordered checksum of every ordinary table (and partition) in `schemas`. */
export async function tableChecksums(url: string, schemas: readonly string[]): Promise<TableChecksum[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const tables = await sql<{ name: string }[]>`
      select format('%I.%I', n.nspname, c.relname) as name
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind = 'r' and n.nspname = any(${schemas as string[]})
       order by 1`;
    const out: TableChecksum[] = [];
    for (const { name } of tables) {
      const [r] = await sql.unsafe<{ rows: string; checksum: string | null }[]>(
        `select count(*)::text as rows, md5(string_agg(t::text, E'\\n' order by t::text)) as checksum from only ${name} t`,
      );
      out.push({ table: name, rows: Number(r!.rows), checksum: r!.checksum ?? "empty" });
    }
    return out;
  } finally {
    await sql.end();
  }
}
