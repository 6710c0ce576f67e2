/**
 * Opening a container's header: structural checks, the backup key (from a passphrase, a key
 * already unlocked, or a caller's function), then the header MAC. Shared by the streaming
 * and the random-access decryptors so both decide identically.
 */
import { MAC_INPUT_LENGTH } from "./constants.ts";
import { integrity, invalidInput, wrongPassphrase } from "./failures.ts";
import { parseHeader, type EncryptionHeader } from "./header.ts";
import { BackupKey, containerKeys, KeyCache, unlockBackupKey, type UnlockOptions } from "./key.ts";
import { hmacVerify } from "./primitives.ts";

/** Finds the backup key for a header (e.g. from a prompt, or from a key kept for the session). */
export type UnlockFn = (header: EncryptionHeader) => Promise<BackupKey>;

/** What opens a container: its passphrase, its backup key, or a function of its header. */
export type Unlocker = string | BackupKey | UnlockFn;

export interface DecryptOptions extends UnlockOptions {
  /** Shares key derivations across containers; used when the unlocker is a passphrase. */
  cache?: KeyCache | undefined;
}

/** The third argument of the decryptors: a `KeyCache`, or options. */
export type CacheOrOptions = KeyCache | DecryptOptions | undefined;

export function decryptOptions(arg: CacheOrOptions): DecryptOptions {
  if (arg instanceof KeyCache) return { cache: arg };
  return arg ?? {};
}

export interface OpenedContainer {
  header: EncryptionHeader;
  key: BackupKey;
  /** K_pay, the AES-256-GCM key of the segments. */
  payloadKey: CryptoKey;
}

async function resolveKey(header: EncryptionHeader, unlock: Unlocker, opts: DecryptOptions): Promise<BackupKey> {
  let key: BackupKey;
  if (typeof unlock === "string") return unlockBackupKey(header, unlock, opts.cache, opts);
  if (unlock instanceof BackupKey) key = unlock;
  else if (typeof unlock === "function") key = await unlock(header);
  else throw invalidInput("unlock must be a passphrase, a BackupKey or a function");
  if (!(key instanceof BackupKey)) throw invalidInput("unlock function must return a BackupKey");
  if (!key.matches(header)) throw wrongPassphrase({ reason: "the container was sealed with another backup key" });
  return key;
}

/**
 * Checks a header in docs/format-encryption.md §5 order: structure (parseHeader), key (WRONG_PASSPHRASE),
 * header MAC (INTEGRITY_MISMATCH, check "header-mac").
 */
export async function openContainer(headerBytes: Uint8Array, unlock: Unlocker, opts: DecryptOptions = {}): Promise<OpenedContainer> {
  const header = parseHeader(headerBytes);
  const key = await resolveKey(header, unlock, opts);
  const keys = await containerKeys(key, header.nonceBase);
  if (!(await hmacVerify(keys.header, header.mac, header.bytes.subarray(0, MAC_INPUT_LENGTH)))) {
    throw integrity("header-mac");
  }
  return { header, key, payloadKey: keys.payload };
}
