/**
 * Every destination kind, by URL scheme (as restic's all.go): one table to add a kind. Adapter
 * modules are imported lazily (literal specifiers, so Deno's bundler still sees them), so a
 * run loads only the client library it uses. Specs carry no credentials — those come from
 * the OpenContext: the database's secret store, a credentials file or the environment.
 */
import { isAbsolute, resolve } from "node:path";
import { CofreError, describeError } from "../errors.ts";
import { REDACTED } from "../redacted.ts";
import type { Destination } from "./contract.ts";
import { contextFromEnvironment, credentialEnvName, type OpenContext } from "./open-context.ts";

interface AdapterModule {
  open(url: URL, ctx: OpenContext): Promise<Destination>;
}

interface Kind {
  /** The kind's name in credential variables and files (COFRE_<KIND>_<FIELD>). */
  kind: string;
  example: string;
  load: () => Promise<AdapterModule>;
}

const KINDS: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  ["file:", { kind: "local", example: "file:///var/backups/orthoplus", load: () => import("./local.ts") }],
  ["s3:", { kind: "s3", example: "s3://bucket/prefix?region=sa-east-1", load: () => import("./s3.ts") }],
  ["supabase-storage:", { kind: "supabase-storage", example: "supabase-storage://bucket/prefix", load: () => import("./supabase-storage.ts") }],
  ["storj:", { kind: "storj", example: "storj://bucket/prefix", load: () => import("./storj.ts") }],
  ["gdrive:", { kind: "gdrive", example: "gdrive://Backups", load: () => import("./gdrive.ts") }],
  ["dropbox:", { kind: "dropbox", example: "dropbox:///Backups", load: () => import("./dropbox.ts") }],
  ["ftp:", { kind: "ftp", example: "ftp://user@host:21/backups", load: () => import("./ftp.ts") }],
  ["ftps:", { kind: "ftps", example: "ftps://user@host:21/backups", load: () => import("./ftp.ts") }],
  ["sftp:", { kind: "sftp", example: "sftp://user@host:22/backups", load: () => import("./sftp.ts") }],
]);

/** The URL schemes `openDestination` accepts, e.g. "s3:". */
export const DESTINATION_SCHEMES: readonly string[] = [...KINDS.keys()];

/** Query parameters that would put a secret into a spec (which is shown back and stored). */
// (A bare `token` is gdrive's token-endpoint URL, not a secret; `refresh_token` & co. are.)
const SECRET_PARAM = /pass(word|wd)?|secret|_token$|grant|private_key|credential|signature|api_?key|access_key|^key$/i;

function invalidSpec(spec: string, pt: string, en: string): CofreError {
  const shown = redactSpec(spec);
  return new CofreError("INVALID_INPUT", {
    "pt-BR": `Destino inválido: ${shown}. ${pt}`,
    en: `Invalid destination: ${shown}. ${en}`,
  }, { details: { spec: shown } });
}

/**
 * A spec as it may be printed before (or without) opening it: no URL password, and the value
 * of any secret-looking query parameter replaced by **redacted**. Adapters' `displaySpec` is
 * the authoritative form once opened.
 */
export function redactSpec(spec: string): string {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    // Not a URL: hide anything that looks like `user:secret@`.
    return spec.replace(/\/\/([^/@\s:]*):[^@\s]*@/g, `//$1:${REDACTED}@`);
  }
  if (url.password) url.password = REDACTED;
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, REDACTED);
  }
  return url.href.replaceAll(encodeURIComponent(REDACTED), REDACTED);
}

/** Checks a spec's shape before any adapter sees it; returns the URL and its kind. */
export function parseSpec(spec: string): { url: URL; kind: Kind } {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw invalidSpec(spec,
      "Não é uma URL válida (espaços e sinais como + no nome vão codificados: %20, %2B). Exemplos: file:///var/backups, s3://bucket/prefixo, gdrive://Ortho%2B%20Backups, sftp://usuario@host:22/backups.",
      "Not a valid URL (spaces and signs such as + in a name are percent-encoded: %20, %2B). Examples: file:///var/backups, s3://bucket/prefix, gdrive://Ortho%2B%20Backups, sftp://user@host:22/backups.");
  }
  const kind = KINDS.get(url.protocol);
  if (!kind) {
    const known = [...KINDS.values()].map((k) => k.example).join(", ");
    throw invalidSpec(spec, `Tipo de destino desconhecido (${url.protocol}). Use um de: ${known}.`,
      `Unknown destination kind (${url.protocol}). Use one of: ${known}.`);
  }
  if (url.password !== "") {
    const env = credentialEnvName(kind.kind, "password");
    throw invalidSpec(spec,
      `Não coloque a senha na URL (ela seria exibida e gravada); use ${env}, o arquivo de credenciais ou as configurações do destino.`,
      `Do not put the password in the URL (it would be shown and stored); use ${env}, the credentials file or the destination's settings.`);
  }
  const secretParams = [...url.searchParams.keys()].filter((k) => SECRET_PARAM.test(k));
  if (secretParams.length > 0) {
    const env = credentialEnvName(kind.kind, "field").replace(/_FIELD$/, "_…");
    throw invalidSpec(spec,
      `Credenciais não vão na URL (${secretParams.join(", ")}); use as variáveis ${env}, o arquivo de credenciais ou as configurações do destino.`,
      `Credentials do not belong in the URL (${secretParams.join(", ")}); use the ${env} variables, the credentials file or the destination's settings.`);
  }
  return { url, kind };
}

/**
 * Opens a destination from its spec: a URL (`s3://bucket/prefix`, see docs/destinations.md)
 * or, for convenience, a plain filesystem path. `ctx` defaults to the environment
 * (contextFromEnvironment). Fails with INVALID_INPUT for a malformed spec,
 * DESTINATION_UNSUPPORTED when the kind's module cannot be loaded, or the adapter's own error.
 */
export async function openDestination(spec: string, ctx: OpenContext = contextFromEnvironment()): Promise<Destination> {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(spec)) {
    if (spec.trim() === "") throw invalidSpec(spec, "O destino está vazio.", "The destination is empty.");
    const { LocalDestination } = await import("./local.ts");
    return new LocalDestination(isAbsolute(spec) ? spec : resolve(spec));
  }
  const { url, kind } = parseSpec(spec);
  let mod: AdapterModule;
  try {
    mod = await kind.load();
  } catch (e) {
    throw new CofreError("DESTINATION_UNSUPPORTED", {
      "pt-BR": `O destino ${url.protocol}// não pôde ser carregado nesta instalação do Cofre (${describeError(e)}).`,
      en: `The ${url.protocol}// destination could not be loaded in this Cofre installation (${describeError(e)}).`,
    }, { details: { scheme: url.protocol }, cause: e });
  }
  return mod.open(url, ctx);
}
