/**
 * Memory is bounded by configuration, not by backup size: `cofre backup` and `cofre restore`
 * of a ≥ 256 MiB database (incompressible rows, TOASTed) keep their peak RSS under a fixed
 * bound, measured by GNU time on the real processes. (bench/format measures 2 GiB.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { ROOT } from "../../scripts/stack/paths.ts";

const SRC = "mem_src";
const DST = "mem_dst";
const MiB = 1024 * 1024;
/**
 * The product's bound (issue 3: 128 MiB; bench/format measures it for 2 GiB). Measured here
 * for 280 MB as `npx cofre` runs (the bundle bin/cofre.mjs builds or reuses): backup 92 MiB,
 * restore 89 MiB; through the tsx fallback 124 / 110 MiB.
 */
const PEAK_RSS_LIMIT = 128 * MiB;
const CLI = join(ROOT, "packages", "cli", "bin", "cofre.mjs");
let srcUrl = "";
let dir = "";

function peakRss(args: string[]) {
  // The bin itself, as `npx cofre` runs it (its shebang sets the V8 flags).
  const r = spawnSync("/usr/bin/time", ["-f", "%M", CLI, ...args], { encoding: "utf8", timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
  const kib = Number(r.stderr.trim().split("\n").pop());
  return kib * 1024;
}

beforeAll(async () => {
  srcUrl = await createScratchDb(SRC, { supabaseShape: true });
  const sql = postgres(srcUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      create table public.raios_x (id int primary key, imagem bytea not null);
      insert into public.raios_x select i, extensions.gen_random_bytes(1024) || extensions.gen_random_bytes(1024)
        from generate_series(1, 140000) i;`);
    const [row] = await sql<{ bytes: string }[]>`select pg_total_relation_size('public.raios_x')::text as bytes`;
    expect(Number(row!.bytes)).toBeGreaterThan(256 * MiB);
  } finally {
    await sql.end();
  }
  dir = mkdtempSync(join(tmpdir(), "cofre-mem-"));
}, 300_000);

afterAll(async () => {
  for (const db of [SRC, DST]) await dropScratchDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("bounded memory", () => {
  it("backs up and restores ≥ 256 MiB with a bounded peak RSS", async () => {
    const backupRss = peakRss(["backup", "--db", srcUrl, "--to", `file://${dir}`, "--volume-size", "64MiB"]);
    const target = await createScratchDb(DST, { supabaseShape: true });
    const restoreRss = peakRss(["restore", "--from", `file://${dir}`, "--backup", "latest", "--db", target]);
    console.log(`peak RSS: backup ${(backupRss / MiB).toFixed(0)} MiB, restore ${(restoreRss / MiB).toFixed(0)} MiB`);
    expect(backupRss).toBeLessThan(PEAK_RSS_LIMIT);
    expect(restoreRss).toBeLessThan(PEAK_RSS_LIMIT);
  }, 600_000);
});
