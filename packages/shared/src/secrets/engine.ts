/**
 * What the engine reads of the write-only secrets, in the shapes it uses them:
 *
 *   - a destination's credentials: a record of credential fields (`access_key_id`,
 *     `secret_access_key`, `password`, `private_key`, `refresh_token`…), the `explicit` source of
 *     the destination's OpenContext (destinations/open-context.ts), which adapters read first;
 *   - a schedule's encryption passphrase.
 *
 * The save-secret Edge Function stores credentials as `credentialsSecret(values)` — canonical JSON
 * of that record — so this module is the one place that knows the format both ways. Reads go
 * through readSecret (service_role, audited by the database as `<owner>.secret_read`).
 * Errors never include a value: a stored credential that is not such a record is refused with its
 * owner only.
 */
import { z } from "zod";
import { CofreError } from "../errors.ts";
import type { CredentialSource } from "../destinations/open-context.ts";
import type { Db } from "../sources/postgres/db.ts";
import type { SecretKey } from "./key.ts";
import { readSecret } from "./store.ts";

/** Credential field names: lower snake case, as the adapters ask for them (`requireCredential`). */
export const CREDENTIAL_FIELD = /^[a-z][a-z0-9_]{0,63}$/;

/** A destination's credentials as the tab submits them: 1 to 32 fields of 1 to 16384 characters. */
export const CredentialFields = z.record(z.string().regex(CREDENTIAL_FIELD), z.string().min(1).max(16384))
  .refine((r) => Object.keys(r).length >= 1 && Object.keys(r).length <= 32, { message: "1 to 32 credential fields" });
export type CredentialFields = z.infer<typeof CredentialFields>;

/** The text stored for a destination's credentials: JSON of the fields in name order (same input → same text). */
export function credentialsSecret(values: CredentialFields): string {
  const sorted: Record<string, string> = {};
  for (const name of Object.keys(values).sort()) sorted[name] = values[name]!;
  return JSON.stringify(sorted);
}

function unreadable(destinationId: string): CofreError {
  return new CofreError("INVALID_INPUT", {
    "pt-BR": "As credenciais guardadas deste destino não estão no formato esperado. Cadastre-as de novo nas configurações do destino.",
    en: "This destination's stored credentials are not in the expected format. Enter them again in the destination's settings.",
  }, { details: { owner_type: "destination", owner_id: destinationId } });
}

/** The credential fields saved for a destination, or null when none were saved. */
export async function readDestinationCredentials(db: Db, destinationId: string, key: SecretKey | null): Promise<Readonly<CredentialFields> | null> {
  const text = await readSecret(db, { type: "destination", id: destinationId }, key);
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw unreadable(destinationId);
  }
  const fields = CredentialFields.safeParse(parsed);
  if (!fields.success) throw unreadable(destinationId);
  return Object.freeze(fields.data);
}

/**
 * The credential source of a destination's OpenContext: its saved fields as `explicit`, on top of
 * `base` (the worker's credentials file / environment, consulted for fields not saved).
 */
export async function destinationCredentialSource(
  db: Db,
  destinationId: string,
  key: SecretKey | null,
  base: CredentialSource = {},
): Promise<CredentialSource> {
  const explicit = await readDestinationCredentials(db, destinationId, key);
  return explicit === null ? base : { ...base, explicit };
}

/** A schedule's encryption passphrase, or null when none was set. */
export function readSchedulePassphrase(db: Db, scheduleId: string, key: SecretKey | null): Promise<string | null> {
  return readSecret(db, { type: "schedule", id: scheduleId }, key);
}
