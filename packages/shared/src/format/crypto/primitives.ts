/**
 * The Web Crypto calls the container makes (crypto.subtle exists on Node ≥ 20 and Deno).
 * Keys stay non-extractable CryptoKeys; the only raw secret that ever exists in JavaScript
 * memory is the data key, briefly, while it is wrapped or unwrapped.
 */
import {
  DATA_KEY_LENGTH, GCM_NONCE_LENGTH, INFO_HEADER, INFO_PAYLOAD, MAX_SEGMENTS, TAG_LENGTH,
} from "./constants.ts";

const subtle = globalThis.crypto.subtle;
const ascii = new TextEncoder();

/** A source of random bytes. Only tests and the vector generator pass their own. */
export type Random = (length: number) => Uint8Array;
export const secureRandom: Random = (length) => globalThis.crypto.getRandomValues(new Uint8Array(length));

/** Web Crypto wants ArrayBuffer-backed views; every array here is one. */
export function bs(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u as Uint8Array<ArrayBuffer>;
}

/** The passphrase as the KDF sees it: Unicode NFC, then UTF-8. */
export function passphraseBytes(passphrase: string): Uint8Array {
  return ascii.encode(passphrase.normalize("NFC"));
}

/** KEK = PBKDF2-HMAC-SHA256(passphrase, salt, iterations, 32 bytes), as an AES-256-GCM key. */
export async function deriveKek(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const base = await subtle.importKey("raw", bs(passphraseBytes(passphrase)), "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: bs(salt), iterations },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** The data key as an HKDF input key (non-extractable). */
export function importDataKey(dk: Uint8Array): Promise<CryptoKey> {
  if (dk.length !== DATA_KEY_LENGTH) throw new RangeError("data key must be 32 bytes");
  return subtle.importKey("raw", bs(dk), "HKDF", false, ["deriveKey"]);
}

export interface ContainerKeys {
  /** K_hdr = HKDF-SHA256(DK, salt = nonce base, info = "cofre-enc/v1 header"), an HMAC-SHA256 key. */
  readonly header: CryptoKey;
  /** K_pay = HKDF-SHA256(DK, salt = nonce base, info = "cofre-enc/v1 payload"), an AES-256-GCM key. */
  readonly payload: CryptoKey;
}

export async function deriveContainerKeys(dataKey: CryptoKey, nonceBase: Uint8Array): Promise<ContainerKeys> {
  const hkdf = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: bs(nonceBase), info: bs(ascii.encode(info)) });
  const [header, payload] = await Promise.all([
    subtle.deriveKey(hkdf(INFO_HEADER), dataKey, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign", "verify"]),
    subtle.deriveKey(hkdf(INFO_PAYLOAD), dataKey, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]),
  ]);
  return { header, payload };
}

export async function hmacSign(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle.sign("HMAC", key, bs(data)));
}

/** Constant-time comparison is Web Crypto's (`verify`). */
export function hmacVerify(key: CryptoKey, mac: Uint8Array, data: Uint8Array): Promise<boolean> {
  return subtle.verify("HMAC", key, bs(mac), bs(data));
}

/** AES-256-GCM: ciphertext ‖ 16-byte tag. */
export async function gcmSeal(key: CryptoKey, nonce: Uint8Array, data: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
  const params: AesGcmParams = { name: "AES-GCM", iv: bs(nonce), tagLength: TAG_LENGTH * 8 };
  if (aad) params.additionalData = bs(aad);
  return new Uint8Array(await subtle.encrypt(params, key, bs(data)));
}

/** AES-256-GCM open; `null` when the tag does not verify (never throws for bad input). */
export async function gcmOpen(key: CryptoKey, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Promise<Uint8Array | null> {
  if (sealed.length < TAG_LENGTH) return null;
  const params: AesGcmParams = { name: "AES-GCM", iv: bs(nonce), tagLength: TAG_LENGTH * 8 };
  if (aad) params.additionalData = bs(aad);
  try {
    return new Uint8Array(await subtle.decrypt(params, key, bs(sealed)));
  } catch {
    return null;
  }
}

/** nonce_i = 11-byte big-endian i ‖ (0x01 if i is the last segment, else 0x00). */
export function segmentNonce(index: number, last: boolean): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_SEGMENTS) throw new RangeError("segment index out of range");
  const nonce = new Uint8Array(GCM_NONCE_LENGTH);
  const view = new DataView(nonce.buffer);
  view.setUint32(3, Math.floor(index / 0x1_0000_0000), false);
  view.setUint32(7, index >>> 0, false);
  nonce[11] = last ? 1 : 0;
  return nonce;
}
