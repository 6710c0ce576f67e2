/**
 * The container header (docs/format-encryption.md §3): parsing with the checks a reader MUST make before any
 * key derivation or allocation, and the encoding writers use. Multi-byte integers are
 * big-endian.
 */
import {
  HEADER_LENGTH, KDF_PBKDF2_SHA256, MAC_INPUT_LENGTH, MAC_LENGTH, MAGIC, MAGIC_PREFIX_LENGTH, MAX_ITERATIONS,
  MAX_SEGMENT_SIZE, MIN_ITERATIONS, MIN_SEGMENT_SIZE, NONCE_BASE_LENGTH, OFFSET, SALT_LENGTH, GCM_NONCE_LENGTH,
  WRAPPED_KEY_LENGTH,
} from "./constants.ts";
import { badHeaderField, notAContainer, truncated, unsupportedVersion } from "./failures.ts";

/** The fields of a container header. Byte fields are copies, safe to keep. */
export interface EncryptionHeader {
  /** Key derivation function: 1 = PBKDF2-HMAC-SHA256. */
  readonly kdf: typeof KDF_PBKDF2_SHA256;
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly wrapNonce: Uint8Array;
  /** AES-256-GCM ciphertext ‖ tag of the 32-byte data key. */
  readonly wrappedKey: Uint8Array;
  readonly nonceBase: Uint8Array;
  /** Plaintext bytes per segment. */
  readonly segmentSize: number;
  readonly mac: Uint8Array;
  /** The whole header, `HEADER_LENGTH` bytes, as read. */
  readonly bytes: Uint8Array;
}

/** The fields every container of one backup shares (they come from its `BackupKey`). */
export interface KeyFields {
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly wrapNonce: Uint8Array;
  readonly wrappedKey: Uint8Array;
}

/** Printable form of the bytes after "cofre-encrypted/", for error details. */
function versionLabel(prefix: Uint8Array): string {
  let s = "";
  for (let i = MAGIC_PREFIX_LENGTH; i < Math.min(prefix.length, MAGIC_PREFIX_LENGTH + 24); i++) {
    const b = prefix[i]!;
    if (b === 0x0a) break;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return s;
}

/**
 * Checks the magic line against the first bytes of an input (`prefix`, any length). A byte
 * differing within "cofre-encrypted/" → CORRUPT_ARCHIVE; within "v1\n" → UNSUPPORTED_VERSION.
 * When `ended` (no more input will come) and fewer than 19 bytes matched → TRUNCATED.
 */
export function checkMagic(prefix: Uint8Array, ended: boolean): void {
  const n = Math.min(prefix.length, MAGIC.length);
  for (let i = 0; i < n; i++) {
    if (prefix[i] === MAGIC[i]) continue;
    if (i < MAGIC_PREFIX_LENGTH) throw notAContainer({ offset: i });
    throw unsupportedVersion("version", { version: versionLabel(prefix), supported: "v1" });
  }
  if (ended && prefix.length < MAGIC.length) throw truncated("magic", { size: prefix.length });
}

/**
 * Parses and checks a header, in the order docs/format-encryption.md §5 fixes: magic line; length
 * (TRUNCATED if the input ends before `HEADER_LENGTH` bytes); kdf; iteration count; segment
 * size. `bytes` may be longer (a whole container); only the first `HEADER_LENGTH` are read.
 * The header MAC and the key wrap are verified later, with the passphrase.
 */
export function parseHeader(bytes: Uint8Array): EncryptionHeader {
  checkMagic(bytes, true);
  if (bytes.length < HEADER_LENGTH) throw truncated("header", { size: bytes.length, headerLength: HEADER_LENGTH });
  const h = bytes.slice(0, HEADER_LENGTH);
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const kdf = h[OFFSET.kdf]!;
  if (kdf !== KDF_PBKDF2_SHA256) throw unsupportedVersion("kdf", { kdf, supported: [KDF_PBKDF2_SHA256] });
  const iterations = view.getUint32(OFFSET.iterations, false);
  if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw unsupportedVersion("iterations", { iterations, min: MIN_ITERATIONS, max: MAX_ITERATIONS });
  }
  const segmentSize = view.getUint32(OFFSET.segmentSize, false);
  if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw badHeaderField("segment size", { segmentSize, min: MIN_SEGMENT_SIZE, max: MAX_SEGMENT_SIZE });
  }
  return {
    kdf: KDF_PBKDF2_SHA256,
    iterations,
    salt: h.slice(OFFSET.salt, OFFSET.salt + SALT_LENGTH),
    wrapNonce: h.slice(OFFSET.wrapNonce, OFFSET.wrapNonce + GCM_NONCE_LENGTH),
    wrappedKey: h.slice(OFFSET.wrappedKey, OFFSET.wrappedKey + WRAPPED_KEY_LENGTH),
    nonceBase: h.slice(OFFSET.nonceBase, OFFSET.nonceBase + NONCE_BASE_LENGTH),
    segmentSize,
    mac: h.slice(OFFSET.mac, OFFSET.mac + MAC_LENGTH),
    bytes: h,
  };
}

/** magic ‖ kdf ‖ iterations: the first 24 bytes, shared by the wrap AAD and the header. */
function writePrefix(out: Uint8Array, iterations: number): DataView {
  out.set(MAGIC, 0);
  out[OFFSET.kdf] = KDF_PBKDF2_SHA256;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(OFFSET.iterations, iterations, false);
  return view;
}

/** The key wrap's additional data: magic ‖ kdf ‖ iterations ‖ salt (56 bytes). */
export function wrapAad(iterations: number, salt: Uint8Array): Uint8Array {
  const out = new Uint8Array(OFFSET.wrapNonce);
  writePrefix(out, iterations);
  out.set(salt, OFFSET.salt);
  return out;
}

/** The header's first `MAC_INPUT_LENGTH` (136) bytes: everything the MAC covers. */
export function encodeHeaderBody(key: KeyFields, nonceBase: Uint8Array, segmentSize: number): Uint8Array {
  const out = new Uint8Array(MAC_INPUT_LENGTH);
  const view = writePrefix(out, key.iterations);
  out.set(key.salt, OFFSET.salt);
  out.set(key.wrapNonce, OFFSET.wrapNonce);
  out.set(key.wrappedKey, OFFSET.wrappedKey);
  out.set(nonceBase, OFFSET.nonceBase);
  view.setUint32(OFFSET.segmentSize, segmentSize, false);
  return out;
}

/** Whether two headers (or a key and a header) carry the same key fields. */
export function sameKeyFields(a: KeyFields, b: KeyFields): boolean {
  return a.iterations === b.iterations && equalBytes(a.salt, b.salt) && equalBytes(a.wrapNonce, b.wrapNonce) &&
    equalBytes(a.wrappedKey, b.wrappedKey);
}

/** Byte equality for public values (not constant-time; never use it on secrets). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether `head` (the first bytes of a file, ≥ 16 of them) starts like a container of any
 * version ("cofre-encrypted/"): such a file goes to the decryptor, which then accepts v1 or
 * answers UNSUPPORTED_VERSION, rather than being read as plaintext.
 */
export function isEncryptedContainer(head: Uint8Array): boolean {
  if (head.length < MAGIC_PREFIX_LENGTH) return false;
  for (let i = 0; i < MAGIC_PREFIX_LENGTH; i++) if (head[i] !== MAGIC[i]) return false;
  return true;
}
