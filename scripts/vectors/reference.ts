/**
 * An independent implementation of the encryption container, written from docs/format-encryption.md with
 * node:crypto only (no code shared with packages/shared/src/format/crypto). The vector
 * generator uses it to build containers the real writer refuses to make (below the
 * iteration floor, a wrongly flagged segment…) and to print the intermediate values of the
 * worked example; the vector tests use its reader to check that docs/format-encryption.md and the code agree.
 * Node-only, synchronous, for small inputs.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, pbkdf2Sync, timingSafeEqual } from "node:crypto";

const MAGIC = Buffer.from("cofre-encrypted/v1\n", "ascii");
const HEADER = 168;
const TAG = 16;

export interface RefParams {
  passphrase: string;
  iterations: number;
  salt: Uint8Array; // 32
  dataKey: Uint8Array; // 32
  wrapNonce: Uint8Array; // 12
  nonceBase: Uint8Array; // 16
  segmentSize: number;
  /** Overrides for crafted vectors. */
  magic?: Uint8Array;
  kdf?: number;
}

export function refKek(passphrase: string, salt: Uint8Array, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(passphrase.normalize("NFC"), "utf8"), salt, iterations, 32, "sha256");
}

export function refSubkeys(dataKey: Uint8Array, nonceBase: Uint8Array): { header: Buffer; payload: Buffer } {
  const k = (info: string) => Buffer.from(hkdfSync("sha256", dataKey, nonceBase, Buffer.from(info, "ascii"), 32));
  return { header: k("cofre-enc/v1 header"), payload: k("cofre-enc/v1 payload") };
}

export function refNonce(index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 3);
  n[11] = last ? 1 : 0;
  return n;
}

export function refSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Buffer {
  const c = createCipheriv("aes-256-gcm", key, nonce);
  if (aad) c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

export function refOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Buffer | null {
  if (sealed.length < TAG) return null;
  const d = createDecipheriv("aes-256-gcm", key, nonce);
  if (aad) d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    return null;
  }
}

/** The 168-byte header of `p`. */
export function refHeader(p: RefParams): Buffer {
  const prefix = Buffer.alloc(56);
  Buffer.from(p.magic ?? MAGIC).copy(prefix, 0, 0, 19);
  prefix[19] = p.kdf ?? 1;
  prefix.writeUInt32BE(p.iterations, 20);
  Buffer.from(p.salt).copy(prefix, 24);
  const kek = refKek(p.passphrase, p.salt, p.iterations);
  const wrapped = refSeal(kek, p.wrapNonce, p.dataKey, prefix);
  const seg = Buffer.alloc(4);
  seg.writeUInt32BE(p.segmentSize);
  const body = Buffer.concat([prefix, p.wrapNonce, wrapped, p.nonceBase, seg]);
  const mac = createHmac("sha256", refSubkeys(p.dataKey, p.nonceBase).header).update(body).digest();
  return Buffer.concat([body, mac]);
}

/**
 * The sealed segments of `plaintext`. `split` gives each segment's plaintext length (default:
 * full segments, the last 1…s, or one empty segment); `lastFlag(i, n)` the flag (default i = n−1).
 */
export function refSegments(
  p: RefParams,
  plaintext: Uint8Array,
  opts: { split?: number[]; lastFlag?: (i: number, n: number) => boolean } = {},
): Buffer[] {
  const split = opts.split ?? defaultSplit(plaintext.length, p.segmentSize);
  const key = refSubkeys(p.dataKey, p.nonceBase).payload;
  const out: Buffer[] = [];
  let o = 0;
  split.forEach((len, i) => {
    const last = opts.lastFlag ? opts.lastFlag(i, split.length) : i === split.length - 1;
    out.push(refSeal(key, refNonce(i, last), plaintext.subarray(o, o + len)));
    o += len;
  });
  if (o !== plaintext.length) throw new Error("split does not cover the plaintext");
  return out;
}

function defaultSplit(size: number, s: number): number[] {
  if (size === 0) return [0];
  const n = Math.ceil(size / s);
  return Array.from({ length: n }, (_, i) => (i < n - 1 ? s : size - (n - 1) * s));
}

export function refEncrypt(p: RefParams, plaintext: Uint8Array): Buffer {
  return Buffer.concat([refHeader(p), ...refSegments(p, plaintext)]);
}

export type RefResult =
  | { ok: true; plaintext: Buffer }
  | { ok: false; code: string; check?: string };

/** docs/format-encryption.md §5, step by step, over a whole container. */
export function refDecrypt(c: Uint8Array, passphrase: string): RefResult {
  const fail = (code: string, check?: string): RefResult => (check ? { ok: false, code, check } : { ok: false, code });
  const L = c.length;
  // 1. Magic line.
  for (let i = 0; i < Math.min(L, 19); i++) {
    if (c[i] !== MAGIC[i]) return fail(i < 16 ? "CORRUPT_ARCHIVE" : "UNSUPPORTED_VERSION");
  }
  if (L < 19) return fail("TRUNCATED");
  // 2–5. Header fields.
  if (L < HEADER) return fail("TRUNCATED");
  const h = Buffer.from(c.subarray(0, HEADER));
  if (h[19] !== 1) return fail("UNSUPPORTED_VERSION");
  const iterations = h.readUInt32BE(20);
  if (iterations < 100_000 || iterations > 10_000_000) return fail("UNSUPPORTED_VERSION");
  const s = h.readUInt32BE(132);
  if (s < 1024 || s > 16 * 1024 * 1024) return fail("CORRUPT_ARCHIVE");
  // 6. Key unwrap.
  const kek = refKek(passphrase, h.subarray(24, 56), iterations);
  const dk = refOpen(kek, h.subarray(56, 68), h.subarray(68, 116), h.subarray(0, 56));
  if (!dk) return fail("WRONG_PASSPHRASE");
  // 7. Header MAC.
  const keys = refSubkeys(dk, h.subarray(116, 132));
  const mac = createHmac("sha256", keys.header).update(h.subarray(0, 136)).digest();
  if (!timingSafeEqual(mac, h.subarray(136, 168))) return fail("INTEGRITY_MISMATCH", "header-mac");
  // 8. Payload.
  const D = L - HEADER;
  if (D === 0) return fail("TRUNCATED");
  const S = s + TAG;
  const n = Math.ceil(D / S);
  const piece = (i: number) => c.subarray(HEADER + i * S, Math.min(L, HEADER + (i + 1) * S));
  const out: Buffer[] = [];
  for (let i = 0; i < n - 1; i++) {
    const pt = refOpen(keys.payload, refNonce(i, false), piece(i));
    if (!pt) {
      return fail("INTEGRITY_MISMATCH", refOpen(keys.payload, refNonce(i, true), piece(i)) ? "trailing-data" : "segment");
    }
    out.push(pt);
  }
  const last = piece(n - 1);
  const r = last.length;
  if (r < TAG || (r === TAG && n > 1)) return fail("TRUNCATED");
  const pt = refOpen(keys.payload, refNonce(n - 1, true), last);
  if (!pt) {
    if (r === S && refOpen(keys.payload, refNonce(n - 1, false), last)) return fail("TRUNCATED");
    return fail("INTEGRITY_MISMATCH", "segment");
  }
  out.push(pt);
  return { ok: true, plaintext: Buffer.concat(out) };
}
