/**
 * Format benchmarks, one entry point: `bash bench/format/run.sh` (or `npx tsx bench/format/main.ts`).
 * Needs the local stack (`npm run stack:up`); installs Debian's restic when it is missing.
 *
 *  1. corpora: (a) the Ortho+ demo export as CSV, (b) random bytes, (c) half text, half random;
 *  2. throughput of every stage and of the whole pipeline, with the machine's limits
 *     (node:zlib, node:crypto) measured in the same process — on Node, then on Deno;
 *  3. corpus (c) through Cofre's pipeline (sequential, 2 concurrent volumes, 2 worker threads)
 *     and through `restic backup`; then versus.ts: restic and Cofre interleaved, ratios per round;
 *  4. peak RSS of a backup and a restore of a ~2 GiB table through the real engine.
 *
 * Flags: --reps N (default 3) · --rss-gib X (default 2) · --rss-variants node-cli,node-bundle,deno,deno-capped ·
 *        --skip node,deno,mixed,restic,versus,rss · --quick (small corpora, 1 rep, 0.25 GiB) ·
 *        --work DIR (default $TMPDIR/cofre-bench) · --keep (keep corpora and scratch dbs' dumps).
 * Writes WORK/results.json and WORK/results.md; prints the Markdown tables on stdout.
 */
import process from "node:process";
import os from "node:os";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { createScratchDb, dropScratchDb } from "../../scripts/stack/databases.ts";
import { dumpCsv, seedDemo, writeMixed, writeRandom } from "./corpus.ts";
import { fillRssSource } from "./rss-source.ts";
import { log, MB, parseFlags, type Result } from "./lib.ts";
import { CRYPTO_MOD_PATH } from "./pipeline.ts";
import { renderMarkdown, type AllResults, type ResticRun, type RssRun } from "./report.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DENO = join(ROOT, "node_modules/.bin/deno");
const DENO_CONFIG = join(ROOT, "supabase/functions/tests/deno.json");
const GiB = 1024 ** 3;

const flags = parseFlags(process.argv.slice(2));
const quick = flags.has("quick");
const reps = Number(flags.get("reps") ?? (quick ? 1 : 3));
const rssGib = Number(flags.get("rss-gib") ?? (quick ? 0.25 : 2));
const rssVariants = (flags.get("rss-variants") ?? "node-cli,node-bundle,deno,deno-capped").split(",") as RssVariant[];
const skip = new Set((flags.get("skip") ?? "").split(",").filter(Boolean));
const work = flags.get("work") ?? join(os.tmpdir(), "cofre-bench");
const keep = flags.has("keep");
const dbs = { src: "bench_src", rss: "bench_rss", restore: "bench_rss_restore" };

function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  const deno = spawnSync(DENO, ["--version"], { encoding: "utf8" }).stdout?.split("\n")[0] ?? "deno missing";
  const restic = spawnSync("restic", ["version"], { encoding: "utf8" }).stdout?.trim() || "restic missing";
  return {
    date: new Date().toISOString(), nproc: os.availableParallelism?.() ?? os.cpus().length, cpu,
    ramGiB: +(os.totalmem() / GiB).toFixed(1), node: process.version, deno, restic,
    os: readFileSync("/etc/os-release", "utf8").match(/PRETTY_NAME="(.*)"/)?.[1] ?? os.platform(),
    cryptoModule: existsSync(CRYPTO_MOD_PATH),
  };
}

/** Debian's restic, installed with apt when missing (nothing may depend on manual installs). */
function ensureRestic(): boolean {
  if (spawnSync("restic", ["version"]).status === 0) return true;
  log("restic missing: apt-get install -y restic");
  const apt = (args: string[]) => spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
  if (!apt(["install", "-y", "restic"])) apt(["update"]) && apt(["install", "-y", "restic"]);
  return spawnSync("restic", ["version"]).status === 0;
}

/** Runs a child, streaming its stderr, resolving with its stdout. */
function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}`))));
  });
}

const nodeArgs = (script: string, args: string[]) => ["--import", "tsx", join(ROOT, "bench/format", script), ...args];
const denoArgs = (script: string, args: string[]) => ["run", "-A", "--quiet", "--config", DENO_CONFIG, join(ROOT, "bench/format", script), ...args];

async function throughput(rt: "node" | "deno", dirs: { text: string; random: string; mixed: string | null }): Promise<Result[]> {
  const out = join(work, `throughput-${rt}.json`);
  const args = ["--text", dirs.text, "--random", dirs.random, "--reps", String(reps), "--out", out];
  if (dirs.mixed) args.push("--mixed", dirs.mixed, "--scratch", join(work, `volumes-${rt}`));
  if (rt === "node") {
    if (dirs.mixed) args.push("--workers");
    await run(process.execPath, nodeArgs("throughput.ts", args));
  } else {
    await run(DENO, denoArgs("throughput.ts", args));
  }
  return (JSON.parse(readFileSync(out, "utf8")) as { results: Result[] }).results;
}

function resticBackup(corpus: string, bytes: number): ResticRun[] {
  const runs: ResticRun[] = [];
  const env = { ...process.env, RESTIC_PASSWORD: "bench", RESTIC_PROGRESS_FPS: "0" };
  for (let i = 0; i < reps; i++) {
    const repo = join(work, "restic-repo");
    rmSync(repo, { recursive: true, force: true });
    const t0 = performance.now();
    execFileSync("restic", ["init", "--repo", repo, "--repository-version", "2"], { env, stdio: "ignore" });
    const initSeconds = (performance.now() - t0) / 1000;
    const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S %M", "restic", "backup", "--repo", repo, "--no-cache", "--quiet", corpus], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`restic backup failed: ${r.stderr}`);
    const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr)!;
    const stored = Number(execFileSync("du", ["-sb", repo], { encoding: "utf8" }).split("\t")[0]);
    runs.push({
      bytesIn: bytes, seconds: Number(m[1]), cpuSeconds: Number(m[2]) + Number(m[3]), peakRss: Number(m[4]) * 1024,
      stored, initSeconds,
    });
    log(`  restic backup: ${Number(m[1]).toFixed(2)} s wall, ${(bytes / MB / Number(m[1])).toFixed(1)} MB/s, cpu ${(Number(m[2]) + Number(m[3])).toFixed(2)} s, repo ${(stored / MB).toFixed(1)} MB (init ${initSeconds.toFixed(2)} s)`);
  }
  rmSync(join(work, "restic-repo"), { recursive: true, force: true });
  return runs;
}

/**
 * How the engine is started for the RSS runs:
 *  node-cli    as `npx cofre` starts it (packages/cli/bin/cofre.mjs): tsx loader, --max-semi-space-size=2;
 *  node-bundle the same code bundled by esbuild into one .mjs (no loader in the process), same flag;
 *  deno        as an edge function's code runs: plain `deno run`, TypeScript compiled by Deno;
 *  deno-capped the same with V8's heap sized like Node's CLI (DENO_CAPPED_FLAGS): what is left
 *              once garbage cannot pile up, i.e. the memory the pipeline really holds.
 */
export type RssVariant = "node-cli" | "node-bundle" | "deno" | "deno-capped";
/** Old generation capped at 40 MiB, young at 1 MiB semi-spaces (Node's CLI runs with 2). */
export const DENO_CAPPED_FLAGS = "--v8-flags=--max-old-space-size=40,--max-semi-space-size=1";

function bundleRss(): string | null {
  const out = join(work, "rss.bundle.mjs");
  const esbuild = join(ROOT, "node_modules/.bin/esbuild");
  if (!existsSync(esbuild)) return null;
  const r = spawnSync(esbuild, [join(ROOT, "bench/format/rss.ts"), "--bundle", "--platform=node", "--format=esm", "--target=node20",
    `--outfile=${out}`, "--log-level=warning",
    "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"], { stdio: "inherit" });
  return r.status === 0 ? out : null;
}

async function rssRun(variant: RssVariant, op: "backup" | "restore", db: string, dest: string, bundle: string | null): Promise<RssRun> {
  const opArgs = [op, "--db", db, "--dest", dest];
  const [cmd, args]: [string, string[]] = variant === "node-cli"
    ? [process.execPath, ["--max-semi-space-size=2", ...nodeArgs("rss.ts", opArgs)]]
    : variant === "node-bundle"
      ? [process.execPath, ["--max-semi-space-size=2", bundle!, ...opArgs]]
      : variant === "deno"
        ? [DENO, denoArgs("rss.ts", opArgs)]
        : [DENO, [denoArgs("rss.ts", opArgs)[0]!, DENO_CAPPED_FLAGS, ...denoArgs("rss.ts", opArgs).slice(1)]];
  const t0 = performance.now();
  const r = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const p = spawn("/usr/bin/time", ["-v", cmd, ...args], { cwd: ROOT, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${variant} ${op} exited ${code}: ${stderr.slice(-2000)}`))));
  });
  const wall = (performance.now() - t0) / 1000;
  const child = JSON.parse(r.stdout.trim().split("\n").pop()!);
  const timeV = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN) * 1024;
  const s = child.summary;
  const run: RssRun = {
    runtime: child.runtime.name, variant, op, seconds: child.seconds, wallWithStartup: wall, cpuSeconds: child.cpuSeconds,
    peakRssTimeV: timeV, peakRssSelf: child.peakRss, baseRss: child.baseRss, sampledPeaks: child.sampledPeaks,
    bytes: op === "backup" ? s.bytesIn : s.bytes, bytesOut: op === "backup" ? s.bytesOut : undefined, rows: s.rows, volumes: s.volumes,
  };
  log(`  ${variant} ${op}: ${run.seconds.toFixed(1)} s, ${(run.bytes / GiB).toFixed(2)} GiB, peak RSS ${(timeV / 2 ** 20).toFixed(1)} MiB (time -v), ${(child.peakRss / 2 ** 20).toFixed(1)} MiB (VmHWM), floor ${(child.baseRss / 2 ** 20).toFixed(1)} MiB, peaks ${JSON.stringify(Object.fromEntries(Object.entries(child.sampledPeaks as Record<string, number>).map(([k, v]) => [k, Math.round(v / 2 ** 20)])))} MiB`);
  return run;
}

async function rowCount(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql<{ n: string }[]>`select count(*)::text as n from public.bench_big`;
    return Number(r!.n);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function main() {
  const all: AllResults = { machine: machine(), settings: { reps, rssGib, quick, rssVariants }, results: [], restic: [], rss: [], notes: [] };
  log(`machine: ${JSON.stringify(all.machine)}`);
  all.load = [os.loadavg()[0]!];
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const dirs = { text: join(work, "corpus-text"), random: join(work, "corpus-random"), mixed: join(work, "corpus-mixed") };
  const started = Date.now();
  try {
    // 1. Corpora.
    log("corpus (a): seeding the demo into bench_src and exporting it as CSV");
    const srcUrl = await createScratchDb(dbs.src, { supabaseShape: true });
    seedDemo(srcUrl, quick ? 0.2 : 1);
    const textBytes = await dumpCsv(srcUrl, dirs.text);
    await dropScratchDb(dbs.src);
    log(`  text corpus: ${(textBytes / MB).toFixed(1)} MB`);
    log("corpus (b): random bytes");
    writeRandom(dirs.random, "random-", 8, quick ? 5_000_000 : 25_000_000);
    const doMixed = !skip.has("mixed");
    let mixedBytes = 0;
    if (doMixed) {
      log("corpus (c): half text, half random");
      mixedBytes = writeMixed(dirs.text, dirs.mixed, quick ? 1 : 3);
    }
    all.corpora = { text: textBytes, random: quick ? 40e6 : 200e6, mixed: mixedBytes };

    // 2–3. Throughput, Node then Deno; corpus (c) included.
    for (const rt of ["node", "deno"] as const) {
      if (skip.has(rt)) continue;
      log(`\n== throughput on ${rt}`);
      all.results.push(...await throughput(rt, { ...dirs, mixed: doMixed ? dirs.mixed : null }));
    }
    if (doMixed && !skip.has("restic")) {
      log("\n== restic backup of corpus (c)");
      if (ensureRestic()) all.restic = resticBackup(dirs.mixed, mixedBytes);
      else all.notes.push("restic could not be installed; comparison skipped");
    }
    if (doMixed && !skip.has("restic") && !skip.has("versus") && existsSync("/usr/bin/time")) {
      log("\n== Cofre vs restic on corpus (c), interleaved rounds");
      const out = join(work, "versus.json");
      await run(process.execPath, nodeArgs("versus.ts", ["--mixed", dirs.mixed, "--scratch", join(work, "versus-scratch"), "--rounds", String(Math.max(5, reps)), "--out", out]));
      all.versus = (JSON.parse(readFileSync(out, "utf8")) as { markdown: string }).markdown;
    }
    if (!keep) rmSync(join(work, "corpus-random"), { recursive: true, force: true });
    all.load.push(os.loadavg()[0]!);

    // 4. Peak RSS through the engine.
    if (!skip.has("rss")) {
      log(`\n== peak RSS: backup and restore of ~${rssGib} GiB through the engine`);
      const rssUrl = await createScratchDb(dbs.rss, { supabaseShape: true });
      const t0 = Date.now();
      await fillRssSource(rssUrl, rssGib);
      log(`  filled in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      const rows = await rowCount(rssUrl);
      const bundle = rssVariants.includes("node-bundle") ? bundleRss() : null;
      for (const v of rssVariants) {
        if (v === "node-bundle" && !bundle) {
          all.notes.push("esbuild missing: node-bundle RSS variant skipped");
          continue;
        }
        const dest = join(work, `backups-${v}`);
        rmSync(dest, { recursive: true, force: true });
        const b = await rssRun(v, "backup", rssUrl, dest, bundle);
        const restoreUrl = await createScratchDb(dbs.restore, { supabaseShape: true });
        const r = await rssRun(v, "restore", restoreUrl, dest, bundle);
        const back = await rowCount(restoreUrl);
        if (back !== rows) all.notes.push(`${v} restore: ${back} rows back of ${rows}`);
        r.verified = back === rows;
        all.rss.push(b, r);
        await dropScratchDb(dbs.restore);
        rmSync(dest, { recursive: true, force: true });
      }
      await dropScratchDb(dbs.rss);
    }
  } finally {
    for (const d of Object.values(dbs)) await dropScratchDb(d).catch(() => {});
    if (!keep) for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
  }
  all.totalSeconds = (Date.now() - started) / 1000;
  all.load!.push(os.loadavg()[0]!);
  writeFileSync(join(work, "results.json"), JSON.stringify(all, null, 2));
  const md = renderMarkdown(all);
  writeFileSync(join(work, "results.md"), md);
  console.log(md);
  log(`\nresults: ${join(work, "results.json")} and results.md (${all.totalSeconds.toFixed(0)} s in all)`);
}

await main();
