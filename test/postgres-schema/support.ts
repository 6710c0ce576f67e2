/**
 * Helpers for the schema-dump tests: dump inside a REPEATABLE READ transaction as a backup
 * does, apply objects as a restore does, and run the real pg_dump for comparison.
 */
import { execFileSync } from "node:child_process";
import postgres from "postgres";
import { dumpSchema, RESTORE_PREAMBLE, type SchemaDump, type SchemaObject, type SchemaScope } from "../../packages/shared/src/sources/postgres/schema/mod.ts";

export const PG_BIN = "/usr/lib/postgresql/15/bin";

/** A scratch database name unique to this test process (files run in parallel, and so may other runs). */
export function scratchName(tag: string): string {
  return `schema_${tag}_${process.pid}`;
}

export function connectTo(url: string) {
  return postgres(url, { max: 1, onnotice: () => {}, prepare: false });
}

/** Dumps `scope` from `url` inside a REPEATABLE READ transaction, as the backup step does. */
export async function dumpFrom(url: string, scope: SchemaScope): Promise<SchemaDump> {
  const sql = connectTo(url);
  try {
    return (await sql.begin("isolation level repeatable read", (tx) => dumpSchema(tx, scope))) as SchemaDump;
  } finally {
    await sql.end();
  }
}

/**
 * Applies objects in array order in one transaction, after RESTORE_PREAMBLE. On failure the
 * error names the object.
 */
export async function applyObjects(url: string, objects: readonly SchemaObject[]): Promise<void> {
  const sql = connectTo(url);
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(RESTORE_PREAMBLE);
      for (const o of objects) {
        try {
          await tx.unsafe(o.sql);
        } catch (e) {
          throw new Error(`applying ${o.id} failed: ${(e as Error).message}\n${o.sql}`);
        }
      }
    });
  } finally {
    await sql.end();
  }
}

/** Runs a SQL file with psql (ON_ERROR_STOP), as a migration would be applied. */
export function psqlFile(url: string, file: string): void {
  execFileSync(`${PG_BIN}/psql`, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", file], { stdio: "pipe" });
}

/**
 * `pg_dump --schema-only` of `schemas`. The `\restrict` key pg_dump (15.14+) otherwise draws at
 * random for every run is fixed, so two dumps of equal schemas are byte-for-byte equal.
 */
export function pgDumpSchema(url: string, schemas: string[]): string {
  // -n takes a pattern: quoted, a name matches itself only (case, spaces, accents included).
  const args = ["--schema-only", "--restrict-key=cofretest", ...schemas.flatMap((s) => ["-n", `"${s.replaceAll('"', '""')}"`]), "-d", url];
  return execFileSync(`${PG_BIN}/pg_dump`, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

export function fixture(name: string): string {
  return new URL(`../fixtures/${name}`, import.meta.url).pathname;
}
