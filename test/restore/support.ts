/**
 * Shared setup of the restore tests: the two-clinic fixture in a Supabase-shaped scratch
 * database, backed up once to a temporary folder; scratch targets; per-clinic checksums.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { runBackup } from "@cofre/shared/engine/backup.ts";
import { LocalDestination } from "@cofre/shared/destinations/local.ts";
import { runRestore, type RestoreOptions } from "@cofre/shared/engine/restore.ts";

export const CLINIC_A = "0a000000-0000-4000-8000-00000000000a";
export const CLINIC_B = "0b000000-0000-4000-8000-00000000000b";
export const FIXTURE_SQL = readFileSync(new URL("./fixture.sql", import.meta.url), "utf8");

/** A scratch database name unique to this test process (test files run in parallel). */
export function dbName(tag: string) {
  return `rs_${tag}_${process.pid}`;
}

export async function withDb<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** A source database with the fixture (then `extraSql`, if given), and a backup of it in a temporary folder. */
export async function fixtureBackup(tag: string, extraSql?: string) {
  const names: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), `cofre-restore-${tag}-`));
  const scratch = async (suffix: string, supabaseShape = true) => {
    const name = dbName(`${tag}_${suffix}`);
    names.push(name);
    return createScratchDb(name, { supabaseShape });
  };
  const sourceUrl = await scratch("src");
  await withDb(sourceUrl, (sql) => sql.unsafe(FIXTURE_SQL));
  if (extraSql) await withDb(sourceUrl, (sql) => sql.unsafe(extraSql));
  const destination = new LocalDestination(dir);
  const backup = await runBackup({ sourceUrl, destination, schemas: ["public"] });
  return {
    sourceUrl, destination, backupId: backup.backupId, scratch,
    restore: (targetUrl: string, opts: Partial<RestoreOptions> = {}) =>
      runRestore({ destination, backupId: backup.backupId, targetUrl, ...opts }),
    async cleanup() {
      for (const n of names) await dropScratchDb(n);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Row count and ordered md5 of the rows of `table` matching `where` (a SQL condition on alias t). */
export async function rowsChecksum(url: string, table: string, where = "true") {
  return withDb(url, async (sql) => {
    const [r] = await sql.unsafe<{ n: number; md5: string | null }[]>(
      `select count(*)::int as n, md5(string_agg(t::text, E'\\n' order by t::text)) as md5 from ${table} t where ${where}`,
    );
    return { rows: r!.n, md5: r!.md5 ?? "empty" };
  });
}

/** Checksums of one clinic's rows in every table that has them (directly or through its plan). */
export async function clinicChecksums(url: string, clinic: string) {
  const c = `'${clinic}'::uuid`;
  const out: Record<string, { rows: number; md5: string }> = {};
  const tables: [string, string][] = [
    ["public.clinics", `t.id = ${c}`],
    ["public.clinic_members", `t.clinic_id = ${c}`],
    ["public.patients", `t.clinic_id = ${c}`],
    ["public.appointments", `t.clinic_id = ${c}`],
    ["public.treatment_plans", `t.clinic_id = ${c}`],
    ["public.treatment_plan_items", `t.plan_id in (select id from public.treatment_plans where clinic_id = ${c})`],
    ["public.audit_log", `t.clinic_id = ${c}`],
  ];
  for (const [table, where] of tables) out[table] = await rowsChecksum(url, table, where);
  return out;
}
