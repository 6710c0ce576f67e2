/**
 * AES-256-GCM sealing of one write-only secret (Web Crypto; Node ≥ 20 and Deno).
 *
 * sealed = { keyId, nonce: 12 random bytes, ciphertext: AES-256-GCM(key, nonce, UTF-8 secret,
 * additional data) ‖ 16-byte tag }, the bytes in standard base64. The additional data binds the
 * ciphertext to its owner — "cofre-secret/v1", owner type and owner id joined by NUL — so a
 * ciphertext copied onto another destination or schedule does not open.
 */
import { CofreError } from "../errors.ts";
import { gcmOpen, gcmSeal, secureRandom, type Random } from "../format/crypto/primitives.ts";
import { utf8, utf8Decoder } from "../format/bytes.ts";
import { fromBase64, toBase64 } from "./base64.ts";
import type { SecretKey } from "./key.ts";

export type SecretOwnerType = "destination" | "schedule";

/** Whose secret it is: a destination's credentials or a schedule's encryption passphrase. */
export interface SecretOwner {
  readonly type: SecretOwnerType;
  readonly id: string;
}

/** What the database stores for store `aes_gcm` (cofre.put_sealed_secret's arguments). */
export interface SealedSecret {
  readonly keyId: string;
  readonly nonce: string;
  readonly ciphertext: string;
}

const NONCE_LENGTH = 12;

function additionalData(owner: SecretOwner): Uint8Array {
  return utf8.encode(`cofre-secret/v1\u0000${owner.type}\u0000${owner.id}`);
}

export async function sealSecret(secret: string, key: SecretKey, owner: SecretOwner, random: Random = secureRandom): Promise<SealedSecret> {
  const nonce = random(NONCE_LENGTH);
  const ciphertext = await gcmSeal(key.cryptoKey, nonce, utf8.encode(secret), additionalData(owner));
  return { keyId: key.id, nonce: toBase64(nonce), ciphertext: toBase64(ciphertext) };
}

/**
 * Opens a sealed secret. SECRET_KEY_MISSING when it was sealed under another key id (rotated
 * key not configured); INTEGRITY_MISMATCH when the tag does not verify (altered ciphertext,
 * nonce or owner, or a different key under the same id). Never includes any of the bytes.
 */
export async function openSecret(sealed: SealedSecret, key: SecretKey, owner: SecretOwner): Promise<string> {
  if (sealed.keyId !== key.id) {
    throw new CofreError("SECRET_KEY_MISSING", {
      "pt-BR": `Este segredo foi cifrado com a chave "${sealed.keyId}", mas as funções têm a chave "${key.id}". Configure a chave antiga em COFRE_SECRET_KEY ou cadastre o segredo de novo.`,
      en: `This secret was sealed with key "${sealed.keyId}" but the functions hold key "${key.id}". Configure the old key in COFRE_SECRET_KEY or enter the secret again.`,
    }, { details: { sealed_key_id: sealed.keyId, key_id: key.id, owner_type: owner.type, owner_id: owner.id } });
  }
  let opened: Uint8Array | null = null;
  try {
    opened = await gcmOpen(key.cryptoKey, fromBase64(sealed.nonce), fromBase64(sealed.ciphertext), additionalData(owner));
  } catch {
    opened = null;
  }
  if (opened === null) {
    throw new CofreError("INTEGRITY_MISMATCH", {
      "pt-BR": "Um segredo guardado não passou na verificação de integridade (foi alterado ou pertence a outro destino). Cadastre o segredo de novo.",
      en: "A stored secret failed its integrity check (it was altered or belongs to another owner). Enter the secret again.",
    }, { details: { owner_type: owner.type, owner_id: owner.id } });
  }
  return utf8Decoder.decode(opened);
}
