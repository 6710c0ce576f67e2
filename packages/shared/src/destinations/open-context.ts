/**
 * What an adapter gets besides its URL when it is opened: where its credentials come from,
 * the network policy (SSRF guard) and, for tests, a fetch to send HTTP through.
 *
 * Adapter modules (`s3.ts`, `sftp.ts`, …) export `open(url, ctx): Promise<Destination>`;
 * registry.ts maps URL schemes to them and imports them lazily, so the edge functions load
 * only the SDKs they use.
 */
import { CofreError } from "../errors.ts";
import { credentialFromFile, type CredentialsFile } from "./credentials-file.ts";

/**
 * Credential fields by name (`access_key_id`, `secret_access_key`, `password`,
 * `private_key`, `refresh_token`, `client_id`, `client_secret`, `access_grant`…).
 * Resolution order: `explicit` (the database's secret store), then the credentials file
 * (credentials-file.ts: profile → kind → field), then the environment as `COFRE_<KIND>_<FIELD>`, or `COFRE_<KIND>_<PROFILE>_<FIELD>` when the spec
 * says `?profile=<name>` (KIND and FIELD upper-snake: `COFRE_S3_SECRET_ACCESS_KEY`,
 * `COFRE_SUPABASE_STORAGE_ACCESS_KEY_ID`, `COFRE_SFTP_BACKUP2_PASSWORD`).
 */
export interface CredentialSource {
  explicit?: Readonly<Record<string, string>>;
  file?: CredentialsFile;
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
  /**
   * A request or connection that makes no progress for this long fails with
   * DESTINATION_NETWORK (then withRetry decides). Default DEFAULT_IO_TIMEOUT_MS; the
   * conformance suite passes a short one to its stall/timeout cases.
   */
  ioTimeoutMs?: number;
}

/** Idle time after which a destination request is considered dead. */
export const DEFAULT_IO_TIMEOUT_MS = 60_000;

/** The context's I/O timeout, or the default. */
export function ioTimeoutOf(ctx: OpenContext): number {
  return ctx.ioTimeoutMs ?? DEFAULT_IO_TIMEOUT_MS;
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
  const profile = url.searchParams.get("profile");
  const fromFile = credentialFromFile(ctx.credentials.file, kind, field, profile);
  if (fromFile !== undefined) return fromFile.reveal();
  const v = ctx.credentials.env?.(credentialEnvName(kind, field, profile));
  return v === undefined || v === "" ? undefined : v;
}

/** One credential field the adapter cannot work without; a clear error names where to put it. */
export function requireCredential(ctx: OpenContext, kind: string, url: URL, field: string): string {
  const v = findCredential(ctx, kind, url, field);
  if (v !== undefined) return v;
  const envName = credentialEnvName(kind, field, url.searchParams.get("profile"));
  throw new CofreError("DESTINATION_CREDENTIALS_MISSING", {
    "pt-BR": `Falta a credencial "${field}" do destino ${kind}. Defina ${envName} no ambiente, ou profiles.${profileOf(url)}.${kind}.${field} no arquivo de credenciais (--credentials-file), ou salve-a nas configurações do destino.`,
    en: `The ${kind} destination's "${field}" credential is missing. Set ${envName} in the environment, or profiles.${profileOf(url)}.${kind}.${field} in the credentials file (--credentials-file), or save it in the destination's settings.`,
  }, { details: { kind, field, env: envName } });
}

function profileOf(url: URL): string {
  return url.searchParams.get("profile") ?? "default";
}

/** The process environment on Node or Deno; undefined for a variable Deno may not read. */
export function environmentLookup(): (name: string) => string | undefined {
  const g = globalThis as {
    process?: { env: Record<string, string | undefined> };
    Deno?: { env: { get(name: string): string | undefined } };
  };
  if (g.process?.env) {
    const env = g.process.env;
    return (name) => env[name];
  }
  const deno = g.Deno;
  return (name) => {
    try {
      return deno?.env.get(name);
    } catch {
      return undefined; // no --allow-env for this variable
    }
  };
}

/** `COFRE_ALLOW_PRIVATE_HOSTS=127.0.0.1, minio.lan` → ["127.0.0.1", "minio.lan"]. */
export function parseAllowList(text: string | undefined): string[] {
  return (text ?? "").split(",").map((h) => h.trim().toLowerCase()).filter((h) => h.length > 0);
}

/**
 * The context the CLI and the registry use by default: credentials from the environment
 * (plus an optional credentials file), and the private hosts the operator allows in
 * COFRE_ALLOW_PRIVATE_HOSTS (none by default: the SSRF guard refuses them all).
 */
export function contextFromEnvironment(
  env: (name: string) => string | undefined = environmentLookup(),
  file?: CredentialsFile,
): OpenContext {
  return {
    credentials: { env, ...(file ? { file } : {}) },
    network: { allowPrivateHosts: parseAllowList(env("COFRE_ALLOW_PRIVATE_HOSTS")) },
  };
}
