/**
 * Numbers of the encryption container, format v1 (docs/format-encryption.md in this folder). Every offset and
 * limit a reader or writer needs is here, so the byte table in docs/format-encryption.md has one source.
 */

/** The first line of every container: 19 ASCII bytes, newline included. */
export const MAGIC_LINE = "cofre-encrypted/v1\n";
export const MAGIC = new TextEncoder().encode(MAGIC_LINE);
/** The part of the magic line that names the format; what follows it names the version. */
export const MAGIC_PREFIX_LENGTH = "cofre-encrypted/".length; // 16

/** KDF identifiers (header byte 19). */
export const KDF_PBKDF2_SHA256 = 1;

/** PBKDF2 iteration count: writers' default (OWASP 2023), readers' floor and DoS cap. */
export const DEFAULT_ITERATIONS = 600_000;
export const MIN_ITERATIONS = 100_000;
export const MAX_ITERATIONS = 10_000_000;

/** Plaintext bytes per segment: bounds and default. */
export const MIN_SEGMENT_SIZE = 1024;
export const MAX_SEGMENT_SIZE = 16 * 1024 * 1024;
export const DEFAULT_SEGMENT_SIZE = 64 * 1024;

export const SALT_LENGTH = 32;
export const DATA_KEY_LENGTH = 32;
export const GCM_NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;
export const WRAPPED_KEY_LENGTH = DATA_KEY_LENGTH + TAG_LENGTH; // 48
export const NONCE_BASE_LENGTH = 16;
export const MAC_LENGTH = 32;

/** Byte offsets of the header fields. */
export const OFFSET = {
  kdf: 19,
  iterations: 20,
  salt: 24,
  wrapNonce: 56,
  wrappedKey: 68,
  nonceBase: 116,
  segmentSize: 132,
  mac: 136,
} as const;

/** Bytes authenticated as additional data of the key wrap: magic ‖ kdf ‖ iterations ‖ salt. */
export const WRAP_AAD_LENGTH = OFFSET.wrapNonce; // 56
/** Bytes covered by the header MAC: everything before it. */
export const MAC_INPUT_LENGTH = OFFSET.mac; // 136
/** Total header length, magic line included: the payload starts here. */
export const HEADER_LENGTH = OFFSET.mac + MAC_LENGTH; // 168

/** HKDF-SHA256 `info` strings (ASCII). */
export const INFO_HEADER = "cofre-enc/v1 header";
export const INFO_PAYLOAD = "cofre-enc/v1 payload";

/** Segment counters are 11 bytes; JavaScript keeps them exact up to 2^53 − 1. */
export const MAX_SEGMENTS = Number.MAX_SAFE_INTEGER;
