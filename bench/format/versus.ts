/**
 * Cofre's write path against `restic backup` on corpus (c), interleaved: every round runs
 * restic and each Cofre variant once, in a rotating order, so both see the same load on this
 * shared machine; each variant's speed is then a ratio to restic *in the same round*, and the
 * table gives the median ratio with its spread (min–max) over the rounds. Node only (the
 * worker / CLI path; the edge path's single-threaded figures are in throughput.ts's rows).
 *
 *   node --import tsx bench/format/versus.ts --mixed DIR --scratch DIR [--rounds 5] [--out FILE]
 */
import process from "node:process";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EntryOptions } from "../../packages/shared/src/format/zip/writer.ts";
import { cpuSeconds, listFiles, log, MB, parseFlags } from "./lib.ts";
import { fileEntries, loadCrypto, writeVolume } from "./pipeline.ts";

const flags = parseFlags(process.argv.slice(2));
const dir = flags.get("mixed");
const scratch = flags.get("scratch");
if (!dir || !scratch) throw new Error("usage: versus.ts --mixed DIR --scratch DIR [--rounds N] [--out FILE]");
const rounds = Number(flags.get("rounds") ?? 5);
const ITERATIONS = 600_000;

export interface VersusRun {
  round: number;
  variant: string;
  seconds: number;
  cpuSeconds: number;
  stored: number;
}

interface Variant {
  name: string;
  run: () => Promise<{ stored: number; cpuSeconds: number }>;
}

const files = listFiles(dir);
const bytesIn = files.reduce((n, f) => n + statSync(f).size, 0);
mkdirSync(scratch, { recursive: true });
const crypto = await loadCrypto();

function restic(): Variant {
  const repo = join(scratch!, "restic-repo");
  const env = { ...process.env, RESTIC_PASSWORD: "bench", RESTIC_PROGRESS_FPS: "0" };
  return {
    name: "restic backup (repo v2, compression auto), 2 cores",
    run: async () => {
      rmSync(repo, { recursive: true, force: true });
      // init (scrypt) is outside the clock, as in main.ts; backup opens the repo (scrypt again).
      execFileSync("restic", ["init", "--repo", repo, "--repository-version", "2"], { env, stdio: "ignore" });
      const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S", "restic", "backup", "--repo", repo, "--no-cache", "--quiet", dir!], { env, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`restic backup failed: ${r.stderr}`);
      const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr)!;
      const stored = Number(execFileSync("du", ["-sb", repo], { encoding: "utf8" }).split("\t")[0]);
      return { stored, cpuSeconds: Number(m[2]) + Number(m[3]) };
    },
  };
}

function cofre(name: string, entry: EntryOptions, encrypt: boolean): Variant {
  return {
    name,
    run: async () => {
      const c0 = cpuSeconds();
      const key = encrypt ? await crypto!.createBackupKey("bench passphrase", { iterations: ITERATIONS }) : null;
      const r = await writeVolume(fileEntries(files), {
        entry, encrypt: key !== null ? { key, segmentSize: 64 * 1024 } : null, outPath: join(scratch!, "v.zip"),
      });
      return { stored: r.bytesOut, cpuSeconds: cpuSeconds() - c0 };
    },
  };
}

const variants: Variant[] = [restic()];
for (const [level, enc] of [[6, true], [6, false], [2, true], [1, true]] as const) {
  if (enc && !crypto) continue;
  variants.push(cofre(`cofre L${level} auto${enc ? " +enc" : ""}, zlib-blocks (2 threads)`, { method: "auto", level, engine: "zlib-blocks", threads: 2 }, enc));
}
if (crypto) variants.push(cofre("cofre L6 auto +enc, zlib stream (1 core)", { method: "auto", level: 6, engine: "zlib" }, true));

const runs: VersusRun[] = [];
// One unmeasured pass warms the page cache and the JIT for everyone.
for (const v of variants) await v.run();
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < variants.length; k++) {
    const v = variants[(k + round) % variants.length]!;
    const t0 = performance.now();
    const r = await v.run();
    const seconds = (performance.now() - t0) / 1000;
    runs.push({ round, variant: v.name, seconds, cpuSeconds: r.cpuSeconds, stored: r.stored });
    log(`  round ${round + 1}: ${v.name.padEnd(52)} ${seconds.toFixed(2)} s, ${(bytesIn / MB / seconds).toFixed(1)} MB/s, cpu ${r.cpuSeconds.toFixed(2)} s, stored ${(r.stored / MB).toFixed(1)} MB`);
  }
}
rmSync(scratch, { recursive: true, force: true });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const resticName = variants[0]!.name;
const lines = [
  `Corpus (c): ${(bytesIn / MB).toFixed(1)} MB in ${files.length} files; ${rounds} interleaved rounds; 1-minute load average at the end ${(await import("node:os")).loadavg()[0]!.toFixed(2)}.`,
  "",
  "| run | median s | min–max s | median MB/s | CPU s (median) | stored MB | size ratio | vs restic, same round: median (min–max) |",
  "|---|---:|---:|---:|---:|---:|---:|---:|",
];
for (const v of variants) {
  const mine = runs.filter((r) => r.variant === v.name);
  const secs = mine.map((r) => r.seconds);
  const ratios = mine.map((r) => runs.find((x) => x.round === r.round && x.variant === resticName)!.seconds / r.seconds);
  const stored = mine[0]!.stored;
  lines.push(`| ${v.name} | ${median(secs).toFixed(2)} | ${Math.min(...secs).toFixed(2)}–${Math.max(...secs).toFixed(2)} | ${(bytesIn / MB / median(secs)).toFixed(1)} | ${median(mine.map((r) => r.cpuSeconds)).toFixed(2)} | ${(stored / MB).toFixed(1)} | ${(bytesIn / stored).toFixed(2)} | ${v.name === resticName ? "1.00×" : `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`} |`);
}
lines.push("", "\"vs restic\" = restic's time / this run's time in the same round: > 1 means faster than restic. Encrypted (+enc) runs include deriving the key (PBKDF2, 600,000 iterations); restic's include opening its repository (scrypt).");
const md = lines.join("\n");
console.log(md);
if (flags.has("out")) writeFileSync(flags.get("out")!, JSON.stringify({ bytesIn, rounds, runs, markdown: md }, null, 2));
