/**
 * The encryption container's API: keys that never print, the per-backup key and its cache,
 * header parsing, sizes, streaming behaviour (bounded buffering, only authenticated output),
 * random access (segment-aligned reads, the final segment checked at open), and the ZIP
 * reader running on top of an encrypted volume.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { inspect } from "node:util";
import { isCofreError } from "@cofre/shared/errors.ts";
import { concatBytes } from "@cofre/shared/format/bytes.ts";
import {
  BackupKey, createBackupKey, decrypt, decryptingRandomAccess, decryptStream, DEFAULT_ITERATIONS, DEFAULT_SEGMENT_SIZE,
  encrypt, encryptedSize, encryptStream, HEADER_LENGTH, isEncryptedContainer, KeyCache, MAGIC_LINE, parseHeader,
  plaintextSizeOf, unlockBackupKey, type EncryptionHeader,
} from "@cofre/shared/format/crypto/mod.ts";
import { ZipWriter } from "@cofre/shared/format/zip/writer.ts";
import { ZipReader } from "@cofre/shared/format/zip/reader.ts";
import { streamChunks } from "@cofre/shared/format/streams.ts";
import { chunkedStream, memoryAccess, prng, runThrough } from "../vectors/support.ts";

const PASS = "senha da clínica 🦷";
const ITER = 100_000;
let key: BackupKey;

beforeAll(async () => {
  key = await createBackupKey(PASS, { iterations: ITER });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function bytes(n: number, seed = 1): Uint8Array {
  const rand = prng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

async function rejects(p: Promise<unknown>, code: string, check?: string) {
  const e = await p.then(() => null, (e: unknown) => e);
  expect(isCofreError(e), String(e)).toBe(true);
  expect((e as { code: string }).code).toBe(code);
  if (check) expect((e as { details: { check?: string } }).details.check).toBe(check);
  return e;
}

function countPbkdf2() {
  const spy = vi.spyOn(globalThis.crypto.subtle, "deriveKey");
  return () => spy.mock.calls.filter((c) => (c[0] as { name: string }).name === "PBKDF2").length;
}

describe("BackupKey", () => {
  it("never prints: toString, JSON, inspect and templates give **redacted**", () => {
    expect(String(key)).toBe("**redacted**");
    expect(`${key}`).toBe("**redacted**");
    expect(JSON.stringify({ key })).toBe('{"key":"**redacted**"}');
    expect(inspect(key)).toBe("**redacted**");
    expect(inspect({ nested: key })).toContain("**redacted**");
    expect(String(new KeyCache())).toBe("**redacted**");
  });

  it("holds what every header needs, and a default of 600,000 iterations", async () => {
    expect(DEFAULT_ITERATIONS).toBe(600_000);
    expect(key.iterations).toBe(ITER);
    expect(key.salt.length).toBe(32);
    expect(key.wrapNonce.length).toBe(12);
    expect(key.wrappedKey.length).toBe(48);
    expect(() => new (BackupKey as unknown as new (...a: unknown[]) => BackupKey)(Symbol("x"), key, null)).toThrow(TypeError);
  });

  it("refuses iteration counts outside 100,000–10,000,000 and an empty passphrase", async () => {
    await rejects(createBackupKey(PASS, { iterations: 99_999 }), "INVALID_INPUT");
    await rejects(createBackupKey(PASS, { iterations: 10_000_001 }), "INVALID_INPUT");
    await rejects(createBackupKey(PASS, { iterations: 1.5e5 + 0.5 }), "INVALID_INPUT");
    await rejects(createBackupKey("", { iterations: ITER }), "PASSPHRASE_REQUIRED");
  });

  it("gives every container the same wrap fields and its own nonce base", async () => {
    const a = parseHeader(await encrypt(key, bytes(10)));
    const b = parseHeader(await encrypt(key, bytes(10)));
    expect(a.salt).toEqual(key.salt);
    expect(a.wrappedKey).toEqual(b.wrappedKey);
    expect(a.nonceBase).not.toEqual(b.nonceBase);
    expect(key.matches(a)).toBe(true);
  });

  it("unlocks from header bytes or a parsed header; a wrong passphrase is WRONG_PASSPHRASE", async () => {
    const c = await encrypt(key, bytes(100));
    const k1 = await unlockBackupKey(c.subarray(0, HEADER_LENGTH), PASS);
    const k2 = await unlockBackupKey(parseHeader(c), PASS.normalize("NFD"));
    expect(await decrypt(c, k1)).toEqual(bytes(100));
    expect(await decrypt(c, k2)).toEqual(bytes(100));
    await rejects(unlockBackupKey(c, "senha errada"), "WRONG_PASSPHRASE");
    await rejects(decrypt(c, ""), "PASSPHRASE_REQUIRED");
  });

  it("opens a container with a BackupKey or an unlock function, and refuses another backup's key", async () => {
    const c = await encrypt(key, bytes(3000), { segmentSize: 1024 });
    expect(await decrypt(c, key)).toEqual(bytes(3000));
    const seen: EncryptionHeader[] = [];
    expect(await decrypt(c, async (h) => (seen.push(h), key))).toEqual(bytes(3000));
    expect(seen[0]!.segmentSize).toBe(1024);
    const other = await createBackupKey(PASS, { iterations: ITER });
    await rejects(decrypt(c, other), "WRONG_PASSPHRASE");
    await rejects(decrypt(c, async () => other), "WRONG_PASSPHRASE");
  });

  it("honours a reader's lower iteration cap before deriving anything", async () => {
    const c = await encrypt(key, bytes(10));
    const count = countPbkdf2();
    await rejects(decrypt(c, PASS, { maxIterations: ITER - 1 }), "UNSUPPORTED_VERSION");
    expect(count()).toBe(0);
  });
});

describe("KeyCache", () => {
  it("makes many volumes of one backup cost one PBKDF2, even when opened at once", async () => {
    const volumes = await Promise.all([1, 2, 3, 4, 5].map((i) => encrypt(key, bytes(2000, i), { segmentSize: 1024 })));
    const cache = new KeyCache();
    const count = countPbkdf2();
    const plain = await Promise.all(volumes.map((v) => decrypt(v, PASS, cache)));
    plain.forEach((p, i) => expect(p).toEqual(bytes(2000, i + 1)));
    const ra = await decryptingRandomAccess(memoryAccess(volumes[0]!), PASS, { cache });
    expect(ra.size).toBe(2000);
    expect(count()).toBe(1);
  });

  it("is keyed by the passphrase too: a cached key never opens for a wrong one", async () => {
    const c = await encrypt(key, bytes(50));
    const cache = new KeyCache();
    await decrypt(c, PASS, cache);
    await rejects(decrypt(c, "outra senha", cache), "WRONG_PASSPHRASE");
    expect(await decrypt(c, PASS, cache)).toEqual(bytes(50));
  });

  it("tells an altered key wrap from a wrong passphrase once the passphrase is proven", async () => {
    const good = await encrypt(key, bytes(50));
    const bad = good.slice();
    bad[68 + 3]! ^= 0x10;
    await rejects(decrypt(bad, PASS), "WRONG_PASSPHRASE"); // alone, the two cannot be told apart
    const cache = new KeyCache();
    await decrypt(good, PASS, cache);
    await rejects(decrypt(bad, PASS, cache), "INTEGRITY_MISMATCH", "key-wrap");
  });

  it("stays bounded", async () => {
    const cache = new KeyCache({ maxEntries: 2 });
    const keys = await Promise.all([1, 2, 3].map(() => createBackupKey(PASS, { iterations: ITER })));
    for (const k of keys) await decrypt(await encrypt(k, bytes(5)), PASS, cache);
    const count = countPbkdf2();
    await decrypt(await encrypt(keys[0]!, bytes(5)), PASS, cache); // evicted: derived again
    await decrypt(await encrypt(keys[2]!, bytes(5)), PASS, cache); // still cached
    expect(count()).toBe(1);
  });
});

describe("header and sizes", () => {
  it("is 168 bytes, starting with the magic line", async () => {
    expect(HEADER_LENGTH).toBe(168);
    expect(MAGIC_LINE).toBe("cofre-encrypted/v1\n");
    const c = await encrypt(key, new Uint8Array(0));
    expect(new TextDecoder().decode(c.subarray(0, 19))).toBe(MAGIC_LINE);
    expect(c.length).toBe(HEADER_LENGTH + 16);
    const h = parseHeader(c);
    expect(h.kdf).toBe(1);
    expect(h.iterations).toBe(ITER);
    expect(h.segmentSize).toBe(DEFAULT_SEGMENT_SIZE);
    expect(h.bytes).toEqual(c.subarray(0, HEADER_LENGTH));
  });

  it("recognizes containers of any version by their first 16 bytes", () => {
    const t = (s: string) => new TextEncoder().encode(s);
    expect(isEncryptedContainer(t("cofre-encrypted/v1\n…"))).toBe(true);
    expect(isEncryptedContainer(t("cofre-encrypted/v9\n"))).toBe(true);
    expect(isEncryptedContainer(t("PK\x03\x04"))).toBe(false);
    expect(isEncryptedContainer(t("cofre-enc"))).toBe(false);
  });

  it("computes container and plaintext sizes from each other", async () => {
    for (const [p, s] of [[0, 1024], [1, 1024], [1024, 1024], [1025, 1024], [5000, 1500], [65536 * 3, 65536]] as const) {
      const c = await encrypt(key, bytes(p), { segmentSize: s });
      expect(encryptedSize(p, s)).toBe(c.length);
      expect(plaintextSizeOf(c.length, s)).toBe(p);
    }
    expect(() => plaintextSizeOf(HEADER_LENGTH, 1024)).toThrow(/truncated/i);
    expect(() => plaintextSizeOf(HEADER_LENGTH + 1040 + 10, 1024)).toThrow(/truncated/i);
  });

  it("refuses segment sizes outside 1 KiB–16 MiB when writing", () => {
    expect(() => encryptStream(key, { segmentSize: 1023 })).toThrow(/segment size/);
    expect(() => encryptStream(key, { segmentSize: 16 * 1024 * 1024 + 1 })).toThrow(/segment size/);
  });

  it("checks an oversized segment size field before unlocking or allocating", async () => {
    const c = await encrypt(key, bytes(10));
    new DataView(c.buffer).setUint32(132, 0xffffffff, false);
    const unlock = vi.fn(async () => key);
    await rejects(decrypt(c, unlock), "CORRUPT_ARCHIVE");
    const source = memoryAccess(c);
    await rejects(decryptingRandomAccess(source, unlock), "CORRUPT_ARCHIVE");
    expect(unlock).not.toHaveBeenCalled();
    expect(source.reads).toEqual([{ offset: 0, length: HEADER_LENGTH }]);
  });
});

describe("streaming", () => {
  it("releases ciphertext as it goes, holding at most one segment", async () => {
    const s = 1024;
    const enc = encryptStream(key, { segmentSize: s });
    const writer = enc.writable.getWriter();
    const got: Uint8Array[] = [];
    const pump = (async () => {
      for await (const value of streamChunks(enc.readable)) got.push(value);
    })();
    const outSoFar = () => got.reduce((n, c) => n + c.length, 0);
    for (let i = 0; i < 10; i++) {
      await writer.write(bytes(s, i));
      await new Promise((r) => setTimeout(r, 0));
      // The header, and every segment but the one still held (it may turn out to be the last).
      expect(outSoFar()).toBe(HEADER_LENGTH + i * (s + 16));
    }
    await writer.close();
    await pump;
    expect(outSoFar()).toBe(encryptedSize(10 * s, s));
    const plain = concatBytes(Array.from({ length: 10 }, (_, i) => bytes(s, i)));
    expect(await decrypt(concatBytes(got), PASS)).toEqual(plain);
  });

  it("releases only authenticated plaintext, and fails at the first bad segment", async () => {
    const s = 1024;
    const plain = bytes(4 * s + 10);
    const c = await encrypt(key, plain, { segmentSize: s });
    const bad = c.slice();
    bad[HEADER_LENGTH + 2 * (s + 16) + 5]! ^= 1; // segment 2
    const r = await runThrough(chunkedStream(bad, () => 700), decryptStream(key));
    expect(isCofreError(r.error, "INTEGRITY_MISMATCH")).toBe(true);
    expect((r.error as { details: { segment: number } }).details.segment).toBe(2);
    expect(r.output).toEqual(plain.subarray(0, 2 * s));
  });

  it("seals large chunks (many segments at once) exactly as small ones", async () => {
    const plain = bytes(40 * 1024 + 3);
    const random = () => new Uint8Array(16).fill(7);
    const whole = await encrypt(key, plain, { segmentSize: 1024, random });
    const small = await runThrough(chunkedStream(plain, () => 100), encryptStream(key, { segmentSize: 1024, random }));
    expect(small.output).toEqual(whole);
    const dec = await runThrough(chunkedStream(whole, () => 1 << 20), decryptStream(key));
    expect(dec.output).toEqual(plain);
  });
});

describe("random access", () => {
  it("reads whole segments at aligned offsets, and checks the final segment at open", async () => {
    const s = 1024;
    const S = s + 16;
    const plain = bytes(10 * s + 100);
    const c = await encrypt(key, plain, { segmentSize: s });
    const source = memoryAccess(c);
    const ra = await decryptingRandomAccess(source, key);
    expect(ra.size).toBe(plain.length);
    // Open: the header, then the final piece (100 + 16 bytes).
    expect(source.reads).toEqual([{ offset: 0, length: HEADER_LENGTH }, { offset: HEADER_LENGTH + 10 * S, length: 116 }]);
    expect(await ra.read(3000, 2500)).toEqual(plain.subarray(3000, 5500));
    for (const r of source.reads.slice(2)) {
      expect((r.offset - HEADER_LENGTH) % S).toBe(0);
      expect(r.length % S).toBe(0);
    }
    expect(await ra.read(plain.length - 5, 5)).toEqual(plain.subarray(plain.length - 5));
    await rejects(ra.read(plain.length - 5, 6), "TRUNCATED");
  });

  it("finds a container cut at a segment boundary when it opens", async () => {
    const c = await encrypt(key, bytes(4096), { segmentSize: 1024 });
    await rejects(decryptingRandomAccess(memoryAccess(c.subarray(0, HEADER_LENGTH + 2 * 1040)), key), "TRUNCATED");
  });

  it("lets the ZIP reader restore from an encrypted volume", async () => {
    const parts: Uint8Array[] = [];
    const zip = new ZipWriter({ write: async (chunk) => void parts.push(chunk.slice()) });
    const csv = new TextEncoder().encode("id,nome\n1,José da Silva 🦷\n".repeat(3000));
    const bin = bytes(70_000);
    await zip.addEntry("data/public/pacientes/part-00001.csv", csv, { method: "deflate" });
    await zip.addEntry("raios-x/img.bin", bin, { method: "store" });
    await zip.finish();
    const volume = await encrypt(key, concatBytes(parts), { segmentSize: 4096 });
    const reader = await ZipReader.open(await decryptingRandomAccess(memoryAccess(volume), PASS));
    const read = async (name: string) => {
      const out: Uint8Array[] = [];
      for await (const chunk of reader.read(reader.entry(name)!)) out.push(chunk);
      return concatBytes(out);
    };
    expect(await read("data/public/pacientes/part-00001.csv")).toEqual(csv);
    expect(await read("raios-x/img.bin")).toEqual(bin);
  });
});
