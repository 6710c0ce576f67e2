/**
 * Issue 3's three measurable targets in one command, each printed as PASS or FAIL with its
 * figures and the 1-minute load average (the targets are wall-time ones: run on a quiet machine).
 *
 *   npx tsx bench/format/acceptance.ts [--quick] [--work DIR] [--rounds N] [--rss-gib X] [--restic-level L]
 *
 *  1. speed   — the pipeline (ZIP with the engine's default deflate for the level → SHA-256 +
 *               MD5 of the stored bytes, and the same with encryption) against node:zlib
 *               alone at levels 1, 2 and 6 on the text corpus, wall time, interleaved rounds
 *               (overhead.ts's method). PASS: median ratio ≥ 90 % for every row.
 *  2. restic  — corpus (c) (half text, half random) through the worker/CLI pipeline (level 6,
 *               default engine: zlib-blocks on both cores, encrypted) against `restic backup`,
 *               interleaved rounds. PASS: median of restic's time / Cofre's time ≥ 1.
 *  3. memory  — peak RSS (GNU time) of a backup and a restore of a ~2 GiB table: on Node as
 *               `npx cofre` runs (packages/cli/bin/cofre.mjs, level 6) and on Deno as the
 *               functions are served (DENO_FUNCTION_V8_FLAGS, the edge default level 2).
 *               PASS: every peak < 128 MiB. The two runtimes' runs go side by side (memory does
 *               not depend on speed; this keeps the whole command within ~6 minutes).
 *
 * The demo export and corpus (c) are cached in WORK (default $TMPDIR/cofre-acceptance) and
 * reused; scratch databases are dropped at the end. --quick: 2 rounds, 0.05 GiB, a smaller
 * corpus (c) — a smoke check of the machinery, its verdicts mean nothing.
 */
import process from "node:process";
import os from "node:os";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createScratchDb, dropScratchDb } from "../../scripts/stack/databases.ts";
import { DENO_FUNCTION_V8_FLAGS } from "../../scripts/stack/functions.ts";
import type { EntryOptions } from "../../packages/shared/src/format/zip/writer.ts";
import { defaultDeflateEngine } from "../../packages/shared/src/format/zip/deflate.ts";
import { dumpCsv, seedDemo, writeMixed } from "./corpus.ts";
import { chunks, cpuSeconds, listFiles, loadCorpus, log, MB, parseFlags, zlibAlone, type Corpus } from "./lib.ts";
import { fileEntries, loadCrypto, writeVolume } from "./pipeline.ts";
import { fillRssSource } from "./rss-source.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DENO = join(ROOT, "node_modules/.bin/deno");
const DENO_CONFIG = join(ROOT, "supabase/functions/tests/deno.json");
const CLI = join(ROOT, "packages/cli/bin/cofre.mjs");
const MiB = 1024 ** 2;
const RSS_LIMIT = 128 * MiB;
const SPEED_TARGET = 0.9;

const flags = parseFlags(process.argv.slice(2));
const quick = flags.has("quick");
const rounds = Number(flags.get("rounds") ?? (quick ? 2 : 5));
/** Cofre's deflate level in target 2 (default 6, the worker/CLI default). */
const resticLevel = Number(flags.get("restic-level") ?? 6);
const rssGib = Number(flags.get("rss-gib") ?? (quick ? 0.05 : 2));
const work = flags.get("work") ?? join(os.tmpdir(), "cofre-acceptance");
const dbs = { demo: "acc_demo", big: "acc_big", nodeRestore: "acc_restore_node", denoRestore: "acc_restore_deno" };
const started = Date.now();

interface Verdict { target: string; pass: boolean; lines: string[] }
const verdicts: Verdict[] = [];
const load = () => `load ${os.loadavg().map((x) => x.toFixed(2)).join(" / ")} (1/5/15 min)`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
const spread = (xs: number[], f: (x: number) => string) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
const timed = async (fn: () => Promise<unknown>) => {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  await fn();
  return { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
};

/** The demo export (text) and corpus (c), built once per WORK and reused. */
async function corpora(): Promise<{ text: string; mixed: string }> {
  const text = join(work, "text");
  const mixed = join(work, quick ? "mixed-quick" : "mixed");
  if (!existsSync(join(text, ".done"))) {
    log("== corpus: seeding the demo (scale 1) and exporting it as CSV (once per --work dir)");
    rmSync(text, { recursive: true, force: true });
    const url = await createScratchDb(dbs.demo, { supabaseShape: true });
    try {
      seedDemo(url, 1);
      await dumpCsv(url, text);
    } finally {
      await dropScratchDb(dbs.demo);
    }
    writeFileSync(join(text, ".done"), "");
  }
  if (!existsSync(join(mixed, ".done"))) {
    rmSync(mixed, { recursive: true, force: true });
    writeMixed(text, mixed, quick ? 1 : 3);
    writeFileSync(join(mixed, ".done"), "");
  }
  return { text, mixed };
}

async function speed(textDir: string): Promise<void> {
  log(`\n== target 1: pipeline vs node:zlib, text corpus, ${rounds} interleaved rounds (${load()})`);
  const corpus = loadCorpus("text", textDir);
  const crypto = await loadCrypto();
  const key = crypto ? await crypto.createBackupKey("bench passphrase", { iterations: 100_000 }) : null;
  const lines: string[] = [];
  let pass = true;
  for (const level of [1, 2, 6]) {
    const entry: EntryOptions = { method: "deflate", level };
    const variants: [string, () => Promise<unknown>][] = [[`L${level} zip → hash`, () => pipeline(corpus, entry, null)]];
    if (key) variants.push([`L${level} zip → encrypt → hash`, () => pipeline(corpus, entry, key)]);
    await zlibAlone(corpus, level); // warm-up
    for (const [, fn] of variants) await fn();
    const wall = variants.map(() => [] as number[]);
    const cpu = variants.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      const ref = await timed(() => zlibAlone(corpus, level));
      for (const [i, [, fn]] of variants.entries()) {
        const t = await timed(fn);
        wall[i]!.push(ref.wall / t.wall);
        cpu[i]!.push(ref.cpu / t.cpu);
      }
    }
    for (const [i, [name]] of variants.entries()) {
      const ok = median(wall[i]!) >= SPEED_TARGET;
      pass &&= ok;
      lines.push(`${ok ? "ok  " : "LOW "} ${name.padEnd(28)} engine ${defaultDeflateEngine(level).padEnd(11)} wall ${spread(wall[i]!, pct)}   CPU ${spread(cpu[i]!, pct)}`);
    }
  }
  lines.push(`(ratio = node:zlib's time / the pipeline's, same round; target wall ≥ ${pct(SPEED_TARGET)}; ${(corpus.bytes / MB).toFixed(1)} MB; ${load()})`);
  verdicts.push({ target: "1. pipeline ≥ 90 % of node:zlib (L1, L2, L6, text, wall)", pass, lines });
}

function pipeline(c: Corpus, entry: EntryOptions, key: unknown): Promise<unknown> {
  return writeVolume(c.files.map((f) => ({ name: f.name, chunks: () => chunks(f.data) })), {
    entry, encrypt: key ? { key, segmentSize: 64 * 1024 } : null,
  });
}

async function versusRestic(mixedDir: string): Promise<void> {
  log(`\n== target 2: corpus (c) vs restic, ${rounds} interleaved rounds (${load()})`);
  if (spawnSync("restic", ["version"]).status !== 0) {
    verdicts.push({ target: "2. corpus (c) no slower than restic (2 cores)", pass: false, lines: ["restic is missing: bash bench/format/run.sh installs it (apt-get install restic)"] });
    return;
  }
  const files = listFiles(mixedDir);
  const bytesIn = files.reduce((n, f) => n + statSync(f).size, 0);
  const scratch = join(work, "versus");
  mkdirSync(scratch, { recursive: true });
  const repo = join(scratch, "restic-repo");
  const env = { ...process.env, RESTIC_PASSWORD: "bench", RESTIC_PROGRESS_FPS: "0" };
  const crypto = await loadCrypto();
  const restic = async () => {
    rmSync(repo, { recursive: true, force: true });
    execFileSync("restic", ["init", "--repo", repo, "--repository-version", "2"], { env, stdio: "ignore" });
    const t0 = performance.now();
    const r = spawnSync("/usr/bin/time", ["-f", "TIME %U %S", "restic", "backup", "--repo", repo, "--no-cache", "--quiet", mixedDir], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`restic backup failed: ${r.stderr}`);
    const m = /TIME ([\d.]+) ([\d.]+)/.exec(r.stderr)!;
    return { wall: (performance.now() - t0) / 1000, cpu: Number(m[1]) + Number(m[2]) };
  };
  // The worker/CLI default: level 6, the default engine, encrypted (PBKDF2 at 600,000 included,
  // as restic's include opening its repository), the volume written to disk and fsync'ed.
  const cofre = async () => {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    const key = crypto ? await crypto.createBackupKey("bench passphrase", { iterations: 600_000 }) : null;
    await writeVolume(fileEntries(files), {
      entry: { method: "auto", level: resticLevel }, encrypt: key ? { key, segmentSize: 64 * 1024 } : null, outPath: join(scratch, "v.zip"),
    });
    return { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
  };
  await restic(); // warms the page cache and the JIT for both
  await cofre();
  const ratios: number[] = [];
  const rows: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [cofre, restic] : [restic, cofre];
    const [a, b] = [await order[0]!(), await order[1]!()];
    const [rs, cs] = r % 2 ? [b, a] : [a, b];
    ratios.push(rs.wall / cs.wall);
    rows.push(`round ${r + 1}: restic ${rs.wall.toFixed(2)} s (CPU ${rs.cpu.toFixed(2)} s), cofre L${resticLevel}${crypto ? " +enc" : ""} ${cs.wall.toFixed(2)} s (CPU ${cs.cpu.toFixed(2)} s)`);
  }
  rmSync(scratch, { recursive: true, force: true });
  const pass = median(ratios) >= 1;
  verdicts.push({
    target: "2. corpus (c) no slower than restic (2 cores)", pass,
    lines: [...rows, `restic/cofre wall, median (min–max): ${spread(ratios, (x) => `${x.toFixed(2)}×`)} — ${(bytesIn / MB).toFixed(0)} MB, level ${resticLevel}, engine ${defaultDeflateEngine(resticLevel)}; ${load()}`],
  });
}

/** Runs `cmd` under GNU time; resolves to its peak RSS in bytes. */
function peakRss(label: string, cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn("/usr/bin/time", ["-f", "PEAK %M", cmd, ...args], { cwd: ROOT, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } });
    let err = "";
    p.stdout.resume();
    p.stderr.on("data", (d) => (err += d));
    p.on("exit", (code) => {
      const m = /PEAK (\d+)/.exec(err);
      if (code !== 0 || !m) reject(new Error(`${label} exited ${code}: ${err.slice(-1500)}`));
      else resolve(Number(m[1]) * 1024);
    });
  });
}

async function memory(): Promise<void> {
  log(`\n== target 3: peak RSS, backup and restore of ~${rssGib} GiB (${load()})`);
  const src = await createScratchDb(dbs.big, { supabaseShape: true });
  await fillRssSource(src, rssGib);
  const dirs = { node: join(work, "rss-node"), deno: join(work, "rss-deno") };
  for (const d of Object.values(dirs)) {
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
  }
  const deno = (op: string, db: string, dest: string, extra: string[] = []) =>
    peakRss(`deno ${op}`, DENO, ["run", "-A", DENO_FUNCTION_V8_FLAGS, "--quiet", "--config", DENO_CONFIG, join(ROOT, "bench/format/rss.ts"), op, "--db", db, "--dest", dest, ...extra]);
  const t0 = performance.now();
  const [nodeBackup, denoBackup] = await Promise.all([
    peakRss("cofre backup", CLI, ["backup", "--db", src, "--to", `file://${dirs.node}`]),
    deno("backup", src, dirs.deno, ["--level", "2"]),
  ]);
  const tb = (performance.now() - t0) / 1000;
  const [nodeTarget, denoTarget] = [await createScratchDb(dbs.nodeRestore, { supabaseShape: true }), await createScratchDb(dbs.denoRestore, { supabaseShape: true })];
  const t1 = performance.now();
  const [nodeRestore, denoRestore] = await Promise.all([
    peakRss("cofre restore", CLI, ["restore", "--from", `file://${dirs.node}`, "--backup", "latest", "--db", nodeTarget]),
    deno("restore", denoTarget, dirs.deno),
  ]);
  const tr = (performance.now() - t1) / 1000;
  for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
  const fmt = (x: number) => `${(x / MiB).toFixed(1)} MiB`;
  const all = { "node backup (cofre CLI, L6)": nodeBackup, "node restore (cofre CLI)": nodeRestore, "deno backup (as served, L2)": denoBackup, "deno restore (as served)": denoRestore };
  verdicts.push({
    target: `3. peak RSS < 128 MiB, ${rssGib} GiB backup + restore, Node and Deno`,
    pass: Object.values(all).every((x) => x < RSS_LIMIT),
    lines: [
      ...Object.entries(all).map(([k, v]) => `${v < RSS_LIMIT ? "ok  " : "HIGH"} ${k.padEnd(30)} ${fmt(v)}`),
      `(backups ${tb.toFixed(0)} s, restores ${tr.toFixed(0)} s, the two runtimes side by side; Deno flags ${DENO_FUNCTION_V8_FLAGS}; ${load()})`,
    ],
  });
}

try {
  const { text, mixed } = await corpora();
  await speed(text);
  await versusRestic(mixed);
  await memory();
} finally {
  for (const d of Object.values(dbs)) await dropScratchDb(d).catch(() => {});
}

console.log(`\nIssue 3 acceptance${quick ? " (--quick: smoke check only, verdicts not meaningful)" : ""} — ${new Date().toISOString()}, ${os.cpus().length} CPUs, ${((Date.now() - started) / 1000).toFixed(0)} s`);
for (const v of verdicts) {
  console.log(`\n${v.pass ? "PASS" : "FAIL"}  ${v.target}`);
  for (const l of v.lines) console.log(`      ${l}`);
}
process.exit(verdicts.every((v) => v.pass) ? 0 : 1);
