/**
 * One backup or one restore through the real engine, in its own process, reporting its peak
 * RSS. main.ts runs it under `/usr/bin/time -v` (Node and Deno) and compares both readings.
 *
 *   node --import tsx bench/format/rss.ts backup  --db URL --dest DIR [--level 6]
 *   node --import tsx bench/format/rss.ts restore --db URL --dest DIR
 *   (--trace: RSS and V8 counters once a second on stderr)
 *   deno run -A --config supabase/functions/tests/deno.json bench/format/rss.ts …
 *
 * Prints one JSON line: { op, runtime, seconds, cpuSeconds, peakRss, baseRss, sampledPeaks, summary }.
 */
import process from "node:process";
import { LocalDestination } from "../../packages/shared/src/destinations/local.ts";
import { cpuSeconds, parseFlags, peakRssBytes, runtime } from "./lib.ts";

const [op, ...rest] = process.argv.slice(2);
const flags = parseFlags(rest);
const db = flags.get("db");
const dest = flags.get("dest");
if ((op !== "backup" && op !== "restore") || !db || !dest) {
  console.error("usage: rss.ts backup|restore --db URL --dest DIR [--level N]");
  process.exit(2);
}

// RSS once the modules are loaded (the floor), then the peaks of V8's own counters while the
// engine runs (sampled every 100 ms): they say where the peak RSS goes.
const base = process.memoryUsage();
const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sample = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k] ?? 0);
};
let ticks = 0;
const trace = flags.has("trace");
// --gc (diagnostic; needs --expose-gc): a full GC every 100 ms, to tell garbage the collector
// has not reclaimed yet from memory that is really held.
const forceGc = flags.has("gc") ? (globalThis as { gc?: () => void }).gc : undefined;
const sampler = setInterval(() => {
  forceGc?.();
  sample();
  // --trace: one line a second on stderr (seconds, rss, heapTotal, heapUsed, external MiB).
  if (trace && ++ticks % 10 === 0) {
    const m = process.memoryUsage();
    const mib = (x: number) => (x / 2 ** 20).toFixed(0);
    console.error(`trace ${ticks / 10}s rss=${mib(m.rss)} heapTotal=${mib(m.heapTotal)} heapUsed=${mib(m.heapUsed)} external=${mib(m.external)} arrayBuffers=${mib(m.arrayBuffers)}`);
  }
}, 100);

const destination = new LocalDestination(dest);
const t0 = performance.now();
const c0 = cpuSeconds();
// Only the engine half in use is loaded (its floor is then what that operation needs).
const summary = op === "backup"
  ? await (await import("../../packages/shared/src/engine/backup.ts")).runBackup({ sourceUrl: db, destination, compressionLevel: flags.has("level") ? Number(flags.get("level")) : undefined })
  : await (await import("../../packages/shared/src/engine/restore.ts")).runRestore({ destination, backupId: "latest", targetUrl: db });
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
sample();
console.log(JSON.stringify({
  op, runtime: runtime(), seconds, cpuSeconds: cpuSeconds() - c0, peakRss: peakRssBytes(),
  baseRss: base.rss, sampledPeaks: peak, summary,
}));
process.exit(0);
