/**
 * What a function reads from its environment: Supabase's own variables and Cofre's secrets
 * (`supabase secrets set …`). Read at start; never echoed in a response or a log.
 */
import { CofreError } from "../../../packages/shared/src/errors.ts";

export interface FunctionEnv {
  databaseUrl: string | undefined;
  serviceRoleKey: string | undefined;
  passphrase: string | undefined;
}

export function functionEnv(): FunctionEnv {
  return {
    databaseUrl: Deno.env.get("SUPABASE_DB_URL"),
    serviceRoleKey: Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"),
    passphrase: Deno.env.get("COFRE_BACKUP_PASSPHRASE"),
  };
}

/** The passphrase encrypted backups use, from the COFRE_BACKUP_PASSPHRASE secret. */
export function backupPassphrase(value: string | undefined): string {
  if (!value) {
    throw new CofreError("PASSPHRASE_REQUIRED", {
      "pt-BR": "A função não tem a senha de backup: configure o segredo COFRE_BACKUP_PASSPHRASE (supabase secrets set).",
      en: "The function has no backup passphrase: set the COFRE_BACKUP_PASSPHRASE secret (supabase secrets set).",
    });
  }
  return value;
}

export function requireDatabaseUrl(value: string | undefined): string {
  if (!value) {
    throw new CofreError("SOURCE_CONNECTION", {
      "pt-BR": "A função não tem SUPABASE_DB_URL configurada.",
      en: "The function has no SUPABASE_DB_URL configured.",
    });
  }
  return value;
}
