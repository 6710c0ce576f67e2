/**
 * Helpers shared by the format benchmarks. Runtime-neutral: runs unchanged on Node (tsx) and
 * Deno (`--config supabase/functions/tests/deno.json`). Only `node:` built-ins both provide.
 */
import process from "node:process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";
import zlib from "node:zlib";

/** Chunk size fed to every stage, as the engine's COPY reader and fs streams deliver. */
export const CHUNK = 256 * 1024;
/** Figures are in MB = 10^6 bytes (so MB/s compares with the and restic's). */
export const MB = 1e6;

export type RuntimeName = "node" | "deno";

export function runtime(): { name: RuntimeName; version: string } {
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  return deno ? { name: "deno", version: deno.version.deno } : { name: "node", version: process.versions.node };
}

/** CPU seconds (user + system, every thread of this process, incl. zlib's thread pool). */
export function cpuSeconds(): number {
  try {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** Peak resident set size of this process in bytes (Linux VmHWM), NaN where unknown. */
export function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  try {
    return process.resourceUsage().maxRSS * 1024;
  } catch {
    return Number.NaN;
  }
}

export interface CorpusFile {
  name: string;
  data: Uint8Array;
}

export interface Corpus {
  name: string;
  files: CorpusFile[];
  bytes: number;
}

/** Loads every regular file of `dir` (sorted by name) into memory. */
export function loadCorpus(name: string, dir: string): Corpus {
  const files = listFiles(dir).map((p) => ({ name: p.split("/").pop()!, data: new Uint8Array(readFileSync(p)) }));
  return { name, files, bytes: files.reduce((n, f) => n + f.data.length, 0) };
}

export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new Error(`corpus directory ${dir} does not exist`);
  return readdirSync(dir).sort().map((f) => join(dir, f)).filter((p) => statSync(p).isFile());
}

/** `data` in CHUNK-sized views (no copies). */
export function* chunks(data: Uint8Array, size = CHUNK): Generator<Uint8Array> {
  for (let o = 0; o < data.length; o += size) yield data.subarray(o, Math.min(o + size, data.length));
}

export function* corpusChunks(c: Corpus, size = CHUNK): Generator<Uint8Array> {
  for (const f of c.files) yield* chunks(f.data, size);
}

/**
 * The reference the pipeline is measured against (overhead.ts, acceptance.ts): node:zlib alone,
 * createDeflateRaw at `level` over each file of `c` in CHUNK-sized writes, output dropped.
 */
export async function zlibAlone(c: Corpus, level: number): Promise<void> {
  for (const f of c.files) {
    const d = zlib.createDeflateRaw({ level });
    d.on("data", () => {});
    const ended = new Promise<void>((res, rej) => {
      d.on("end", res);
      d.on("error", rej);
    });
    for (const ch of chunks(f.data)) if (!d.write(ch)) await new Promise<void>((r) => d.once("drain", r));
    d.end();
    await ended;
  }
}

export interface Result {
  runtime: RuntimeName;
  group: string;
  corpus: string;
  name: string;
  bytesIn: number;
  bytesOut: number;
  /** Wall-clock seconds of the fastest repetition. */
  seconds: number;
  /** CPU seconds of that run (all threads of the process). */
  cpuSeconds: number;
  reps: number;
  /** 1-minute load average when the measurement ended (contention from other jobs shows here). */
  load: number;
  note?: string;
}

/**
 * Runs `fn` `reps` times and keeps the fastest run (corpora are large enough that JIT
 * warm-up is noise). `fn` returns the bytes it produced.
 */
export async function measure(
  spec: { group: string; corpus: string; name: string; bytesIn: number; reps: number; note?: string },
  fn: () => Promise<number> | number,
): Promise<Result> {
  const runs: { s: number; cpu: number; out: number }[] = [];
  for (let i = 0; i < spec.reps; i++) {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    const out = await fn();
    const s = (performance.now() - t0) / 1000;
    runs.push({ s, cpu: cpuSeconds() - c0, out });
  }
  // The fastest run: this 2-core machine is shared (other jobs run tests), and contention only
  // ever makes a run slower, so the minimum is the best estimate of what the code can do.
  runs.sort((a, b) => a.s - b.s);
  const mid = runs[0]!;
  const r: Result = {
    runtime: runtime().name, group: spec.group, corpus: spec.corpus, name: spec.name,
    bytesIn: spec.bytesIn, bytesOut: mid.out, seconds: mid.s, cpuSeconds: mid.cpu, reps: spec.reps, load: loadavg()[0]!,
  };
  if (spec.note) r.note = spec.note;
  return r;
}

export const mbps = (r: Pick<Result, "bytesIn" | "seconds">) => r.bytesIn / MB / r.seconds;

export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** `--name value` / `--flag` parsing for the bench scripts. */
export function parseFlags(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf("=");
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) out.set(a.slice(2), argv[++i]!);
    else out.set(a.slice(2), "true");
  }
  return out;
}
