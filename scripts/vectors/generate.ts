/**
 * Writes the encryption container's test vectors, test/vectors/enc/*.txt, one scenario per
 * file (format: ./format.ts, the directory's README.md). Deterministic: every random value
 * comes from SHA-256 in counter mode over a label, so a re-run reproduces the files byte for
 * byte (test/format/crypto-vectors.test.ts checks it).
 *
 * Successes are made by the real writer (createBackupKey + encryptStream with injected
 * randomness) and cross-checked against ./reference.ts; crafted containers the writer
 * refuses to make come from the reference writer; the rest are edits of those bytes.
 *
 *   npx tsx scripts/vectors/generate.ts            write the files
 *   npx tsx scripts/vectors/generate.ts --explain  print the worked example (docs/format-encryption.md §7)
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { createBackupKey, encrypt, HEADER_LENGTH } from "../../packages/shared/src/format/crypto/mod.ts";
import { serializeVector, VECTOR_EXTENSION, type Vector } from "./format.ts";
import { refEncrypt, refHeader, refKek, refNonce, refSegments, refSubkeys, type RefParams } from "./reference.ts";

export const VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../test/vectors/enc");

export const PASSPHRASE = "pão de queijo com café";
export const ITERATIONS = 100_000;
export const SEGMENT = 1024;
const TAG = 16;
const S = SEGMENT + TAG;

/** Deterministic bytes: SHA-256(label ‖ 0x00 ‖ counter) blocks, read in order. */
export function drbg(label: string): (n: number) => Uint8Array {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n) => {
    while (pool.length < n) {
      const block = createHash("sha256").update(label).update(new Uint8Array([0])).update(String(counter++)).digest();
      const next = new Uint8Array(pool.length + block.length);
      next.set(pool);
      next.set(block, pool.length);
      pool = next;
    }
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const flip = (b: Uint8Array, offset: number, bit = 0) => {
  const c = b.slice();
  c[offset]! ^= 1 << bit;
  return c;
};
const pieces = (c: Uint8Array) => {
  const out: Uint8Array[] = [];
  for (let o = HEADER_LENGTH; o < c.length; o += S) out.push(c.subarray(o, Math.min(o + S, c.length)));
  return out;
};
const header = (c: Uint8Array) => c.subarray(0, HEADER_LENGTH);

/** A backup key drawn from `label`, and the same values for the reference implementation. */
async function backupKey(label: string, passphrase = PASSPHRASE, iterations = ITERATIONS) {
  const key = await createBackupKey(passphrase, { iterations, random: drbg(label) });
  const r = drbg(label); // createBackupKey draws salt, data key, wrap nonce, in that order
  const salt = r(32);
  const dataKey = r(32);
  const wrapNonce = r(12);
  return { key, salt, dataKey, wrapNonce, passphrase, iterations };
}
type Backup = Awaited<ReturnType<typeof backupKey>>;

function params(b: Backup, nonceBase: Uint8Array, segmentSize = SEGMENT): RefParams {
  return { passphrase: b.passphrase, iterations: b.iterations, salt: b.salt, dataKey: b.dataKey, wrapNonce: b.wrapNonce, nonceBase, segmentSize };
}

/** A container from the real writer, checked byte for byte against the reference writer. */
async function seal(b: Backup, name: string, plaintext: Uint8Array, segmentSize = SEGMENT): Promise<Uint8Array> {
  const nonceBase = drbg(`nonce base:${name}`)(16);
  const real = await encrypt(b.key, plaintext, { segmentSize, random: () => nonceBase });
  const ref = refEncrypt(params(b, nonceBase, segmentSize), plaintext);
  if (Buffer.compare(Buffer.from(real), ref) !== 0) throw new Error(`${name}: writer and reference implementation disagree`);
  return real;
}

const plaintextOf = (name: string, size: number) => drbg(`plaintext:${name}`)(size);

export async function generateVectors(): Promise<Vector[]> {
  const b = await backupKey("backup key");
  const vectors: Vector[] = [];
  const ok = (name: string, plaintext: Uint8Array, container: Uint8Array, comments: string[], passphrase = PASSPHRASE) =>
    vectors.push({ name, expect: "success", passphrase, plaintextSize: plaintext.length, plaintextSha256: sha256(plaintext), comments, container });
  const bad = (name: string, expect: string, container: Uint8Array, comments: string[], check?: string, passphrase = PASSPHRASE) =>
    vectors.push({ name, expect, ...(check ? { check } : {}), passphrase, comments, container });

  // --- successes -------------------------------------------------------------------------
  const hello = new TextEncoder().encode("Olá, Cofre! Backup da clínica.\n");
  ok("001-success-small", hello, await seal(b, "001", hello), [
    "the worked example of docs/format-encryption.md: one short segment, segment size 1024, 100,000 iterations",
  ]);
  ok("002-success-empty", new Uint8Array(0), await seal(b, "002", new Uint8Array(0)), [
    "empty plaintext: exactly one segment holding 0 bytes (16-byte tag), flagged last",
  ]);
  const sizes: [string, number, string][] = [
    ["003-success-size-s-minus-1", SEGMENT - 1, "s-1: one segment, not full"],
    ["004-success-size-s", SEGMENT, "s: exactly one full segment, flagged last (no empty segment after it)"],
    ["005-success-size-s-plus-1", SEGMENT + 1, "s+1: a full segment, then a last segment of 1 byte"],
    ["006-success-size-2s-minus-1", 2 * SEGMENT - 1, "2s-1: a full segment, then s-1 bytes"],
    ["007-success-size-2s", 2 * SEGMENT, "2s: two full segments, the second flagged last"],
    ["008-success-size-2s-plus-1", 2 * SEGMENT + 1, "2s+1: two full segments, then 1 byte"],
  ];
  for (const [name, size, comment] of sizes) {
    const pt = plaintextOf(name, size);
    ok(name, pt, await seal(b, name.slice(0, 3), pt), [comment]);
  }
  const three = plaintextOf("multi", 2 * SEGMENT + 500); // 3 segments: s, s, 500
  const multi = await seal(b, "009", three);
  ok("009-success-three-segments", three, multi, ["three segments (1024, 1024, 500 bytes): the base of the edited vectors below"]);
  const odd = plaintextOf("odd", 3000);
  ok("010-success-segment-size-1500", odd, await seal(b, "010", odd, 1500), ["a segment size that is not a power of two (1500): 1500 + 1500"]);
  const big = plaintextOf("max", 100);
  ok("011-success-segment-size-max", big, await seal(b, "011", big, 16 * 1024 * 1024), [
    "segment size 16 MiB (the largest allowed) with a 100-byte plaintext: readers allocate by what arrives",
  ]);
  ok("012-success-passphrase-nfd", hello, await seal(b, "012", hello), [
    "the passphrase below is in NFD (decomposed accents); readers normalize to NFC before PBKDF2",
  ], PASSPHRASE.normalize("NFD"));
  {
    const other = await backupKey("another backup key", "outra senha, outro backup", ITERATIONS);
    const pt = plaintextOf("other", 1500);
    ok("013-success-another-key", pt, await seal(other, "013", pt), ["another backup (salt, data key, wrap nonce and passphrase differ)"], other.passphrase);
  }

  // --- passphrase and key wrap -------------------------------------------------------------
  const small = await seal(b, "020", hello);
  bad("020-wrong-passphrase", "WRONG_PASSPHRASE", small, ["the container of 001 under another passphrase"], undefined, "pão de queijo sem café");
  bad("021-flipped-salt", "WRONG_PASSPHRASE", flip(small, 24 + 5, 3), [
    "a bit flipped in the salt: the KEK differs, the unwrap fails; indistinguishable from a wrong passphrase",
  ]);
  bad("022-flipped-wrapped-key", "WRONG_PASSPHRASE", flip(small, 68 + 40, 0), [
    "a bit flipped in the wrapped key's tag: the unwrap fails; indistinguishable from a wrong passphrase",
  ]);
  {
    const c = small.slice();
    new DataView(c.buffer).setUint32(20, ITERATIONS + 1, false);
    bad("023-changed-iterations", "WRONG_PASSPHRASE", c, [
      "iterations changed to 100,001 (in range): the KEK differs and the count is in the unwrap's AAD",
    ]);
  }

  // --- header MAC ----------------------------------------------------------------------------
  bad("030-flipped-nonce-base", "INTEGRITY_MISMATCH", flip(small, 116 + 3, 7), ["a bit flipped in the nonce base"], "header-mac");
  {
    const c = small.slice();
    new DataView(c.buffer).setUint32(132, 2048, false);
    bad("031-changed-segment-size", "INTEGRITY_MISMATCH", c, ["segment size changed from 1024 to 2048 (in range)"], "header-mac");
  }
  bad("032-flipped-header-mac", "INTEGRITY_MISMATCH", flip(small, 136 + 31, 0), ["a bit flipped in the header MAC"], "header-mac");

  // --- versions and header fields ----------------------------------------------------------
  {
    const c = small.slice();
    c[17] = 0x32; // "v2"
    bad("040-unknown-version", "UNSUPPORTED_VERSION", c, ['magic line "cofre-encrypted/v2\\n"']);
    const k = small.slice();
    k[19] = 2;
    bad("041-unknown-kdf", "UNSUPPORTED_VERSION", k, ["kdf byte 2 (only 1, PBKDF2-HMAC-SHA256, exists)"]);
  }
  {
    const low = await backupKey("low iterations", PASSPHRASE, ITERATIONS); // salt etc. only
    const p = { ...params(low, drbg("nonce base:042")(16)), iterations: 99_999 };
    bad("042-iterations-below-floor", "UNSUPPORTED_VERSION", cat(refEncrypt(p, hello)), [
      "a well-formed container with 99,999 iterations: readers MUST refuse counts below 100,000 before deriving",
    ]);
    const c = small.slice();
    new DataView(c.buffer).setUint32(20, 10_000_001, false);
    bad("043-iterations-above-cap", "UNSUPPORTED_VERSION", c, [
      "iterations 10,000,001: refused before any derivation (denial-of-service guard)",
    ]);
  }
  {
    const c = small.slice();
    new DataView(c.buffer).setUint32(132, 1023, false);
    bad("044-segment-size-too-small", "CORRUPT_ARCHIVE", c, ["segment size 1023, below 1 KiB: refused before the MAC"]);
    const d = small.slice();
    new DataView(d.buffer).setUint32(132, 16 * 1024 * 1024 + 1, false);
    bad("045-segment-size-too-large", "CORRUPT_ARCHIVE", d, ["segment size 16 MiB + 1: refused before anything is allocated"]);
  }
  bad("046-not-a-container", "CORRUPT_ARCHIVE", new TextEncoder().encode("PK\x03\x04 this is a ZIP file, not a container\n"), [
    "the first bytes are not the magic line",
  ]);
  bad("047-flipped-magic", "CORRUPT_ARCHIVE", flip(small, 2, 0), ["a bit flipped in the magic line's first 16 bytes"]);

  // --- truncation ----------------------------------------------------------------------------
  bad("050-truncated-empty-file", "TRUNCATED", new Uint8Array(0), ["zero bytes"]);
  bad("051-truncated-in-magic", "TRUNCATED", small.slice(0, 10), ["the first 10 bytes of the magic line only"]);
  bad("052-truncated-in-header", "TRUNCATED", small.slice(0, 100), ["the first 100 bytes of the header only"]);
  bad("053-truncated-no-payload", "TRUNCATED", small.slice(0, HEADER_LENGTH), ["the header and nothing after it"]);
  bad("054-truncated-last-segment-missing", "TRUNCATED", multi.slice(0, HEADER_LENGTH + 2 * S), [
    "009 without its last segment: the final piece is full and authenticates only as non-last",
  ]);
  {
    const two = (await seal(b, "055", plaintextOf("055", 2 * SEGMENT)));
    bad("055-truncated-full-last-segment-missing", "TRUNCATED", two.slice(0, HEADER_LENGTH + S), [
      "a 2-full-segment container cut after its first segment",
    ]);
  }
  bad("056-truncated-in-tag", "TRUNCATED", multi.slice(0, HEADER_LENGTH + 2 * S + 10), [
    "009 cut 10 bytes into its last segment: too short to hold a tag",
  ]);
  bad("057-truncated-tag-only", "TRUNCATED", multi.slice(0, HEADER_LENGTH + S + 16), [
    "009 cut 16 bytes into its second segment: a 16-byte final piece is a segment only when it is the only one",
  ]);
  bad("058-truncated-inside-segment", "INTEGRITY_MISMATCH", multi.slice(0, HEADER_LENGTH + S + 500), [
    "009 cut 500 bytes into its second segment: a cut that leaves at least 17 bytes cannot be told",
    "apart from an altered last segment, so readers report INTEGRITY_MISMATCH (the manifest's volume",
    "size check reports TRUNCATED for stored volumes before this is reached)",
  ], "segment");
  {
    // Crafted: 1024 bytes sealed as a full non-last segment followed by an empty last segment.
    const p = params(b, drbg("nonce base:059")(16));
    const pt = plaintextOf("059", SEGMENT);
    const c = cat(refHeader(p), ...refSegments(p, pt, { split: [SEGMENT, 0] }));
    bad("059-empty-last-segment-after-full", "TRUNCATED", c, [
      "crafted: a full segment, then an empty segment flagged last; an empty last segment is valid only",
      "when it is the only one, so readers reject the 16-byte final piece without decrypting it",
    ]);
  }

  // --- payload edits -------------------------------------------------------------------------
  bad("060-flipped-bit-first-segment", "INTEGRITY_MISMATCH", flip(multi, HEADER_LENGTH + 100, 2), ["009 with a bit flipped in segment 0"], "segment");
  bad("061-flipped-bit-last-segment", "INTEGRITY_MISMATCH", flip(multi, HEADER_LENGTH + 2 * S + 7, 5), ["009 with a bit flipped in the last segment's ciphertext"], "segment");
  bad("062-flipped-bit-last-tag", "INTEGRITY_MISMATCH", flip(multi, multi.length - 1, 7), ["009 with a bit flipped in the last segment's tag"], "segment");
  {
    const [p0, p1, p2] = pieces(multi) as [Uint8Array, Uint8Array, Uint8Array];
    bad("063-reordered-segments", "INTEGRITY_MISMATCH", cat(header(multi), p1, p0, p2), ["009 with segments 0 and 1 swapped"], "segment");
    bad("064-duplicated-segment", "INTEGRITY_MISMATCH", cat(header(multi), p0, p0, p1, p2), ["009 with segment 0 repeated"], "segment");
    bad("065-dropped-middle-segment", "INTEGRITY_MISMATCH", cat(header(multi), p0, p2), ["009 without segment 1"], "segment");
    bad("066-trailing-garbage", "INTEGRITY_MISMATCH", cat(multi, new TextEncoder().encode("lixo\n")), [
      "009 followed by 5 bytes: the final piece (last segment + 5 bytes) does not authenticate",
    ], "segment");
    const other = await seal(b, "067", plaintextOf("067", 700));
    bad("067-segment-from-another-container", "INTEGRITY_MISMATCH", cat(header(multi), p0, p1, pieces(other)[0]!), [
      "009 whose last segment was replaced by the last segment of another container of the same backup",
    ], "segment");
  }
  {
    const two = await seal(b, "068", plaintextOf("068", 2 * SEGMENT));
    bad("068-trailing-data-after-full-last-segment", "INTEGRITY_MISMATCH", cat(two, new Uint8Array(40)), [
      "two full segments followed by 40 zero bytes: the second segment authenticates as last, yet data follows",
    ], "trailing-data");
    const [q0, q1] = pieces(two) as [Uint8Array, Uint8Array];
    bad("069-duplicated-last-segment", "INTEGRITY_MISMATCH", cat(header(two), q0, q1, q1), [
      "two full segments, the last one repeated",
    ], "trailing-data");
  }
  {
    const p = params(b, drbg("nonce base:070")(16));
    const pt = plaintextOf("070", 1500);
    bad("070-last-segment-not-flagged", "INTEGRITY_MISMATCH", cat(refHeader(p), ...refSegments(p, pt, { lastFlag: () => false })), [
      "crafted: 1024 + 476 bytes with no segment flagged last; the short final piece cannot be opened as last",
    ], "segment");
    bad("071-early-last-flag", "INTEGRITY_MISMATCH", cat(refHeader(p), ...refSegments(p, pt, { lastFlag: (i) => i === 0 })), [
      "crafted: segment 0 flagged last although segment 1 follows",
    ], "trailing-data");
  }
  return vectors;
}

/** The intermediate values of a vector (for docs/format-encryption.md's worked example). */
export async function explain(): Promise<string> {
  const b = await backupKey("backup key");
  const nonceBase = drbg("nonce base:001")(16);
  const hello = new TextEncoder().encode("Olá, Cofre! Backup da clínica.\n");
  const p = params(b, nonceBase);
  const hex = (u: Uint8Array) => Buffer.from(u).toString("hex");
  const kek = refKek(PASSPHRASE, b.salt, ITERATIONS);
  const keys = refSubkeys(b.dataKey, nonceBase);
  const h = refHeader(p);
  const segs = refSegments(p, hello);
  return [
    `passphrase (NFC, UTF-8) = ${hex(new TextEncoder().encode(PASSPHRASE.normalize("NFC")))}`,
    `plaintext (${hello.length} B) = ${hex(hello)}`,
    `salt        = ${hex(b.salt)}`,
    `data key    = ${hex(b.dataKey)}`,
    `wrap nonce  = ${hex(b.wrapNonce)}`,
    `nonce base  = ${hex(nonceBase)}`,
    `KEK         = ${hex(kek)}`,
    `wrap AAD    = ${hex(h.subarray(0, 56))}`,
    `wrapped key = ${hex(h.subarray(68, 116))}`,
    `K_hdr       = ${hex(keys.header)}`,
    `K_pay       = ${hex(keys.payload)}`,
    `header MAC  = ${hex(h.subarray(136, 168))}`,
    `nonce_0     = ${hex(refNonce(0, true))}`,
    `segment 0   = ${hex(segs[0]!)}`,
    `header      = ${hex(h)}`,
  ].join("\n");
}

async function main() {
  if (process.argv.includes("--explain")) {
    console.log(await explain());
    return;
  }
  mkdirSync(VECTOR_DIR, { recursive: true });
  const vectors = await generateVectors();
  const names = new Set(vectors.map((v) => v.name + VECTOR_EXTENSION));
  for (const f of readdirSync(VECTOR_DIR)) if (f.endsWith(VECTOR_EXTENSION) && !names.has(f)) rmSync(join(VECTOR_DIR, f));
  for (const v of vectors) writeFileSync(join(VECTOR_DIR, v.name + VECTOR_EXTENSION), serializeVector(v));
  console.log(`wrote ${vectors.length} vectors to ${VECTOR_DIR}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
