/**
 * Writing and reading write-only secrets through the database's service-role RPCs
 * (supabase/migrations/20261125020300_cofre_secrets.sql). Run only by the Edge Functions and the
 * worker, with a service-role connection and the functions' key:
 *
 *   writeSecret — the secrets function, for the signed-in admin whose id it verified from the JWT
 *                 (actorId): on Supabase (Vault installed) it hands the plaintext to Vault
 *                 (cofre.put_vault_secret); elsewhere it seals it here with AES-256-GCM under
 *                 COFRE_SECRET_KEY and stores only key id, nonce and ciphertext
 *                 (cofre.put_sealed_secret). The database checks actorId's role and sets the hint.
 *   readSecret  — the engine, when it opens a destination or encrypts a backup (audited).
 *
 * Errors never carry the secret: database errors are rebuilt from their SQLSTATE and message only
 * (the driver's error object holds the query parameters, so it is not kept as a cause).
 */
import { z } from "zod";
import { CofreError, isCofreError } from "../errors.ts";
import type { Db } from "../sources/postgres/db.ts";
import { rpc, rpcRows } from "../db/rpc.ts";
import { secretHint } from "./hint.ts";
import { SECRET_KEY_ENV, type SecretKey } from "./key.ts";
import { openSecret, sealSecret, type SecretOwner } from "./seal.ts";

export type SecretStoreKind = "aes_gcm" | "vault";

const StoreKind = z.enum(["aes_gcm", "vault"]);
/** One row of cofre.read_secret_for_engine (the generated type says non-null; sealed rows have no secret, Vault rows no parts). */
const EngineSecretRow = z.object({
  store: StoreKind,
  key_id: z.string().nullable(),
  nonce: z.string().nullable(),
  ciphertext: z.string().nullable(),
  secret: z.string().nullable(),
});

const Owner = z.object({ type: z.enum(["destination", "schedule"]), id: z.string().uuid() });

export interface WriteSecretInput {
  readonly owner: SecretOwner;
  /** The user the secret is set for (verified from their JWT); must be an admin of the owner's clinic. */
  readonly actorId: string;
  /** A destination's credentials (1 to 65536 characters, e.g. a JSON document) or a schedule's passphrase (12 to 1024). */
  readonly secret: string;
}

function invalid(pt: string, en: string, details: Record<string, unknown> = {}): CofreError {
  return new CofreError("INVALID_INPUT", { "pt-BR": pt, en }, { details });
}

function checkInput(input: WriteSecretInput): void {
  if (!Owner.safeParse(input.owner).success || !z.string().uuid().safeParse(input.actorId).success) {
    throw invalid("Destino, agenda ou usuário inválido.", "Invalid destination, schedule or user id.");
  }
  const n = Array.from(input.secret ?? "").length;
  if (input.owner.type === "schedule" && (n < 12 || n > 1024)) {
    throw invalid("A senha de criptografia precisa ter de 12 a 1024 caracteres.",
      "The encryption passphrase must have 12 to 1024 characters.", { owner_type: "schedule" });
  }
  if (n < 1 || n > 65536) {
    throw invalid("A credencial precisa ter de 1 a 65536 caracteres.", "The credentials must have 1 to 65536 characters.",
      { owner_type: input.owner.type });
  }
}

/** A database error rebuilt from its SQLSTATE, message and hint only (no parameters, no cause). */
function fromDatabase(e: unknown): Error {
  if (isCofreError(e)) return e;
  const err = e as { code?: unknown; message?: unknown; hint?: unknown };
  const sqlstate = typeof err.code === "string" ? err.code : undefined;
  const message = typeof err.message === "string" ? err.message : "unknown error";
  const details = { sqlstate, hint: typeof err.hint === "string" ? err.hint : undefined, reason: message };
  if (sqlstate === "42501") {
    return new CofreError("PERMISSION_DENIED", {
      "pt-BR": "Você não tem permissão para alterar segredos deste destino ou agenda (é preciso ser administrador da clínica).",
      en: "You may not change secrets of this destination or schedule (clinic admins only).",
    }, { details });
  }
  if (sqlstate === "22023" || sqlstate === "55000") {
    return invalid(`O banco recusou o segredo: ${message}`, `The database refused the secret: ${message}`, details);
  }
  return new Error(`secret store: ${sqlstate ?? "no SQLSTATE"} ${message}`);
}

/** Which store this database offers (cofre.get_secret_store). */
export async function secretStoreOf(db: Db): Promise<SecretStoreKind> {
  return StoreKind.parse(await rpc(db, "get_secret_store"));
}

/** Stores (or replaces) a secret; returns when it was set. `key` may be null only where Vault is installed. */
export async function writeSecret(db: Db, input: WriteSecretInput, key: SecretKey | null): Promise<Date> {
  checkInput(input);
  const { owner, actorId, secret } = input;
  const hint = secretHint(secret);
  try {
    if ((await secretStoreOf(db)) === "vault") {
      return new Date(await rpc(db, "put_vault_secret", {
        p_owner_type: owner.type, p_owner_id: owner.id, p_actor_id: actorId, p_hint: hint, p_secret: secret,
      }));
    }
    if (key === null) {
      throw new CofreError("SECRET_KEY_MISSING", {
        "pt-BR": `As funções não têm a chave de segredos (${SECRET_KEY_ENV}); sem ela o segredo não pode ser guardado.`,
        en: `The functions hold no secret key (${SECRET_KEY_ENV}); without it the secret cannot be stored.`,
      }, { details: { variable: SECRET_KEY_ENV } });
    }
    const sealed = await sealSecret(secret, key, owner);
    return new Date(await rpc(db, "put_sealed_secret", {
      p_owner_type: owner.type, p_owner_id: owner.id, p_actor_id: actorId, p_hint: hint,
      p_key_id: sealed.keyId, p_nonce: sealed.nonce, p_ciphertext: sealed.ciphertext,
    }));
  } catch (e) {
    throw fromDatabase(e);
  }
}

/** The plaintext of a secret for the engine (audited by the database), or null when none is set. */
export async function readSecret(db: Db, owner: SecretOwner, key: SecretKey | null): Promise<string | null> {
  if (!Owner.safeParse(owner).success) throw invalid("Destino ou agenda inválido.", "Invalid destination or schedule id.");
  let rows: unknown[];
  try {
    rows = await rpcRows(db, "read_secret_for_engine", { p_owner_type: owner.type, p_owner_id: owner.id });
  } catch (e) {
    throw fromDatabase(e);
  }
  if (rows.length === 0) return null;
  const row = EngineSecretRow.parse(rows[0]);
  if (row.store === "vault") return row.secret;
  if (key === null) {
    throw new CofreError("SECRET_KEY_MISSING", {
      "pt-BR": `As funções não têm a chave de segredos (${SECRET_KEY_ENV}) para abrir este segredo.`,
      en: `The functions hold no secret key (${SECRET_KEY_ENV}) to open this secret.`,
    }, { details: { variable: SECRET_KEY_ENV } });
  }
  return openSecret({ keyId: row.key_id!, nonce: row.nonce!, ciphertext: row.ciphertext! }, key, owner);
}
