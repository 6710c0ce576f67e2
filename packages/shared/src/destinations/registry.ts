/**
 * Every destination kind, by URL scheme (as restic's all.go): one place to add a kind; a
 * duplicate scheme throws at load. Specs carry no credentials — those come from the
 * environment, a config file or the database's secret store.
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CofreError } from "../errors.ts";
import { redactUrls } from "../redacted.ts";
import type { Destination } from "./contract.ts";
import { LocalDestination } from "./local.ts";

type Opener = (url: URL) => Destination;

const OPENERS = new Map<string, Opener>();
/** Kinds the product names whose adapters are not in this build yet. */
const PLANNED = ["supabase-storage:", "s3:", "storj:", "gdrive:", "dropbox:", "ftp:", "ftps:", "sftp:"];

export function registerDestination(scheme: string, open: Opener): void {
  if (OPENERS.has(scheme)) throw new Error(`destination scheme ${scheme} registered twice`);
  OPENERS.set(scheme, open);
}

registerDestination("file:", (url) => {
  if (url.host !== "" && url.host !== "localhost") {
    throw invalidSpec(url.href, "file:// URLs name a local path: file:///var/backups/orthoplus");
  }
  return new LocalDestination(fileURLToPath(url));
});

function invalidSpec(rawSpec: string, hint: string): CofreError {
  const spec = redactUrls(rawSpec);
  return new CofreError("INVALID_INPUT", {
    "pt-BR": `Destino inválido: ${spec}. ${hint}`,
    en: `Invalid destination: ${spec}. ${hint}`,
  }, { details: { spec } });
}

/**
 * Opens a destination from its spec: a URL (`file:///var/backups/orthoplus`) or, for
 * convenience, a plain filesystem path.
 */
export function openDestination(spec: string): Destination {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(spec)) {
    return new LocalDestination(isAbsolute(spec) ? spec : resolve(spec));
  }
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw invalidSpec(spec, "Use file:///caminho/absoluto.");
  }
  const open = OPENERS.get(url.protocol);
  if (open) return open(url);
  if (PLANNED.includes(url.protocol)) {
    throw new CofreError("DESTINATION_UNSUPPORTED", {
      "pt-BR": `O destino ${url.protocol}// ainda não está disponível nesta versão do Cofre. Use file:///caminho por enquanto.`,
      en: `The ${url.protocol}// destination is not available in this version of Cofre yet. Use file:///path for now.`,
    }, { details: { scheme: url.protocol } });
  }
  throw invalidSpec(spec, `Esquema desconhecido ${url.protocol} / unknown scheme.`);
}
