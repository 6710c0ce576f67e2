/**
 * The functions' key for write-only secrets. Only the Edge Functions and the worker hold it (from
 * their environment, COFRE_SECRET_KEY); the database never sees it, so nothing in the database
 * can open what it seals. On the local stack scripts/stack/keys.ts generates it once per checkout.
 *
 * Format: `<key id>:<32 random bytes in standard base64>`, e.g. `k20261125:q83v…=`. The key id
 * is stored next to every ciphertext, so a rotated key is recognised (not misused) on read.
 */
import { z } from "zod";
import { CofreError } from "../errors.ts";
import { Redacted } from "../redacted.ts";
import { bs } from "../format/crypto/primitives.ts";
import { fromBase64 } from "./base64.ts";

export const SECRET_KEY_ENV = "COFRE_SECRET_KEY";

const KeyText = z.string().regex(/^[A-Za-z0-9_.-]{1,64}:[A-Za-z0-9+/]{43}=$/);

/** An AES-256-GCM key with its id. Prints as `**redacted**` however it is printed. */
export class SecretKey extends Redacted {
  readonly #id: string;
  readonly #key: CryptoKey;
  constructor(id: string, key: CryptoKey) {
    super();
    this.#id = id;
    this.#key = key;
  }
  /** The key id (not secret): stored with each ciphertext. */
  get id(): string {
    return this.#id;
  }
  /** The non-extractable Web Crypto key. */
  get cryptoKey(): CryptoKey {
    return this.#key;
  }
}

function keyMissing(reason: string): CofreError {
  return new CofreError("SECRET_KEY_MISSING", {
    "pt-BR": `A chave de segredos das funções (${SECRET_KEY_ENV}) ${reason}. Defina-a no ambiente das Edge Functions no formato <id>:<32 bytes em base64> (no ambiente local, \`npm run stack:up\` cria uma).`,
    en: `The functions' secret key (${SECRET_KEY_ENV}) ${reason}. Set it in the Edge Functions' environment as <id>:<32 bytes in base64> (locally, \`npm run stack:up\` creates one).`,
  }, { details: { variable: SECRET_KEY_ENV } });
}

/** Parses `<id>:<base64 of 32 bytes>` into a non-extractable AES-256-GCM key. Never echoes the text. */
export async function parseSecretKey(text: string | undefined): Promise<SecretKey> {
  if (text === undefined || text === "") throw keyMissing("não está definida / is not set");
  const parsed = KeyText.safeParse(text.trim());
  if (!parsed.success) throw keyMissing("está mal formada / is malformed");
  const [id, b64] = parsed.data.split(":") as [string, string];
  const raw = fromBase64(b64);
  if (raw.length !== 32) throw keyMissing("está mal formada / is malformed");
  const key = await globalThis.crypto.subtle.importKey("raw", bs(raw), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  raw.fill(0);
  return new SecretKey(id, key);
}

/** The key from an environment (Deno.env.toObject(), process.env, or the stack's .stack/env). */
export function loadSecretKey(env: Record<string, string | undefined>): Promise<SecretKey> {
  return parseSecretKey(env[SECRET_KEY_ENV]);
}
