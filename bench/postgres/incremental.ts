/**
 * bench/postgres/incremental.ts — the size of an incremental backup after 1 % of rows
 * changed, as a share of the full backup's size (issue 4 item 8; target ≤ 3 %).
 *
 *   npx tsx bench/postgres/incremental.ts [--scale 1] [--percent 1] [--level 6]
 *
 * On a scratch database of the local stack: seeds the Ortho+ demo at `--scale`, takes a full
 * backup (with change capture) to a temporary folder, updates `--percent` % of the rows of
 * every demo table in place (a touched column per table, chosen so constraints hold; rows
 * picked by TABLESAMPLE BERNOULLI with a fixed REPEATABLE seed), takes an incremental, and
 * prints stored bytes of both, the ratio, the change rows, and the source's change-log size.
 * Figures on a shared 2-core machine are noisy for times; sizes are not.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createScratchDb, dropScratchDb } from "../../scripts/stack/databases.ts";
import { seedDemo } from "../../scripts/seed/seed.ts";
import { runBackup } from "../../packages/shared/src/engine/backup.ts";
import { openDestination } from "../../packages/shared/src/destinations/registry.ts";

const { values } = parseArgs({
  options: { scale: { type: "string", default: "1" }, percent: { type: "string", default: "1" }, level: { type: "string", default: "6" } },
});
const scale = Number(values.scale);
const percent = Number(values.percent);
const level = Number(values.level);

/** Per demo table, an in-place change that keeps every constraint (a note-like column). */
const TOUCH: Record<string, string> = {
  clinics: "phone = phone",
  clinic_members: "created_at = created_at + interval '1 second'",
  dentists: "phone = coalesce(phone, '') || ''",
  patients: "notes = coalesce(notes, '') || ' (revisado)'",
  procedures: "description = description || ' '",
  appointments: "notes = coalesce(notes, '') || ' remarcado'",
  treatment_plans: "updated_at = updated_at + interval '1 second'",
  treatment_plan_items: "quantity = quantity",
  invoices: "nfse_number = coalesce(nfse_number, '') || '1'",
  payments: "gateway_ref = coalesce(gateway_ref, '') || 'x'",
  documents: "original_name = original_name || ' '",
};

const DB = `bench_incremental_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), "cofre-bench-incr-"));
const url = await createScratchDb(DB, { supabaseShape: true });
try {
  const t0 = performance.now();
  await seedDemo({ url, scale, seed: 1 });
  console.log(`seeded scale ${scale} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const dest = await openDestination(`file://${dir}`);

  const full = await runBackup({ sourceUrl: url, destination: dest, capture: true, compressionLevel: level });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  let changed = 0;
  let total = 0;
  try {
    for (const [table, set] of Object.entries(TOUCH)) {
      const [n] = await sql.unsafe<{ n: string }[]>(`select count(*)::text as n from public.${table}`);
      total += Number(n!.n);
      const r = await sql.unsafe(
        `update public.${table} set ${set} where ctid in (select ctid from public.${table} tablesample bernoulli (${percent}) repeatable (42))`,
      );
      changed += r.count;
    }
  } finally {
    await sql.end();
  }
  const incr = await runBackup({ sourceUrl: url, destination: dest, type: "incremental", compressionLevel: level });
  const log = postgres(url, { max: 1, onnotice: () => {} });
  const [size] = await log<{ bytes: string }[]>`select pg_total_relation_size('cofre_capture.change_log')::text as bytes`;
  await log.end();

  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  console.log(`rows in the demo tables:   ${total} (${full.rows} backed up)`);
  console.log(`rows changed:              ${changed} (${((changed / total) * 100).toFixed(2)} %)`);
  console.log(`full backup stored:        ${mb(full.bytesOut)} (${mb(full.bytesIn)} before compression, level ${level}) in ${(full.durationMs / 1000).toFixed(1)} s`);
  console.log(`incremental stored:        ${mb(incr.bytesOut)} (${incr.changeRows} change rows) in ${(incr.durationMs / 1000).toFixed(1)} s`);
  console.log(`incremental / full:        ${((incr.bytesOut / full.bytesOut) * 100).toFixed(2)} %  (target ≤ 3 %)`);
  console.log(`source change log:         ${mb(Number(size!.bytes))} (pruned after the next backups per docs/postgres-chains.md)`);
} finally {
  await dropScratchDb(DB);
  rmSync(dir, { recursive: true, force: true });
}
