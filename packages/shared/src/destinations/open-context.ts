/**
 * What an adapter gets besides its URL when it is opened: where its credentials come from,
 * the network policy (SSRF guard) and, for tests, a fetch to send HTTP through.
 *
 * Adapter modules (`s3.ts`, `sftp.ts`, …) export `open(url, ctx): Promise<Destination>`;
 * registry.ts maps URL schemes to them and imports them lazily, so the edge functions load
 * only the SDKs they use.
 */
import { CofreError } from "../errors.ts";

/**
 * Credential fields by name (`access_key_id`, `secret_access_key`, `password`,
 * `private_key`, `refresh_token`, `client_id`, `client_secret`, `access_grant`…).
 * Resolution order: `explicit` (a config file or the database's secret store), then the
 * environment as `COFRE_<KIND>_<FIELD>`, or `COFRE_<KIND>_<PROFILE>_<FIELD>` when the spec
 * says `?profile=<name>` (KIND and FIELD upper-snake: `COFRE_S3_SECRET_ACCESS_KEY`,
 * `COFRE_SUPABASE_STORAGE_ACCESS_KEY_ID`, `COFRE_SFTP_BACKUP2_PASSWORD`).
 */
export interface CredentialSource {
  explicit?: Readonly<Record<string, string>>;
  env?: (name: string) => string | undefined;
}

/** Hosts a destination may reach although they resolve to a private address (tests: 127.0.0.1). */
export interface NetworkPolicy {
  allowPrivateHosts: readonly string[];
}

export interface OpenContext {
  credentials: CredentialSource;
  network: NetworkPolicy;
  /** HTTP client for HTTP-based adapters; tests pass a fault-injecting one. Default: globalThis.fetch. */
  fetch?: typeof fetch;
}

function upperSnake(s: string) {
  return s.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
}

/** The environment variable a credential field is read from (see CredentialSource). */
export function credentialEnvName(kind: string, field: string, profile?: string | null): string {
  return ["COFRE", upperSnake(kind), ...(profile ? [upperSnake(profile)] : []), upperSnake(field)].join("_");
}

/** One credential field, or undefined when no source has it. */
export function findCredential(ctx: OpenContext, kind: string, url: URL, field: string): string | undefined {
  const explicit = ctx.credentials.explicit?.[field];
  if (explicit !== undefined && explicit !== "") return explicit;
  const v = ctx.credentials.env?.(credentialEnvName(kind, field, url.searchParams.get("profile")));
  return v === undefined || v === "" ? undefined : v;
}

/** One credential field the adapter cannot work without; a clear error names where to put it. */
export function requireCredential(ctx: OpenContext, kind: string, url: URL, field: string): string {
  const v = findCredential(ctx, kind, url, field);
  if (v !== undefined) return v;
  const envName = credentialEnvName(kind, field, url.searchParams.get("profile"));
  throw new CofreError("DESTINATION_CREDENTIALS_MISSING", {
    "pt-BR": `Falta a credencial "${field}" do destino ${kind}. Defina ${envName} no ambiente, no arquivo de configuração ou salve-a nas configurações do destino.`,
    en: `The ${kind} destination's "${field}" credential is missing. Set ${envName} in the environment or the config file, or save it in the destination's settings.`,
  }, { details: { kind, field, env: envName } });
}
