/**
 * The backup key: one random 256-bit data key (DK) per backup, wrapped under a key derived
 * from the passphrase (KEK = PBKDF2-HMAC-SHA256). Every container of a backup carries the
 * same wrap fields; each derives its own header and payload keys from DK and its nonce base.
 *
 * A `BackupKey` never prints: `toString`, `toJSON` and inspection give "**redacted**". DK
 * lives only as a non-extractable CryptoKey, held outside the object.
 */
import { CofreError } from "../../errors.ts";
import {
  DATA_KEY_LENGTH, DEFAULT_ITERATIONS, GCM_NONCE_LENGTH, KDF_PBKDF2_SHA256, MAX_ITERATIONS, MIN_ITERATIONS,
  SALT_LENGTH, WRAPPED_KEY_LENGTH,
} from "./constants.ts";
import { integrity, invalidInput, unsupportedVersion, wrongPassphrase } from "./failures.ts";
import { parseHeader, sameKeyFields, wrapAad, type EncryptionHeader, type KeyFields } from "./header.ts";
import {
  bs, deriveContainerKeys, deriveKek, gcmOpen, gcmSeal, importDataKey, passphraseBytes, secureRandom,
  type ContainerKeys, type Random,
} from "./primitives.ts";

import { Redacted } from "../../redacted.ts";
export { REDACTED } from "../../redacted.ts";

const dataKeys = new WeakMap<BackupKey, CryptoKey>();
const token = Symbol("BackupKey");

/** What every container header of one backup needs, plus the (hidden) data key. */
export class BackupKey extends Redacted implements KeyFields {
  readonly kdf = KDF_PBKDF2_SHA256;
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly wrapNonce: Uint8Array;
  readonly wrappedKey: Uint8Array;

  /** Not public: use `createBackupKey` or `unlockBackupKey`. */
  constructor(t: typeof token, fields: KeyFields, dataKey: CryptoKey) {
    super();
    if (t !== token) throw new TypeError("use createBackupKey or unlockBackupKey");
    this.iterations = fields.iterations;
    this.salt = fields.salt.slice();
    this.wrapNonce = fields.wrapNonce.slice();
    this.wrappedKey = fields.wrappedKey.slice();
    dataKeys.set(this, dataKey);
    Object.freeze(this);
  }

  /** Whether a container header (or another key) carries this key's wrap fields. */
  matches(fields: KeyFields): boolean {
    return sameKeyFields(this, fields);
  }

}

/** K_hdr and K_pay of the container whose nonce base is `nonceBase`. */
export function containerKeys(key: BackupKey, nonceBase: Uint8Array): Promise<ContainerKeys> {
  const dk = dataKeys.get(key);
  if (!dk) throw invalidInput("not a BackupKey");
  return deriveContainerKeys(dk, nonceBase);
}

export interface CreateKeyOptions {
  /** PBKDF2 iterations; default 600,000. Must lie in 100,000–10,000,000. */
  iterations?: number | undefined;
  /** Random source (salt, data key, wrap nonce — drawn in that order). Tests and vectors only. */
  random?: Random | undefined;
}

export function passphraseRequired(): CofreError {
  return new CofreError("PASSPHRASE_REQUIRED", {
    "pt-BR": "Este backup é criptografado: informe a senha dele.",
    en: "This backup is encrypted: give its passphrase.",
  });
}

function checkPassphrase(passphrase: unknown): asserts passphrase is string {
  if (typeof passphrase !== "string" || passphrase.length === 0) throw passphraseRequired();
}

/** A new backup key: random salt and data key, KEK derived once, data key wrapped. */
export async function createBackupKey(passphrase: string, opts: CreateKeyOptions = {}): Promise<BackupKey> {
  checkPassphrase(passphrase);
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw invalidInput(`iterations must be an integer from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`, { iterations });
  }
  const random = opts.random ?? secureRandom;
  const salt = random(SALT_LENGTH).slice(0, SALT_LENGTH);
  const dk = random(DATA_KEY_LENGTH).slice(0, DATA_KEY_LENGTH);
  const wrapNonce = random(GCM_NONCE_LENGTH).slice(0, GCM_NONCE_LENGTH);
  if (salt.length !== SALT_LENGTH || dk.length !== DATA_KEY_LENGTH || wrapNonce.length !== GCM_NONCE_LENGTH) {
    throw invalidInput("random source returned too few bytes");
  }
  try {
    const kek = await deriveKek(passphrase, salt, iterations);
    const wrappedKey = await gcmSeal(kek, wrapNonce, dk, wrapAad(iterations, salt));
    return new BackupKey(token, { iterations, salt, wrapNonce, wrappedKey }, await importDataKey(dk));
  } finally {
    dk.fill(0);
  }
}

export interface UnlockOptions {
  /** Refuse headers asking for more PBKDF2 iterations than this (≤ 10,000,000), e.g. under a CPU budget. */
  maxIterations?: number | undefined;
}

interface KekEntry {
  kek: Promise<CryptoKey>;
  /** This KEK has unwrapped a data key: the passphrase is right for this salt and count. */
  proven: boolean;
}

/**
 * Remembers derived keys so that the volumes of one backup cost one PBKDF2: KEKs by
 * (passphrase, salt, iterations), unlocked keys by those plus the wrap nonce and wrapped
 * key. The passphrase is never stored: entries are found by an HMAC of it under a random
 * per-cache key. Bounded (least recently used entries go first); concurrent unlocks of the
 * same key share one derivation.
 */
export class KeyCache extends Redacted {
  readonly #maxEntries: number;
  readonly #keks = new Map<string, KekEntry>();
  readonly #keys = new Map<string, Promise<BackupKey>>();
  #tagKey: Promise<CryptoKey> | null = null;

  constructor(opts: { maxEntries?: number } = {}) {
    super();
    this.#maxEntries = Math.max(1, opts.maxEntries ?? 16);
  }

  /** Cache ids for the KEK and for the unlocked key of `fields` under `passphrase`. */
  async #ids(passphrase: string, fields: KeyFields): Promise<{ kekId: string; keyId: string }> {
    this.#tagKey ??= crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]) as Promise<CryptoKey>;
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await this.#tagKey, bs(passphraseBytes(passphrase))));
    const kekId = `${hex(mac)}:${hex(fields.salt)}:${fields.iterations}`;
    return { kekId, keyId: `${kekId}:${hex(fields.wrapNonce)}:${hex(fields.wrappedKey)}` };
  }

  #remember<V>(map: Map<string, V>, id: string, value: V): void {
    map.delete(id);
    map.set(id, value);
    while (map.size > this.#maxEntries) map.delete(map.keys().next().value as string);
  }

  /** @internal */
  async unlock(fields: KeyFields, passphrase: string): Promise<BackupKey> {
    const { kekId, keyId } = await this.#ids(passphrase, fields);
    const hit = this.#keys.get(keyId);
    if (hit) {
      this.#remember(this.#keys, keyId, hit);
      return hit;
    }
    let kek = this.#keks.get(kekId);
    if (!kek) {
      kek = { kek: deriveKek(passphrase, fields.salt, fields.iterations), proven: false };
      kek.kek.catch(() => this.#keks.delete(kekId));
    }
    this.#remember(this.#keks, kekId, kek);
    const entry = kek;
    const pending = unwrap(fields, entry.kek, () => entry.proven).then((key) => {
      entry.proven = true;
      return key;
    });
    this.#remember(this.#keys, keyId, pending);
    pending.catch(() => {
      if (this.#keys.get(keyId) === pending) this.#keys.delete(keyId);
    });
    return pending;
  }

  /** Forgets every key. */
  clear(): void {
    this.#keks.clear();
    this.#keys.clear();
  }

}

function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

async function unwrap(fields: KeyFields, kek: Promise<CryptoKey>, proven: () => boolean): Promise<BackupKey> {
  if (fields.wrappedKey.length !== WRAPPED_KEY_LENGTH) throw wrongPassphrase({ reason: "wrapped key length" });
  const dk = await gcmOpen(await kek, fields.wrapNonce, fields.wrappedKey, wrapAad(fields.iterations, fields.salt));
  if (!dk) {
    // A KEK that already unwrapped a key of this backup means the passphrase is right: the wrap was altered.
    if (proven()) throw integrity("key-wrap");
    throw wrongPassphrase();
  }
  try {
    return new BackupKey(token, fields, await importDataKey(dk));
  } finally {
    dk.fill(0);
  }
}

/** Refuses iteration counts outside the format's range or above the caller's budget. */
export function checkIterations(iterations: number, opts: UnlockOptions = {}): void {
  const max = Math.min(MAX_ITERATIONS, opts.maxIterations ?? MAX_ITERATIONS);
  if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS || iterations > max) {
    throw unsupportedVersion("iterations", { iterations, min: MIN_ITERATIONS, max });
  }
}

/**
 * The backup key of a container, from its header (bytes or parsed) and the passphrase.
 * Wrong passphrase (or an altered key wrap, which cannot be told apart) → WRONG_PASSPHRASE.
 * With a cache, the volumes of one backup cost one PBKDF2.
 */
export async function unlockBackupKey(
  header: Uint8Array | EncryptionHeader | KeyFields,
  passphrase: string,
  cache?: KeyCache,
  opts: UnlockOptions = {},
): Promise<BackupKey> {
  const fields: KeyFields = header instanceof Uint8Array ? parseHeader(header) : header;
  if ("kdf" in fields && fields.kdf !== KDF_PBKDF2_SHA256) throw unsupportedVersion("kdf", { kdf: fields.kdf });
  checkIterations(fields.iterations, opts);
  checkPassphrase(passphrase);
  if (cache) return cache.unlock(fields, passphrase);
  return unwrap(fields, deriveKek(passphrase, fields.salt, fields.iterations), () => false);
}
