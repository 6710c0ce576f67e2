/**
 * How commands get their connections without secrets on the command line (argv shows in `ps`
 * and shell history): the database URL from `--db` or, holding a password, `--db-env VAR`;
 * destination credentials from the environment (COFRE_<KIND>_<FIELD>) or a credentials file
 * (`--credentials-file F` or COFRE_CREDENTIALS_FILE); private hosts the operator allows from
 * COFRE_ALLOW_PRIVATE_HOSTS.
 */
import { loadCredentialsFile } from "@cofre/shared/destinations/credentials-file.ts";
import { contextFromEnvironment, type OpenContext } from "@cofre/shared/destinations/open-context.ts";
import { openDestination } from "@cofre/shared/destinations/registry.ts";
import type { Destination } from "@cofre/shared/destinations/contract.ts";
import { UsageError } from "./args.ts";

/** Options of every command that takes `--db`. */
export const DB_OPTIONS = {
  db: { type: "string" },
  "db-env": { type: "string" },
} as const;

/** Options of every command that opens a destination. */
export const DESTINATION_OPTIONS = {
  "credentials-file": { type: "string" },
} as const;

/**
 * The database URL from `--db URL` or `--db-env VAR` (the variable's value), else the
 * `fallbackEnv` variable if given. A password typed into `--db` still works, with a warning.
 */
export function readDatabaseUrl(
  values: { db?: string; "db-env"?: string },
  opts: { fallbackEnv?: string; warn?: (text: string) => void } = {},
): string | undefined {
  const direct = values.db;
  const envName = values["db-env"];
  if (direct !== undefined && envName !== undefined) {
    throw new UsageError("use --db ou --db-env, não os dois", "use --db or --db-env, not both");
  }
  if (envName !== undefined) {
    const v = process.env[envName];
    if (v === undefined || v === "") throw new UsageError(`--db-env: a variável ${envName} não está definida`, `--db-env: variable ${envName} is not set`);
    return v;
  }
  if (direct !== undefined) {
    if (hasPassword(direct)) {
      opts.warn?.("aviso: a senha em --db fica visível em `ps` e no histórico do shell; prefira --db-env VAR / warning: a password in --db shows in `ps` and shell history; prefer --db-env VAR");
    }
    return direct;
  }
  return opts.fallbackEnv ? process.env[opts.fallbackEnv] : undefined;
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== "";
  } catch {
    return /:\/\/[^/@]*:[^/@]*@/.test(url);
  }
}

/** The OpenContext for this run: the environment, plus the credentials file if one is named. */
export async function destinationContext(values: { "credentials-file"?: string }): Promise<OpenContext> {
  const path = values["credentials-file"] ?? (process.env.COFRE_CREDENTIALS_FILE || undefined);
  return contextFromEnvironment(undefined, path === undefined ? undefined : await loadCredentialsFile(path));
}

/** Opens `spec` with the run's context (see destinationContext). */
export async function openCliDestination(spec: string, values: { "credentials-file"?: string }): Promise<Destination> {
  return openDestination(spec, await destinationContext(values));
}
