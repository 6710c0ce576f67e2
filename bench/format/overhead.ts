/**
 * The pipeline against node:zlib at the same level on the text corpus, interleaved: each round
 * runs the reference (createDeflateRaw, 256 KiB writes) and then every pipeline variant once,
 * so a ratio is always taken between runs of the same round (this machine is shared; load
 * changes from minute to minute). Reports, per variant, the median ratio ref/pipeline of wall
 * time and of CPU time (all threads) with their min–max over the rounds.
 *
 *   node --import tsx bench/format/overhead.ts --text DIR [--rounds 7] [--levels 1,2,6] [--out FILE]
 *   deno run -A --config supabase/functions/tests/deno.json bench/format/overhead.ts …same flags…
 */
import process from "node:process";
import { writeFileSync } from "node:fs";
import type { EntryOptions } from "../../packages/shared/src/format/zip/writer.ts";
import { chunks, cpuSeconds, loadCorpus, log, parseFlags, runtime, zlibAlone } from "./lib.ts";
import { loadCrypto, writeVolume } from "./pipeline.ts";

const flags = parseFlags(process.argv.slice(2));
const corpus = loadCorpus("text", flags.get("text")!);
const rounds = Number(flags.get("rounds") ?? 7);
const levels = (flags.get("levels") ?? "1,2,6").split(",").map(Number);
const rt = runtime().name;

const crypto = await loadCrypto();
const key = crypto ? await crypto.createBackupKey("bench passphrase", { iterations: 600_000 }) : null;
const pipe = (entry: EntryOptions, enc: boolean) => () =>
  writeVolume(corpus.files.map((f) => ({ name: f.name, chunks: () => chunks(f.data) })), {
    entry, encrypt: enc && key !== null ? { key, segmentSize: 64 * 1024 } : null,
  }).then(() => {});

interface Row { level: number; name: string; wall: number[]; cpu: number[] }
const rows: Row[] = [];
const time = async (fn: () => Promise<void>) => {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  await fn();
  return { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
};

for (const level of levels) {
  const variants: [string, () => Promise<void>][] = [
    [`zip L${level} zlib → hash`, pipe({ method: "deflate", level, engine: "zlib" }, false)],
    [`zip L${level} zlib-blocks, 1 thread → hash`, pipe({ method: "deflate", level, engine: "zlib-blocks", threads: 1 }, false)],
    [`zip L${level} zlib-blocks, 2 threads → hash`, pipe({ method: "deflate", level, engine: "zlib-blocks", threads: 2 }, false)],
    [`zip L${level} zlib → encrypt → hash`, pipe({ method: "deflate", level, engine: "zlib" }, true)],
    [`zip L${level} zlib-blocks, 2 threads → encrypt → hash`, pipe({ method: "deflate", level, engine: "zlib-blocks", threads: 2 }, true)],
  ];
  const mine = variants.map(([name]) => ({ level, name, wall: [] as number[], cpu: [] as number[] }));
  rows.push(...mine);
  await zlibAlone(corpus, level); // warm-up
  for (const [, fn] of variants) await fn();
  for (let r = 0; r < rounds; r++) {
    const base = await time(() => zlibAlone(corpus, level));
    for (const [i, [name, fn]] of variants.entries()) {
      const t = await time(fn);
      mine[i]!.wall.push(base.wall / t.wall);
      mine[i]!.cpu.push(base.cpu / t.cpu);
      log(`  [${rt}] L${level} round ${r + 1}: ${name.padEnd(44)} wall ${(100 * base.wall / t.wall).toFixed(0)} %, CPU ${(100 * base.cpu / t.cpu).toFixed(0)} % of node:zlib's speed`);
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
const lines = [
  `${rt}, text corpus ${(corpus.bytes / 1e6).toFixed(1)} MB, ${rounds} rounds; 1-minute load average at the end ${(await import("node:os")).loadavg()[0]!.toFixed(2)}.`,
  "",
  "| pipeline | wall: ref/pipeline, median (min–max) | CPU: ref/pipeline, median (min–max) |",
  "|---|---:|---:|",
  ...rows.map((r) => `| ${r.name} | ${pct(median(r.wall))} (${pct(Math.min(...r.wall))}–${pct(Math.max(...r.wall))}) | ${pct(median(r.cpu))} (${pct(Math.min(...r.cpu))}–${pct(Math.max(...r.cpu))}) |`),
];
const md = lines.join("\n");
console.log(md);
if (flags.has("out")) writeFileSync(flags.get("out")!, JSON.stringify({ runtime: rt, rounds, rows, markdown: md }, null, 2));
