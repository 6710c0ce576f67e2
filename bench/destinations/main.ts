/**
 * Destination throughput: Cofre's adapter next to a plain client of the same protocol, against
 * the local stack's servers, in the same run.
 *
 *   npx tsx bench/destinations/main.ts [--kinds s3,sftp] [--size 64] [--runs 3]
 *                                     [--small-count 100] [--small-kib 64] [--out FILE]
 *   npx tsx bench/destinations/main.ts --render results.json   # the report of an earlier run
 *
 * Needs `npx tsx scripts/stack/main.ts up` (specs and credentials from .stack/env). For each
 * kind and run, run-one.ts measures the adapter and the baseline in two separate processes
 * (so each peak RSS is its own), alternating which goes first; each process streams one
 * generated --size MiB object up and down and --small-count objects of --small-kib KiB one
 * after another, checking every byte that comes back. Ratios are taken per run (the two
 * sides measured minutes apart at most), then the median and range over runs. A kind whose
 * run fails is reported with its error and the others continue.
 */
import process from "node:process";
import os from "node:os";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { log, MB, parseFlags } from "../format/lib.ts";
import { isKind, KINDS, type KindName } from "./client.ts";
import { BASELINE_NAME, type Side } from "./open-client.ts";
import type { RunResult, Timed } from "./run-one.ts";

const HERE = new URL(".", import.meta.url).pathname;
const flags = parseFlags(process.argv.slice(2));
const kinds = (flags.get("kinds") ?? Object.keys(KINDS).join(",")).split(",").filter(Boolean);
for (const k of kinds) if (!isKind(k)) throw new Error(`unknown kind ${k}; known: ${Object.keys(KINDS).join(", ")}`);
const size = Number(flags.get("size") ?? 64);
const runs = Number(flags.get("runs") ?? 3);
const smallCount = Number(flags.get("small-count") ?? 100);
const smallKib = Number(flags.get("small-kib") ?? 64);
const out = flags.get("out") ?? join(os.tmpdir(), "cofre-bench-dest", "results.json");

interface KindOutcome {
  kind: KindName;
  results: RunResult[];
  errors: string[];
  load: [number, number];
}

function runOne(kind: KindName, side: Side, run: number): Promise<RunResult> {
  const args = ["--import", "tsx", join(HERE, "run-one.ts"), "--kind", kind, "--side", side, "--size", String(size),
    "--small-count", String(smallCount), "--small-kib", String(smallKib), "--run", String(run)];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_NO_WARNINGS: "1" } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("exit", (code) => {
      const line = stdout.trim().split("\n").pop() ?? "";
      if (code === 0 && line.startsWith("{")) return resolve(JSON.parse(line) as RunResult);
      const why = stderr.split("\n").filter((l) => /error|Error|wrong|refused/.test(l)).slice(0, 3).join(" | ") || stderr.trim().split("\n").slice(-3).join(" | ");
      reject(new Error(`${kind} ${side} run ${run}: exit ${code}: ${why.slice(0, 400)}`));
    });
  });
}

async function benchKind(kind: KindName): Promise<KindOutcome> {
  const o: KindOutcome = { kind, results: [], errors: [], load: [os.loadavg()[0]!, 0] };
  const failed = new Set<Side>();
  for (let run = 1; run <= runs; run++) {
    const order: Side[] = run % 2 === 1 ? ["adapter", "baseline"] : ["baseline", "adapter"];
    for (const side of order) {
      if (failed.has(side)) continue;
      try {
        const r = await runOne(kind, side, run);
        o.results.push(r);
        log(`  ${kind} ${side} run ${run}: put ${mbps(r.largeBytes, r.put).toFixed(1)} MB/s, get ${mbps(r.largeBytes, r.get).toFixed(1)} MB/s, small put ${perObject(r, r.smallPut).toFixed(1)} ms, get ${perObject(r, r.smallGet).toFixed(1)} ms, peak RSS ${(r.peakRss / 2 ** 20).toFixed(0)} MiB`);
      } catch (e) {
        failed.add(side); // a side that fails once is not retried: the error is what we report
        o.errors.push((e as Error).message);
        log(`  ${(e as Error).message}`);
      }
    }
  }
  o.load[1] = os.loadavg()[0]!;
  return o;
}

const mbps = (bytes: number, t: Timed) => bytes / MB / t.seconds;
const perObject = (r: RunResult, t: Timed) => (t.seconds * 1000) / r.smallCount;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** "median (min–max)" with `d` decimals; a single value alone. */
function spread(xs: number[], d = 1): string {
  if (xs.length === 0) return "—";
  const f = (x: number) => x.toFixed(d);
  return xs.length === 1 ? f(xs[0]!) : `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

type Metric = { name: string; value: (r: RunResult) => number; unit: string; higherIsBetter: boolean; cpu: (r: RunResult) => number };
interface Settings {
  size: number;
  runs: number;
  smallCount: number;
  smallKib: number;
}

const metrics = ({ size, smallCount, smallKib }: Settings): Metric[] => [
  { name: `put ${size} MiB`, unit: "MB/s", value: (r) => mbps(r.largeBytes, r.put), higherIsBetter: true, cpu: (r) => r.put.cpuSeconds },
  { name: `get ${size} MiB`, unit: "MB/s", value: (r) => mbps(r.largeBytes, r.get), higherIsBetter: true, cpu: (r) => r.get.cpuSeconds },
  { name: `put ${smallCount} × ${smallKib} KiB`, unit: "ms/object", value: (r) => perObject(r, r.smallPut), higherIsBetter: false, cpu: (r) => r.smallPut.cpuSeconds },
  { name: `get ${smallCount} × ${smallKib} KiB`, unit: "ms/object", value: (r) => perObject(r, r.smallGet), higherIsBetter: false, cpu: (r) => r.smallGet.cpuSeconds },
];

function table(outcomes: KindOutcome[], settings: Settings): string {
  const rows = [
    "| kind | operation | Cofre adapter | plain client | speed ratio adapter/plain | CPU s adapter · plain | peak RSS MiB: adapter (its floor) · plain |",
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const o of outcomes) {
    const a = o.results.filter((r) => r.side === "adapter");
    const b = o.results.filter((r) => r.side === "baseline");
    const mib = (x: number) => (x / 2 ** 20).toFixed(0);
    const rss = `${a.length ? `${mib(Math.max(...a.map((r) => r.peakRss)))} (${mib(median(a.map((r) => r.floorRss)))})` : "—"} · ${b.length ? mib(Math.max(...b.map((r) => r.peakRss))) : "—"}`;
    for (const [i, m] of metrics(settings).entries()) {
      // Per-run ratio of speeds (for ms/object: plain time / adapter time), so > 1 = adapter faster.
      const ratios = a.flatMap((ra) => {
        const rb = b.find((x) => x.run === ra.run);
        if (!rb) return [];
        return [m.higherIsBetter ? m.value(ra) / m.value(rb) : m.value(rb) / m.value(ra)];
      });
      rows.push(`| ${i === 0 ? o.kind : ""} | ${m.name} | ${spread(a.map(m.value))} ${m.unit} | ${spread(b.map(m.value))} ${m.unit} | ${spread(ratios, 2)} | ${a.length ? median(a.map(m.cpu)).toFixed(2) : "—"} · ${b.length ? median(b.map(m.cpu)).toFixed(2) : "—"} | ${i === 0 ? rss : ""} |`);
    }
  }
  return rows.join("\n");
}

/** The printed report: machine, settings, load per kind, the table, baselines, failures. */
function report(started: { date: string }, outcomes: KindOutcome[], settings: Settings): string {
  const cpu = os.cpus()[0]?.model ?? "unknown";
  return [
    `Machine: ${os.availableParallelism?.() ?? os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM; Node ${process.version}. Date: ${started.date}.`,
    `Settings: ${settings.size} MiB object, ${settings.smallCount} × ${settings.smallKib} KiB, ${settings.runs} run(s). MB = 10^6 bytes; "median (min–max)" over runs.`,
    `1-minute load average per kind (start → end): ${outcomes.map((o) => `${o.kind} ${o.load[0].toFixed(1)} → ${o.load[1].toFixed(1)}`).join(", ")}.`,
    "",
    table(outcomes, settings),
    "",
    "Plain clients: " + outcomes.map((o) => `${o.kind}: ${BASELINE_NAME[o.kind]}`).join("; ") + ".",
    ...outcomes.flatMap((o) => o.errors.map((e) => `- not measured: ${e}`)),
  ].join("\n");
}

const render = flags.get("render");
if (render) {
  // Re-prints the report of an earlier run from its results JSON (machine line: this machine).
  const saved = JSON.parse(readFileSync(render, "utf8")) as { started: { date: string }; settings: Settings; outcomes: KindOutcome[] };
  process.stdout.write(`${report(saved.started, saved.outcomes, saved.settings)}\n`);
  process.exit(0);
}

const started = { date: new Date().toISOString(), load: os.loadavg() };
log(`destinations bench: kinds ${kinds.join(",")}, ${size} MiB, ${smallCount} × ${smallKib} KiB, ${runs} run(s); load ${started.load.map((x) => x.toFixed(2)).join(" ")}`);
const outcomes: KindOutcome[] = [];
for (const k of kinds as KindName[]) {
  log(`${k}: ${BASELINE_NAME[k]}`);
  outcomes.push(await benchKind(k));
}
process.stdout.write(`${report(started, outcomes, { size, runs, smallCount, smallKib })}\n`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ started, settings: { size, runs, smallCount, smallKib }, outcomes }, null, 2));
log(`raw results: ${out}`);
