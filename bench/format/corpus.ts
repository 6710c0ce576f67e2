/**
 * The benchmark corpora (Node only, used by main.ts):
 *  (a) text   — the Ortho+ demo database (seed scale 1, ~50 MB of table data) exported with
 *               COPY … TO STDOUT (FORMAT csv, HEADER), one file per public table;
 *  (b) random — incompressible bytes (default 200 MB, 8 files);
 *  (c) mixed  — ~300 MB, half tabular text, half incompressible, for the restic comparison.
 *               The text half is the export of (a) three times, copies 2 and 3 with every
 *               digit rotated (0→1…, 0→2…) so restic's content-defined dedup finds nothing to
 *               share; same shape and compressibility as real rows.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { randomFillSync } from "node:crypto";
import { spawnSync } from "node:child_process";
import postgres from "postgres";
import { copyOut, listTables } from "../../packages/shared/src/sources/postgres/data.ts";
import { log } from "./lib.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Seeds `url` (an empty Supabase-shaped scratch db) with the demo at `scale`. */
export function seedDemo(url: string, scale: number): void {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts/seed/main.ts"), "--scale", String(scale), "--db", url, "--quiet"], {
    cwd: ROOT, stdio: ["ignore", "ignore", "inherit"],
  });
  if (r.status !== 0) throw new Error(`seeding ${url} failed (exit ${r.status})`);
}

/**
 * Dumps every table of schema `public` as CSV into `dir` with the engine's own COPY reader
 * (`copy (select …) to stdout (format csv, header true)`); returns the bytes written.
 */
export async function dumpCsv(url: string, dir: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  let bytes = 0;
  try {
    for (const table of await listTables(sql, ["public"])) {
      const fh = await open(join(dir, `${table.name}.csv`), "w");
      try {
        await copyOut(sql, table, { fromBlock: 0, toBlock: null }, async (chunk) => {
          bytes += chunk.length;
          await fh.write(chunk);
        });
      } finally {
        await fh.close();
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  return bytes;
}

/** `count` files of `each` random bytes named `${prefix}NN.bin`. */
export function writeRandom(dir: string, prefix: string, count: number, each: number): number {
  mkdirSync(dir, { recursive: true });
  const buf = Buffer.allocUnsafe(each);
  for (let i = 0; i < count; i++) {
    randomFillSync(buf);
    writeFileSync(join(dir, `${prefix}${String(i).padStart(2, "0")}.bin`), buf);
  }
  return count * each;
}

/** Corpus (c): `copies` digit-rotated copies of the CSV export + as many random bytes. */
export function writeMixed(textDir: string, dir: string, copies: number): number {
  mkdirSync(dir, { recursive: true });
  let textBytes = 0;
  const csvs = readdirSync(textDir).filter((f) => f.endsWith(".csv")).sort();
  for (let k = 0; k < copies; k++) {
    for (const f of csvs) {
      const data = readFileSync(join(textDir, f));
      if (k > 0) {
        for (let i = 0; i < data.length; i++) {
          const b = data[i]!;
          if (b >= 0x30 && b <= 0x39) data[i] = 0x30 + ((b - 0x30 + k) % 10);
        }
      }
      writeFileSync(join(dir, `text-${k}-${f}`), data);
      textBytes += data.length;
    }
  }
  const files = 6;
  const each = Math.ceil(textBytes / files);
  const bin = writeRandom(dir, "bin-", files, each);
  log(`  mixed corpus: ${(textBytes / 1e6).toFixed(1)} MB text + ${(bin / 1e6).toFixed(1)} MB random`);
  return textBytes + bin;
}
