/**
 * Fuzzing the readers of untrusted bytes, seeded and on a fixed budget: mutated encryption
 * containers (bit flips, truncations, insertions, header field edits, segment shuffles) into
 * the streaming and the random-access decryptors; mutated ZIP volumes into ZipReader, plain
 * and under encryption. Only CofreErrors with the documented codes may come out — never
 * another exception, never a hang (each case has a deadline), never a read beyond the
 * declared bounds — and a container may decrypt only if it is byte for byte the original.
 * Plus targeted cases: zip slip (UNSAFE_PATH) and zip bombs (declared and real ratios).
 *
 * A failing case prints its seed, number and mutation; FUZZ_SEED=<n> replays a run
 * (FUZZ_BUDGET_MS, default 1500 per target, and FUZZ_MAX_CASES bound it).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CofreError } from "@cofre/shared/errors.ts";
import { concatBytes } from "@cofre/shared/format/bytes.ts";
import {
  createBackupKey, decryptingRandomAccess, decryptStream, encrypt, HEADER_LENGTH, KeyCache, type BackupKey,
} from "@cofre/shared/format/crypto/mod.ts";
import { ZipWriter } from "@cofre/shared/format/zip/writer.ts";
import { ZipReader, type RandomAccess } from "@cofre/shared/format/zip/reader.ts";
import { chunkedStream, prng, randomInt, runThrough, within } from "../vectors/support.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
/** Wall-clock budget per fuzz target; the cases come from the seed, so a run is replayable. */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 1500);
const MAX_CASES = Number(process.env.FUZZ_MAX_CASES ?? 100_000);
/**
 * Another case? Until the budget is spent — but never fewer than `min` cases: on a loaded
 * machine the budget alone once gave 21 container cases, too few for the fuzz's reach.
 */
const more = (cases: number, started: number, min: number) =>
  cases < MAX_CASES && (cases < min || Date.now() - started < BUDGET_MS);
const CASE_DEADLINE_MS = 3000;
const PASS = "fuzz: senha";

const CONTAINER_CODES = new Set(["CORRUPT_ARCHIVE", "UNSUPPORTED_VERSION", "TRUNCATED", "INTEGRITY_MISMATCH", "WRONG_PASSPHRASE"]);
const ZIP_CODES = new Set(["CORRUPT_ARCHIVE", "TRUNCATED", "INTEGRITY_MISMATCH", "UNSAFE_PATH"]);
const ENCRYPTED_ZIP_CODES = new Set([...CONTAINER_CODES, ...ZIP_CODES]);

/** Largest single read a reader may ask of its source in these tests. */
const ZIP_LIMITS = { maxDirectoryBytes: 1024 * 1024, maxRatio: 1100 };
const ZIP_MAX_READ = ZIP_LIMITS.maxDirectoryBytes + 22 + 65_535 + 20;

type Rand = () => number;

/**
 * Random access over bytes that, unlike a destination, treats a read outside the bytes as a
 * bug in the caller (a plain Error, which fails the fuzz) unless `outOfRange` says TRUNCATED.
 */
function strictAccess(bytes: Uint8Array, chunk: number, outOfRange: "bug" | "truncated", maxRead: number): RandomAccess {
  const check = (offset: number, length: number) => {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new Error(`reader asked for a nonsensical range ${offset}+${length}`);
    }
    if (length > maxRead) throw new Error(`reader asked for ${length} bytes at once (bound ${maxRead})`);
    if (offset + length > bytes.length) {
      if (outOfRange === "bug") throw new Error(`reader read past the end: ${offset}+${length} > ${bytes.length}`);
      throw new CofreError("TRUNCATED", { "pt-BR": "curto", en: "short" }, { details: { offset, length } });
    }
  };
  return {
    size: bytes.length,
    async read(offset, length) {
      check(offset, length);
      return bytes.slice(offset, offset + length);
    },
    async *stream(offset, length) {
      check(offset, length);
      for (let o = offset; o < offset + length; o += chunk) yield bytes.slice(o, Math.min(o + chunk, offset + length));
    },
  };
}

function expectAllowed(e: unknown, allowed: Set<string>, what: string) {
  if (!(e instanceof CofreError) || !allowed.has(e.code)) {
    const desc = e instanceof CofreError ? `CofreError ${e.code}` : e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e);
    expect.fail(`${what}: unexpected ${desc}`);
  }
}

// ---- mutations ------------------------------------------------------------------------------

interface Mutant {
  bytes: Uint8Array;
  how: string;
}

function flipBits(rand: Rand, b: Uint8Array, from = 0, to = b.length): Mutant {
  const c = b.slice();
  const n = randomInt(rand, 1, 4);
  const at: number[] = [];
  for (let i = 0; i < n && to > from; i++) {
    const o = randomInt(rand, from, to - 1);
    c[o]! ^= 1 << randomInt(rand, 0, 7);
    at.push(o);
  }
  return { bytes: c, how: `flip bits at ${at.join(",")}` };
}

function randomBytes(rand: Rand, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = randomInt(rand, 0, 255);
  return b;
}

function generic(rand: Rand, b: Uint8Array): Mutant {
  switch (randomInt(rand, 0, 5)) {
    case 0:
      return flipBits(rand, b);
    case 1: {
      const n = randomInt(rand, 0, Math.max(0, b.length - 1));
      return { bytes: b.slice(0, n), how: `truncate to ${n}` };
    }
    case 2: {
      const at = randomInt(rand, 0, b.length);
      const ins = randomBytes(rand, randomInt(rand, 1, 64));
      return { bytes: concatBytes([b.subarray(0, at), ins, b.subarray(at)]), how: `insert ${ins.length} at ${at}` };
    }
    case 3: {
      const at = randomInt(rand, 0, Math.max(0, b.length - 1));
      const n = randomInt(rand, 1, 100);
      return { bytes: concatBytes([b.subarray(0, at), b.subarray(at + n)]), how: `delete ${n} at ${at}` };
    }
    case 4: {
      const extra = randomBytes(rand, randomInt(rand, 1, 2000));
      return { bytes: concatBytes([b, extra]), how: `append ${extra.length}` };
    }
    default: {
      const at = randomInt(rand, 0, Math.max(0, b.length - 4));
      const c = b.slice();
      new DataView(c.buffer).setUint32(at, [0, 0xffffffff, 0x7fffffff, randomInt(rand, 0, 0xffffffff)][randomInt(rand, 0, 3)]!, true);
      return { bytes: c, how: `overwrite u32 at ${at}` };
    }
  }
}

const U32_EDGE = [0, 1, 1023, 1024, 1025, 99_999, 100_000, 150_000, 10_000_000, 10_000_001, 16 * 1024 * 1024, 16 * 1024 * 1024 + 1, 0x7fffffff, 0xffffffff];

function containerMutant(rand: Rand, b: Uint8Array, segment: number): Mutant {
  const S = segment + 16;
  const pieces: Uint8Array[] = [];
  for (let o = HEADER_LENGTH; o < b.length; o += S) pieces.push(b.subarray(o, Math.min(o + S, b.length)));
  const header = b.subarray(0, HEADER_LENGTH);
  switch (randomInt(rand, 0, 7)) {
    case 0:
    case 1:
      return generic(rand, b);
    case 2:
      return { ...flipBits(rand, b, 0, HEADER_LENGTH), how: "header " + flipBits(rand, b, 0, HEADER_LENGTH).how };
    case 3: {
      // A header field set to an edge or random value.
      const c = b.slice();
      const view = new DataView(c.buffer);
      const field = randomInt(rand, 0, 3);
      const v = rand() < 0.7 ? U32_EDGE[randomInt(rand, 0, U32_EDGE.length - 1)]! : randomInt(rand, 0, 0xffffffff);
      if (field === 0) view.setUint32(20, v, false);
      else if (field === 1) view.setUint32(132, v, false);
      else if (field === 2) c[19] = v & 0xff;
      else c[randomInt(rand, 16, 18)] = randomInt(rand, 0, 255);
      return { bytes: c, how: `header field ${["iterations", "segment size", "kdf", "version"][field]} = ${v}` };
    }
    case 4: {
      if (pieces.length < 2) return generic(rand, b);
      const i = randomInt(rand, 0, pieces.length - 1);
      const j = randomInt(rand, 0, pieces.length - 1);
      const p = pieces.slice();
      [p[i], p[j]] = [p[j]!, p[i]!];
      return { bytes: concatBytes([header, ...p]), how: `swap pieces ${i} ${j}` };
    }
    case 5: {
      if (pieces.length === 0) return generic(rand, b);
      const i = randomInt(rand, 0, pieces.length - 1);
      const p = pieces.slice();
      if (rand() < 0.5) p.splice(i, 0, pieces[i]!);
      else p.splice(i, 1);
      return { bytes: concatBytes([header, ...p]), how: `duplicate or drop piece ${i}` };
    }
    case 6: {
      const cut = HEADER_LENGTH + randomInt(rand, 0, Math.max(0, pieces.length - 1)) * S + [0, 1, 15, 16, 17, S - 1][randomInt(rand, 0, 5)]!;
      return { bytes: b.slice(0, Math.min(cut, b.length)), how: `truncate near a boundary at ${cut}` };
    }
    default:
      return flipBits(rand, b, HEADER_LENGTH, b.length);
  }
}

// ---- containers ---------------------------------------------------------------------------

describe("fuzz: encryption container", () => {
  let key: BackupKey;
  const bases: { plain: Uint8Array; sealed: Uint8Array; segment: number }[] = [];
  beforeAll(async () => {
    key = await createBackupKey(PASS, { iterations: 100_000 });
    for (const [size, segment] of [[0, 1024], [500, 1024], [2600, 1024], [2048, 1024], [5000, 2000]] as const) {
      const plain = randomBytes(prng(size), size);
      bases.push({ plain, sealed: await encrypt(key, plain, { segmentSize: segment }), segment });
    }
  });

  it("streaming and random-access decryptors: documented errors only, success only for the original", async () => {
    const rand = prng(SEED);
    // In-range iteration edits would each cost a PBKDF2: cap them for the fuzz (the real cap is tested elsewhere).
    const cache = new KeyCache();
    const opts = { cache, maxIterations: 200_000 };
    const started = Date.now();
    let cases = 0;
    const seen = new Map<string, number>();
    while (more(cases, started, 100)) {
      const base = bases[randomInt(rand, 0, bases.length - 1)]!;
      const m = containerMutant(rand, base.sealed, base.segment);
      const same = m.bytes.length === base.sealed.length && m.bytes.every((x, i) => x === base.sealed[i]);
      const what = `case ${cases} (seed ${SEED}): ${m.how}`;
      const unlock = rand() < 0.7 ? PASS : key;
      const chunks = prng(cases);

      const streamed = await within(CASE_DEADLINE_MS, what, runThrough(
        chunkedStream(m.bytes, () => randomInt(chunks, 1, 3000)),
        decryptStream(unlock, opts),
      ));
      if (streamed.error === undefined) {
        expect(same, `${what}: a mutated container decrypted`).toBe(true);
        expect(streamed.output).toEqual(base.plain);
      } else {
        expectAllowed(streamed.error, CONTAINER_CODES, `${what} (stream)`);
        seen.set((streamed.error as CofreError).code, (seen.get((streamed.error as CofreError).code) ?? 0) + 1);
      }

      let raError: unknown;
      try {
        await within(CASE_DEADLINE_MS, what, (async () => {
          const ra = await decryptingRandomAccess(strictAccess(m.bytes, 777, "bug", 8 * 1024 * 1024 + 64 * 1024), unlock, opts);
          const all = await ra.read(0, ra.size);
          expect(same, `${what}: a mutated container decrypted (random access)`).toBe(true);
          expect(all).toEqual(base.plain);
        })());
      } catch (e) {
        raError = e;
      }
      if (raError !== undefined) {
        expectAllowed(raError, CONTAINER_CODES, `${what} (random access)`);
        // Same input, same verdict: both readers decide by docs/format-encryption.md §5.
        if (streamed.error instanceof CofreError && raError instanceof CofreError) {
          expect(raError.code, what).toBe(streamed.error.code);
        }
      } else {
        expect(streamed.error, `${what}: random access accepted what the stream refused`).toBeUndefined();
      }
      cases++;
    }
    console.log(`container fuzz: ${cases} cases`, Object.fromEntries(seen));
    expect(cases).toBeGreaterThanOrEqual(100);
    for (const code of ["TRUNCATED", "INTEGRITY_MISMATCH", "CORRUPT_ARCHIVE", "UNSUPPORTED_VERSION", "WRONG_PASSPHRASE"]) {
      expect(seen.get(code) ?? 0, `no mutation produced ${code}: the fuzz lost its reach`).toBeGreaterThan(0);
    }
  });
});

// ---- ZIP volumes ----------------------------------------------------------------------------

async function buildZip(entries: [string, Uint8Array, "store" | "deflate"][]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const zip = new ZipWriter({ write: async (c) => void parts.push(c.slice()) });
  for (const [name, data, method] of entries) await zip.addEntry(name, data, { method, modified: new Date("2026-11-25T02:00:00Z") });
  await zip.finish();
  return concatBytes(parts);
}

const csv = new TextEncoder().encode("id,nome,cidade\n" + Array.from({ length: 120 }, (_, i) => `${i},Paciente ${i} — São José,Curitiba\n`).join(""));

async function baseZip(): Promise<Uint8Array> {
  return buildZip([
    ["schema/schema.json", new TextEncoder().encode('{"tables":["pacientes"]}'), "deflate"],
    ["data/public/pacientes/part-00001.csv", csv, "deflate"],
    ["raios-x/img.bin", randomBytes(prng(5), 1500), "store"],
    ["vazio.txt", new Uint8Array(0), "deflate"],
  ]);
}

/** Where the ZIP's records are, to aim field edits at them. */
function zipLandmarks(b: Uint8Array): number[] {
  const marks: number[] = [];
  for (let i = 0; i + 4 <= b.length; i++) {
    if (b[i] === 0x50 && b[i + 1] === 0x4b && (b[i + 2] === 1 || b[i + 2] === 3 || b[i + 2] === 5 || b[i + 2] === 7)) marks.push(i);
  }
  return marks;
}

function zipMutant(rand: Rand, b: Uint8Array, marks: number[]): Mutant {
  if (rand() < 0.5) return generic(rand, b);
  // Edit a field of a local header, central record or end record.
  const at = marks[randomInt(rand, 0, marks.length - 1)]! + randomInt(rand, 4, 45);
  const c = b.slice();
  const view = new DataView(c.buffer);
  if (at + 4 > c.length) return generic(rand, b);
  const wide = rand() < 0.5;
  const v = rand() < 0.6 ? [0, 1, 0xffff, 0xffffffff, 0x7fffffff, b.length, b.length + 1][randomInt(rand, 0, 6)]! : randomInt(rand, 0, 0xffffffff);
  if (wide) view.setUint32(at, v >>> 0, true);
  else view.setUint16(at, v & 0xffff, true);
  return { bytes: c, how: `zip field at ${at} (${wide ? "u32" : "u16"}) = ${v}` };
}

async function readWholeZip(source: RandomAccess): Promise<void> {
  const reader = await ZipReader.open(source, ZIP_LIMITS);
  for (const entry of reader.entries) {
    let produced = 0;
    for await (const chunk of reader.read(entry)) {
      produced += chunk.length;
      if (produced > entry.size) throw new Error(`entry ${entry.name} yielded ${produced} bytes, declared ${entry.size}`);
    }
  }
}

describe("fuzz: ZIP reader", () => {
  it("mutated volumes: documented errors only, reads within the directory cap, no hangs", async () => {
    const base = await baseZip();
    const marks = zipLandmarks(base);
    const rand = prng(SEED + 1);
    const started = Date.now();
    let cases = 0;
    while (more(cases, started, 200)) {
      const m = zipMutant(rand, base, marks);
      const what = `case ${cases} (seed ${SEED + 1}): ${m.how}`;
      try {
        await within(CASE_DEADLINE_MS, what, readWholeZip(strictAccess(m.bytes, 1000, "truncated", ZIP_MAX_READ)));
      } catch (e) {
        expectAllowed(e, ZIP_CODES, what);
      }
      cases++;
    }
    console.log(`zip fuzz: ${cases} cases`);
    expect(cases).toBeGreaterThanOrEqual(200);
  });

  it("mutated encrypted volumes through decryptingRandomAccess: documented errors only", async () => {
    const key = await createBackupKey(PASS, { iterations: 100_000 });
    const zip = await baseZip();
    const sealed = await encrypt(key, zip, { segmentSize: 1024 });
    const rand = prng(SEED + 2);
    const started = Date.now();
    let cases = 0;
    while (more(cases, started, 50)) {
      const m = rand() < 0.5 ? containerMutant(rand, sealed, 1024) : generic(rand, sealed);
      const what = `case ${cases} (seed ${SEED + 2}): ${m.how}`;
      try {
        await within(CASE_DEADLINE_MS, what, (async () => {
          const plain = await decryptingRandomAccess(strictAccess(m.bytes, 1000, "bug", 8 * 1024 * 1024 + 64 * 1024), key);
          await readWholeZip(plain);
        })());
      } catch (e) {
        expectAllowed(e, ENCRYPTED_ZIP_CODES, what);
      }
      cases++;
    }
    console.log(`encrypted zip fuzz: ${cases} cases`);
    expect(cases).toBeGreaterThanOrEqual(50);
  });
});

// ---- targeted: zip slip and zip bombs -------------------------------------------------------

/** Replaces every occurrence of `from` (same length) in the archive bytes: local and central names. */
function renameInPlace(zip: Uint8Array, from: string, to: string): Uint8Array {
  const a = new TextEncoder().encode(from);
  const b = new TextEncoder().encode(to);
  if (a.length !== b.length) throw new Error("names must have the same length");
  const c = zip.slice();
  let hits = 0;
  for (let i = 0; i + a.length <= c.length; i++) {
    if (a.every((x, j) => c[i + j] === x)) {
      c.set(b, i);
      hits++;
    }
  }
  if (hits !== 2) throw new Error(`expected the name twice (local + central), found ${hits}`);
  return c;
}

async function openError(bytes: Uint8Array): Promise<unknown> {
  try {
    await readWholeZip(strictAccess(bytes, 1000, "truncated", ZIP_MAX_READ));
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("ZIP reader: hostile archives", () => {
  it.each([
    ["aa/x.csv", "../x.csv"],
    ["etc/passwd1", "/etc/passwd"],
    ["CC/Windows/x", "C:/Windows/x"],
    ["a_b.csv", "a\\b.csv"],
    ["dados/aa/bb/x", "dados/../../x"],
    ["dados/a/x", "dados/./x"],
    ["dadosX/x", "dados//x"],
  ])("refuses an entry named %s → %s with UNSAFE_PATH (zip slip)", async (safe, unsafe) => {
    const zip = await buildZip([["ok.txt", new Uint8Array([1, 2, 3]), "store"], [safe, csv, "deflate"]]);
    const e = await openError(renameInPlace(zip, safe, unsafe));
    expect(e).toBeInstanceOf(CofreError);
    expect((e as CofreError).code).toBe("UNSAFE_PATH");
    // The writer refuses the same names.
    await expect(buildZip([[unsafe, csv, "deflate"]])).rejects.toMatchObject({ code: "UNSAFE_PATH" });
  });

  it("refuses an entry declaring a ratio beyond the limit before inflating anything (zip bomb)", async () => {
    const zip = await buildZip([["bomba.csv", csv, "deflate"]]);
    const c = zip.slice();
    const view = new DataView(c.buffer);
    const cd = zipLandmarks(c).find((o) => c[o + 2] === 1 && c[o + 3] === 2)!;
    view.setUint32(cd + 24, 0x7fffffff, true); // uncompressed size in the central record
    const e = await openError(c);
    expect((e as CofreError).code).toBe("CORRUPT_ARCHIVE");
    expect((e as CofreError).details.reason).toMatch(/ratio/);
  });

  it("stops an entry that inflates past its declared size, yielding no more than declared (zip bomb)", async () => {
    const zeros = new Uint8Array(4 * 1024 * 1024);
    const zip = await buildZip([["zeros.bin", zeros, "deflate"]]);
    const c = zip.slice();
    const view = new DataView(c.buffer);
    const cd = zipLandmarks(c).find((o) => c[o + 2] === 1 && c[o + 3] === 2)!;
    const declared = 1000;
    view.setUint32(cd + 24, declared, true);
    const reader = await ZipReader.open(strictAccess(c, 1000, "truncated", ZIP_MAX_READ), ZIP_LIMITS);
    let produced = 0;
    let error: unknown;
    try {
      for await (const chunk of reader.read(reader.entries[0]!)) produced += chunk.length;
    } catch (e) {
      error = e;
    }
    expect((error as CofreError).code).toBe("INTEGRITY_MISMATCH");
    expect(produced).toBeLessThanOrEqual(declared);
  });

  it("refuses a central directory larger than the cap without reading it", async () => {
    const zip = await baseZip();
    const c = zip.slice();
    const view = new DataView(c.buffer);
    const eocd = c.length - 22;
    view.setUint32(eocd + 12, 64 * 1024 * 1024, true); // directory size
    const reads: number[] = [];
    const source = strictAccess(c, 1000, "truncated", ZIP_MAX_READ);
    const counting: RandomAccess = { ...source, read: (o, l) => (reads.push(l), source.read(o, l)) };
    await expect(ZipReader.open(counting, ZIP_LIMITS)).rejects.toMatchObject({ code: "CORRUPT_ARCHIVE" });
    expect(Math.max(...reads)).toBeLessThanOrEqual(22 + 65_535 + 20);
  });
});

describe("ZIP reader: ZIP64 fields beyond 2^53", () => {
  /** An empty archive whose ZIP64 end record (found through a valid locator) declares 2^60 entries. */
  function zip64Beyond2p53(locatorOffset: bigint): Uint8Array {
    const eocd64 = new Uint8Array(56);
    const v64 = new DataView(eocd64.buffer);
    v64.setUint32(0, 0x06064b50, true);
    v64.setBigUint64(4, 44n, true);
    v64.setBigUint64(24, 1n << 60n, true);
    v64.setBigUint64(32, 1n << 60n, true);
    const loc = new Uint8Array(20);
    const vl = new DataView(loc.buffer);
    vl.setUint32(0, 0x07064b50, true);
    vl.setBigUint64(8, locatorOffset, true);
    vl.setUint32(16, 1, true);
    const eocd = new Uint8Array(22);
    const ve = new DataView(eocd.buffer);
    ve.setUint32(0, 0x06054b50, true);
    ve.setUint16(8, 0xffff, true);
    ve.setUint16(10, 0xffff, true);
    ve.setUint32(12, 0xffffffff, true);
    ve.setUint32(16, 0xffffffff, true);
    return concatBytes([eocd64, loc, eocd]);
  }

  // ByteReader.u64 throws a RangeError for such values; the reader must turn it into CORRUPT_ARCHIVE.
  it("an end record with counts beyond 2^53 → CORRUPT_ARCHIVE", async () => {
    const e = await openError(zip64Beyond2p53(0n));
    expectAllowed(e, ZIP_CODES, "zip64 count beyond 2^53");
    expect((e as CofreError).code).toBe("CORRUPT_ARCHIVE");
  });
  it("a locator pointing beyond 2^53 → CORRUPT_ARCHIVE", async () => {
    const e = await openError(zip64Beyond2p53(1n << 62n));
    expectAllowed(e, ZIP_CODES, "zip64 locator beyond 2^53");
    expect((e as CofreError).code).toBe("CORRUPT_ARCHIVE");
  });
});
