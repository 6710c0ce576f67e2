/**
 * The encryption container, format v1 ("cofre-encrypted/v1"): a passphrase-wrapped data key
 * per backup, an authenticated header, and AES-256-GCM segments whose nonces carry their
 * index and a last flag. docs/format-encryption.md in this folder is the normative description.
 */
export {
  DEFAULT_ITERATIONS, DEFAULT_SEGMENT_SIZE, HEADER_LENGTH, MAGIC_LINE, MAX_ITERATIONS, MAX_SEGMENT_SIZE,
  MIN_ITERATIONS, MIN_SEGMENT_SIZE, TAG_LENGTH,
} from "./constants.ts";
export { isEncryptedContainer, parseHeader, type EncryptionHeader, type KeyFields } from "./header.ts";
export {
  BackupKey, createBackupKey, KeyCache, unlockBackupKey, type CreateKeyOptions, type UnlockOptions,
} from "./key.ts";
export { encrypt, encryptStream, type EncryptOptions } from "./encrypt.ts";
export { decrypt, decryptStream } from "./decrypt.ts";
export { decryptingRandomAccess } from "./random-access.ts";
export { encryptedSize, plaintextSizeOf, segmentCount } from "./segments.ts";
export type { CacheOrOptions, DecryptOptions, Unlocker, UnlockFn } from "./open.ts";
export type { IntegrityCheck, TruncationReason } from "./failures.ts";
