/**
 * Dump and restore time of the Ortho+ demo database against `pg_dump -Fc` / `pg_restore`,
 * in the same run, at each scale given (default 1 and 10):
 *
 *   npx tsx bench/postgres/dump-restore.ts [--scale 1] [--scale 10]
 *
 * Per scale: seed a Supabase-shaped scratch database; Cofre's dump (runBackup to a local
 * folder, deflate level 6, one REPEATABLE READ snapshot) vs `pg_dump -Fc` of the same schema
 * with the same excluded table data; Cofre's restore (runRestore into an empty Supabase-shaped
 * database) vs `pg_restore` (one job) into another. Prints times, sizes and the ratios the
 * issue targets (dump ≤ 1.0, restore ≤ 1.2). Uses the local stack's cluster; drops its
 * scratch databases and files at the end.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { runBackup } from "../../packages/shared/src/engine/backup.ts";
import { runRestore } from "../../packages/shared/src/engine/restore.ts";
import { LocalDestination } from "../../packages/shared/src/destinations/local.ts";
import { compatiblePgDump, libpqEnv } from "../../packages/shared/src/sources/postgres/pg-dump-custom.ts";
import { createScratchDb, dropScratchDb } from "../../scripts/stack/databases.ts";
import { seedDemo } from "../../scripts/seed/seed.ts";

const SCHEMAS = ["public"];

function parseScales(argv: string[]): number[] {
  const scales: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--scale") scales.push(Number(argv[++i]));
    else throw new Error(`usage: dump-restore.ts [--scale N]…  (unknown ${argv[i]})`);
  }
  if (scales.some((s) => !(s > 0))) throw new Error("--scale must be > 0");
  return scales.length ? scales : [1, 10];
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  }
  return n;
}

async function withDb<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

async function benchScale(scale: number) {
  const tag = `bench_pg_${String(scale).replace(".", "_")}_${process.pid}`;
  const dbs = [`${tag}_src`, `${tag}_cofre`, `${tag}_pgr`];
  const dir = mkdtempSync(join(tmpdir(), "cofre-bench-pg-"));
  try {
    const src = await createScratchDb(dbs[0]!, { supabaseShape: true });
    const seeded = await timed(() => seedDemo({ url: src, scale }));
    const major = await withDb(src, async (sql) => Math.floor(Number((await sql`select current_setting('server_version_num') as v`)[0]!.v) / 10000));
    const bin = compatiblePgDump(major);
    const restoreBin = bin.path.replace(/pg_dump$/, "pg_restore");

    // Dumps, alternating order is not attempted: Cofre first, then pg_dump, same warm cache.
    const dest = new LocalDestination(join(dir, "cofre"));
    const cofreDump = await timed(() => runBackup({ sourceUrl: src, destination: dest, schemas: SCHEMAS }));
    const excluded = cofreDump.value.excluded.flatMap((t) => ["--exclude-table-data", `"${t.schema}"."${t.name}"`]);
    const archive = join(dir, "demo.dump");
    const pgDump = await timed(() => {
      const r = spawnSync(bin.path, ["--format=custom", "--no-password", ...SCHEMAS.flatMap((s) => ["--schema", s]), ...excluded, "--file", archive], {
        env: { ...process.env, ...libpqEnv(src) }, stdio: ["ignore", "ignore", "pipe"],
      });
      if (r.status !== 0) throw new Error(`pg_dump failed: ${r.stderr}`);
    });

    const cofreDst = await createScratchDb(dbs[1]!, { supabaseShape: true });
    const cofreRestore = await timed(() => runRestore({ destination: dest, backupId: cofreDump.value.backupId, targetUrl: cofreDst }));

    // pg_restore: the archive has no auth.users rows (Supabase's table; Cofre carries them),
    // so the target gets them first, untimed; CREATE SCHEMA public is skipped (-L).
    const pgDst = await createScratchDb(dbs[2]!, { supabaseShape: true });
    const userCols = await withDb(src, async (sql) => (await sql<{ c: string }[]>`
      select column_name as c from information_schema.columns
       where table_schema = 'auth' and table_name = 'users' and is_generated = 'NEVER' order by ordinal_position`).map((r) => r.c));
    const users = await withDb(src, (sql) => sql`select ${sql(userCols)} from auth.users`);
    await withDb(pgDst, async (sql) => {
      if (users.length) await sql`insert into auth.users ${sql(users as unknown as Record<string, unknown>[], ...userCols)}`;
    });
    const toc = execFileSync(restoreBin, ["-l", archive], { encoding: "utf8" }).split("\n").filter((l) => !/ SCHEMA - public /.test(l));
    writeFileSync(join(dir, "toc.list"), toc.join("\n"));
    const { PGDATABASE, ...env } = libpqEnv(pgDst);
    const pgRestore = await timed(() => {
      const r = spawnSync(restoreBin, ["--no-owner", "--exit-on-error", "-L", join(dir, "toc.list"), "-d", PGDATABASE!, archive], {
        env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"],
      });
      if (r.status !== 0) throw new Error(`pg_restore failed: ${r.stderr}`);
    });

    const s = (ms: number) => (ms / 1000).toFixed(2);
    const mb = (b: number) => (b / 1e6).toFixed(1);
    const result = {
      scale,
      rows: cofreDump.value.rows,
      csvMB: mb(cofreDump.value.bytesIn),
      seedS: s(seeded.ms),
      cofreDumpS: s(cofreDump.ms), pgDumpS: s(pgDump.ms), dumpRatio: (cofreDump.ms / pgDump.ms).toFixed(2),
      cofreMB: mb(dirBytes(join(dir, "cofre"))), pgDumpMB: mb(statSync(archive).size),
      cofreRestoreS: s(cofreRestore.ms), pgRestoreS: s(pgRestore.ms), restoreRatio: (cofreRestore.ms / pgRestore.ms).toFixed(2),
      pgDump: bin.version,
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    for (const d of dbs) await dropScratchDb(d);
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (const scale of parseScales(process.argv.slice(2))) results.push(await benchScale(scale));
console.log("\n| scale | rows | CSV MB | Cofre dump s | pg_dump -Fc s | dump ratio | Cofre MB | .dump MB | Cofre restore s | pg_restore s | restore ratio |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(`| ${r.scale} | ${r.rows} | ${r.csvMB} | ${r.cofreDumpS} | ${r.pgDumpS} | ${r.dumpRatio} | ${r.cofreMB} | ${r.pgDumpMB} | ${r.cofreRestoreS} | ${r.pgRestoreS} | ${r.restoreRatio} |`);
}
