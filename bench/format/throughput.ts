/**
 * Throughput of each stage of the backup format and of the whole pipeline, next to the
 * machine's own limits (node:zlib, node:crypto) measured in the same process. Runs unchanged
 * on Node and on Deno; `main.ts` starts it once per runtime and prints the table.
 *
 *   node --import tsx bench/format/throughput.ts --text DIR --random DIR [--mixed DIR] --out results.json
 *   deno run -A --config supabase/functions/tests/deno.json bench/format/throughput.ts …same flags…
 *
 * Flags: --reps N (fastest of N, default 3), --workers (Node: also the 2-worker-thread run on
 * --mixed), --scratch DIR (where --mixed volumes are written).
 */
import process from "node:process";
import zlib from "node:zlib";
import nodeCrypto from "node:crypto";
import { writeFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { createDeflater, defaultDeflateEngine, type DeflateEngineName, type DeflaterOptions } from "../../packages/shared/src/format/zip/deflate.ts";
import { Crc32 } from "../../packages/shared/src/format/crc32.ts";
import { streamChunks } from "../../packages/shared/src/format/streams.ts";
import { StoredObjectHasher } from "../../packages/shared/src/format/checksum.ts";
import { ZipWriter, type EntryOptions } from "../../packages/shared/src/format/zip/writer.ts";
import {
  chunks, corpusChunks, listFiles, loadCorpus, log, mbps, measure, parseFlags, runtime, type Corpus, type Result,
} from "./lib.ts";
import { fileEntries, loadCrypto, writeVolume, type PipelineEntry, type PipelineOptions } from "./pipeline.ts";

const flags = parseFlags(process.argv.slice(2));
const reps = Number(flags.get("reps") ?? 3);
/** --only limit,stage,zip,overlap,pipeline: measure these groups only (development aid). */
const only = flags.has("only") ? new Set(flags.get("only")!.split(",")) : null;
const rt = runtime();
const results: Result[] = [];

function record(r: Result) {
  results.push(r);
  const ratio = r.bytesOut > 0 ? (r.bytesIn / r.bytesOut).toFixed(2) : "";
  log(`  [${rt.name}] ${r.corpus.padEnd(6)} ${r.group.padEnd(8)} ${r.name.padEnd(44)} ${mbps(r).toFixed(1).padStart(8)} MB/s  cpu ${r.cpuSeconds.toFixed(2)} s  ratio ${ratio}`);
}

// ---------------------------------------------------------------- machine limits (node:*)

async function zlibStream(c: Corpus, level: number, gzip = false): Promise<number> {
  let out = 0;
  for (const f of c.files) {
    const d = gzip ? zlib.createGzip({ level }) : zlib.createDeflateRaw({ level });
    d.on("data", (b: Uint8Array) => (out += b.length));
    const ended = new Promise<void>((res, rej) => {
      d.on("end", res);
      d.on("error", rej);
    });
    for (const ch of chunks(f.data)) {
      if (!d.write(ch)) await new Promise<void>((r) => d.once("drain", r));
    }
    d.end();
    await ended;
  }
  return out;
}

function nodeAesGcm(c: Corpus): number {
  const key = nodeCrypto.randomBytes(32);
  let out = 0;
  for (const f of c.files) {
    const cipher = nodeCrypto.createCipheriv("aes-256-gcm", key, nodeCrypto.randomBytes(12));
    for (const ch of chunks(f.data)) out += cipher.update(ch).length;
    out += cipher.final().length + cipher.getAuthTag().length;
  }
  return out;
}

function nodeHash(c: Corpus, algo: string): number {
  for (const f of c.files) {
    const h = nodeCrypto.createHash(algo);
    for (const ch of chunks(f.data)) h.update(ch);
    h.digest();
  }
  return 0;
}

// ---------------------------------------------------------------- Cofre's stages

async function cofreDeflate(c: Corpus, level: number, engine: DeflateEngineName | DeflaterOptions): Promise<number> {
  let out = 0;
  for (const f of c.files) {
    const d = createDeflater(level, engine);
    for (const ch of chunks(f.data)) for (const o of await d.push(ch)) out += o.length;
    for (const o of await d.finish()) out += o.length;
  }
  return out;
}

async function compressionStream(c: Corpus): Promise<number> {
  let out = 0;
  for (const f of c.files) {
    const cs = new CompressionStream("deflate-raw" as CompressionFormat);
    const w = cs.writable.getWriter();
    const reading = (async () => {
      for await (const value of streamChunks(cs.readable)) out += value.length;
    })();
    for (const ch of chunks(f.data)) {
      await w.ready;
      w.write(ch as Uint8Array<ArrayBuffer>).catch(() => {});
    }
    await w.close();
    await reading;
  }
  return out;
}

function crc(c: Corpus): number {
  for (const f of c.files) {
    const k = new Crc32();
    for (const ch of chunks(f.data)) k.update(ch);
    k.digest();
  }
  return 0;
}

function storedHasher(c: Corpus): number {
  for (const f of c.files) {
    const h = new StoredObjectHasher();
    for (const ch of chunks(f.data)) h.update(ch);
    h.digest();
  }
  return 0;
}

/** Web Crypto AES-256-GCM, one `encrypt` per segment, one after the other (as a stream does). */
async function webCryptoGcm(c: Corpus, segment: number): Promise<number> {
  const key = await crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), "AES-GCM", false, ["encrypt"]);
  const iv = new Uint8Array(12);
  const view = new DataView(iv.buffer);
  let n = 0;
  let out = 0;
  for (const f of c.files) {
    for (const seg of chunks(f.data, segment)) {
      view.setUint32(8, n++);
      out += (await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, seg as Uint8Array<ArrayBuffer>)).byteLength;
    }
  }
  return out;
}

async function cryptoModEncrypt(c: Corpus, key: unknown, segmentSize: number): Promise<number> {
  const m = (await loadCrypto())!;
  const t = m.encryptStream(key, { segmentSize });
  const w = t.writable.getWriter();
  let out = 0;
  const reading = (async () => {
    for await (const value of streamChunks(t.readable)) out += value.length;
  })();
  for (const ch of corpusChunks(c)) {
    await w.ready;
    w.write(ch).catch(() => {});
  }
  await w.close();
  await reading;
  return out;
}

async function zipCounting(c: Corpus, opts: EntryOptions): Promise<number> {
  let out = 0;
  const zip = new ZipWriter({ write: async (b) => void (out += b.length) });
  for (const f of c.files) {
    const w = await zip.openEntry(f.name, opts);
    for (const ch of chunks(f.data)) await w.write(ch);
    await w.close();
  }
  await zip.finish();
  return out;
}

/**
 * The pipeline's CPU work without ZipWriter's structure: CRC-32 + SHA-256 of the plaintext on
 * the JS thread, node:zlib deflate, SHA-256 + MD5 of the compressed output. `inFlight` 0 waits
 * for "drain" whenever `write` returns false, as deflate.ts does (a 256 KiB chunk is past
 * zlib's 16 KiB high-water mark, so that is every chunk: hashing and compressing take turns);
 * otherwise up to `inFlight` bytes are queued before waiting, so both cores work at once.
 */
async function overlapExperiment(c: Corpus, level: number, inFlight: number): Promise<number> {
  let out = 0;
  for (const f of c.files) {
    const crcK = new Crc32();
    const sha = nodeCrypto.createHash("sha256");
    const stored = new StoredObjectHasher();
    const d = zlib.createDeflateRaw({ level });
    d.on("data", (b: Uint8Array) => {
      stored.update(b);
      out += b.length;
    });
    const ended = new Promise<void>((res, rej) => {
      d.on("end", res);
      d.on("error", rej);
    });
    for (const ch of chunks(f.data)) {
      crcK.update(ch);
      sha.update(ch);
      const ok = d.write(ch);
      if (inFlight === 0 ? !ok : d.writableLength > inFlight) await new Promise<void>((r) => d.once("drain", r));
    }
    d.end();
    await ended;
    crcK.digest();
    sha.digest();
    stored.digest();
  }
  return out;
}

type Crc32Fn = (data: Uint8Array, value?: number) => number;
/** zlib.crc32: Node ≥ 20.15 and Deno 2 have it (crc32.ts predates it). */
const nativeCrc32 = (zlib as unknown as { crc32?: Crc32Fn }).crc32 ?? null;

function nativeCrc(c: Corpus): number {
  for (const f of c.files) {
    let v = 0;
    for (const ch of chunks(f.data)) v = nativeCrc32!(ch, v);
  }
  return 0;
}

/**
 * What-if runs: the same pipeline with Crc32 computed by zlib.crc32 and/or StoredObjectHasher
 * without MD5, by patching the two classes' prototypes for the duration of `fn` (the ZIP
 * writer and the pipeline are otherwise unchanged). Shows what those changes would buy.
 */
async function withPatches<T>(p: { nativeCrc?: boolean; noMd5?: boolean }, fn: () => Promise<T>): Promise<T> {
  const crcProto = Crc32.prototype as unknown as Record<string, unknown>;
  const hProto = StoredObjectHasher.prototype as unknown as Record<string, unknown>;
  const saved = { cu: crcProto.update, cd: crcProto.digest, hu: hProto.update, hd: hProto.digest };
  if (p.nativeCrc && nativeCrc32) {
    const state = new WeakMap<object, number>();
    crcProto.update = function (this: object, data: Uint8Array) {
      state.set(this, nativeCrc32(data, state.get(this) ?? 0));
      return this;
    };
    crcProto.digest = function (this: object) {
      return state.get(this) ?? 0;
    };
  }
  if (p.noMd5) {
    const state = new WeakMap<object, { h: ReturnType<typeof nodeCrypto.createHash>; n: number }>();
    const get = (o: object) => state.get(o) ?? (state.set(o, { h: nodeCrypto.createHash("sha256"), n: 0 }), state.get(o)!);
    hProto.update = function (this: object, chunk: Uint8Array) {
      const st = get(this);
      st.h.update(chunk);
      st.n += chunk.length;
    };
    hProto.digest = function (this: object) {
      const st = get(this);
      return { sha256: st.h.digest("hex"), md5: "", size: st.n };
    };
  }
  try {
    return await fn();
  } finally {
    crcProto.update = saved.cu;
    crcProto.digest = saved.cd;
    hProto.update = saved.hu;
    hProto.digest = saved.hd;
  }
}

const memEntries = (c: Corpus): PipelineEntry[] => c.files.map((f) => ({ name: f.name, chunks: () => chunks(f.data) }));

// ---------------------------------------------------------------- runs

const SEGMENT = 64 * 1024;
const ITERATIONS = 600_000;

async function benchCorpus(c: Corpus, kind: "text" | "random") {
  const m = async (group: string, name: string, fn: () => Promise<number> | number, note?: string) => {
    if (!only || only.has(group)) record(await measure({ group, corpus: c.name, name, bytesIn: c.bytes, reps, note }, fn));
  };
  const text = kind === "text";
  log(`[${rt.name}] corpus ${c.name}: ${c.files.length} files, ${(c.bytes / 1e6).toFixed(1)} MB`);

  // Machine limits.
  await m("limit", "node:zlib deflateRaw L1", () => zlibStream(c, 1));
  if (text) await m("limit", "node:zlib deflateRaw L2", () => zlibStream(c, 2));
  await m("limit", "node:zlib deflateRaw L6", () => zlibStream(c, 6));
  await m("limit", "node:crypto AES-256-GCM", () => nodeAesGcm(c));
  await m("limit", "node:crypto SHA-256", () => nodeHash(c, "sha256"));
  await m("limit", "node:crypto MD5", () => nodeHash(c, "md5"));
  if (nativeCrc32) await m("limit", "node:zlib crc32 (native)", () => nativeCrc(c));

  // Stages.
  await m("stage", "createDeflater L1 zlib", () => cofreDeflate(c, 1, "zlib"));
  if (text) await m("stage", "createDeflater L2 zlib", () => cofreDeflate(c, 2, "zlib"));
  if (text) await m("stage", "createDeflater L6 zlib", () => cofreDeflate(c, 6, "zlib"));
  for (const level of text ? [1, 2, 6] : [1]) {
    await m("stage", `createDeflater L${level} zlib-blocks, 1 thread`, () => cofreDeflate(c, level, { engine: "zlib-blocks", threads: 1 }));
    await m("stage", `createDeflater L${level} zlib-blocks, 2 threads`, () => cofreDeflate(c, level, { engine: "zlib-blocks", threads: 2 }));
  }
  await m("stage", "createDeflater L1 fflate", () => cofreDeflate(c, 1, "fflate"));
  if (text) await m("stage", "createDeflater L6 fflate", () => cofreDeflate(c, 6, "fflate"));
  if (text && typeof CompressionStream === "function") {
    await m("stage", "CompressionStream deflate-raw (L6)", () => compressionStream(c));
  }
  await m("stage", "Crc32", () => crc(c));
  await m("stage", "StoredObjectHasher (SHA-256+MD5)", () => storedHasher(c));
  await m("stage", "Web Crypto AES-GCM 64 KiB segments", () => webCryptoGcm(c, 64 * 1024));
  await m("stage", "Web Crypto AES-GCM 1 MiB segments", () => webCryptoGcm(c, 1024 * 1024));
  const cm = await loadCrypto();
  let key: unknown = null;
  if (cm) {
    const t0 = performance.now();
    key = await cm.createBackupKey("bench passphrase", { iterations: ITERATIONS });
    log(`  [${rt.name}] createBackupKey(${ITERATIONS} iterations): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    await m("stage", "crypto/mod encryptStream 64 KiB", () => cryptoModEncrypt(c, key, SEGMENT));
  }

  // The ZIP writer alone (CRC-32 + SHA-256 per entry + deflate/store), counting sink.
  await m("zip", "ZipWriter store", () => zipCounting(c, { method: "store" }));
  await m("zip", "ZipWriter deflate L1 zlib", () => zipCounting(c, { method: "deflate", level: 1, engine: "zlib" }));
  await m("zip", "ZipWriter deflate L6 zlib", () => zipCounting(c, { method: "deflate", level: 6, engine: "zlib" }));
  await m("zip", "ZipWriter deflate L6 zlib-blocks, 2 threads", () => zipCounting(c, { method: "deflate", level: 6, engine: "zlib-blocks", threads: 2 }));
  if (text) {
    await m("zip", "ZipWriter deflate L1 fflate", () => zipCounting(c, { method: "deflate", level: 1, engine: "fflate" }));
    await m("zip", "ZipWriter deflate L6 fflate", () => zipCounting(c, { method: "deflate", level: 6, engine: "fflate" }));
  }

  // Why the pipeline trails node:zlib on Node: hashing and compressing take turns.
  if (text) {
    for (const level of [1, 6]) {
      await m("overlap", `L${level}: hashes + zlib, drain per chunk (as deflate.ts)`, () => overlapExperiment(c, level, 0));
      await m("overlap", `L${level}: hashes + zlib, ≤ 1 MiB in flight`, () => overlapExperiment(c, level, 1024 * 1024));
      // gzip = the same raw deflate + a header and a trailer holding CRC-32 computed by zlib itself.
      await m("overlap", `node:zlib gzip L${level} (CRC-32 by zlib)`, () => zlibStream(c, level, true));
    }
  }

  // Whole pipeline: ZIP → [encrypt] → SHA-256+MD5 of stored bytes → counting sink.
  const pipe = async (o: PipelineOptions) => (await writeVolume(memEntries(c), o)).bytesOut;
  const modes: [string, EntryOptions][] = text
    ? [
      ...[1, 2, 6].flatMap((level): [string, EntryOptions][] => [
        [`L${level} zlib`, { method: "deflate", level, engine: "zlib" }],
        [`L${level} zlib-blocks, 1 thread`, { method: "deflate", level, engine: "zlib-blocks", threads: 1 }],
        [`L${level} zlib-blocks, 2 threads`, { method: "deflate", level, engine: "zlib-blocks", threads: 2 }],
      ]),
      ["L1 fflate", { method: "deflate", level: 1, engine: "fflate" }]]
    : [["store", { method: "store" }], ["auto (sniffed) L6", { method: "auto", level: 6 }]];
  for (const [label, entry] of modes) {
    await m("pipeline", `zip ${label} → hash`, () => pipe({ entry }));
    if (key !== null) await m("pipeline", `zip ${label} → encrypt → hash`, () => pipe({ entry, encrypt: { key, segmentSize: SEGMENT } }));
  }

  // What MD5 costs inside the pipeline (see withPatches); CRC-32 is native (crc32.ts) since 2026-11-25.
  if (!text && key !== null) {
    await m("what-if", "zip store → encrypt → hash (no MD5)", () =>
      withPatches({ noMd5: true }, () => pipe({ entry: { method: "store" }, encrypt: { key, segmentSize: SEGMENT } })));
  }
}

/**
 * Corpus (c), read from files, written to volumes on disk: what restic is compared with. As
 * restic's time includes opening its repository (scrypt), the encrypted runs include deriving
 * the key (PBKDF2, 600,000 iterations) inside the measured time.
 */
async function benchMixed(dir: string, scratch: string) {
  const files = listFiles(dir);
  const bytes = await totalSize(files);
  mkdirSync(scratch, { recursive: true });
  const cm = await loadCrypto();
  const halves = split(files);
  const base = { group: "mixed", corpus: "mixed", bytesIn: bytes, reps };
  const pool = flags.has("workers") && rt.name === "node" ? await (await import("./workers.ts")).startPool(2) : null;
  for (const level of [1, 2, 6]) {
    for (const enc of cm ? [false, true] : [false]) {
      const label = `L${level} auto${enc ? " +enc" : ""}, ${defaultDeflateEngine()}`;
      const opts = async (out: string): Promise<PipelineOptions> => ({
        entry: { method: "auto", level },
        encrypt: enc ? { key: await cm!.createBackupKey("bench passphrase", { iterations: ITERATIONS }), segmentSize: SEGMENT } : null,
        outPath: join(scratch, out),
      });
      await measure({ ...base, name: `1 volume, sequential, ${label}` }, async () =>
        (await writeVolume(fileEntries(files), await opts("v1.zip"))).bytesOut).then(record);
      await measure({ ...base, name: `2 volumes concurrently, 1 JS thread, ${label}` }, async () => {
        const o = await opts("c0.zip");
        const r = await Promise.all(halves.map((h, i) => writeVolume(fileEntries(h), { ...o, outPath: join(scratch, `c${i}.zip`) })));
        return r.reduce((n, x) => n + x.bytesOut, 0);
      }).then(record);
      if (pool) {
        await measure({ ...base, name: `2 worker threads, L${level} auto${enc ? " +enc" : ""}, zlib stream each`, note: "workers started before the clock" }, () =>
          pool.run(halves.map((h, i) => ({ files: h, level, encrypt: enc, outPath: join(scratch, `w${i}.zip`) })))).then(record);
      }
    }
  }
  await pool?.close();
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * Two lists of about the same byte count and the same mix: text files (`text-*`) and the
 * others are each dealt greedily, largest first, to the lighter list.
 */
function split(files: string[]): string[][] {
  const out: string[][] = [[], []];
  const size = (f: string) => statSync(f).size;
  for (const group of [files.filter((f) => /\/text-[^/]*$/.test(f)), files.filter((f) => !/\/text-[^/]*$/.test(f))]) {
    const load = [0, 0];
    for (const f of [...group].sort((a, b) => size(b) - size(a))) {
      const i = load[0]! <= load[1]! ? 0 : 1;
      out[i]!.push(f);
      load[i] = load[i]! + size(f);
    }
  }
  return out;
}

async function totalSize(files: string[]) {
  const { stat } = await import("node:fs/promises");
  let n = 0;
  for (const f of files) n += (await stat(f)).size;
  return n;
}

log(`throughput on ${rt.name} ${rt.version}, ${reps} rep(s), fastest kept`);
if (flags.has("text")) await benchCorpus(loadCorpus("text", flags.get("text")!), "text");
if (flags.has("random")) await benchCorpus(loadCorpus("random", flags.get("random")!), "random");
if (flags.has("mixed")) await benchMixed(flags.get("mixed")!, flags.get("scratch") ?? join(flags.get("mixed")!, "..", `volumes-${rt.name}`));

const out = { runtime: rt, cryptoModule: (await loadCrypto()) !== null, results };
if (flags.has("out")) writeFileSync(flags.get("out")!, JSON.stringify(out, null, 2));
else console.log(JSON.stringify(out));
