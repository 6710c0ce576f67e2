/**
 * `scheme://user@host:port/path` specs of the login-based kinds (ftp, ftps, sftp). The path is
 * absolute on the server; `/~/sub` means `sub` below the login directory. A password in the
 * URL is refused: specs are shown back and stored, credentials are not.
 */
import { CofreError } from "../errors.ts";
import { redactUrls } from "../redacted.ts";

export interface RemoteSpec {
  user: string;
  host: string;
  port: number;
  /** Absolute ("/backups") or, when `loginRelative`, relative to the login directory ("backups"). */
  root: string;
  loginRelative: boolean;
}

function invalid(url: URL, pt: string, en: string): CofreError {
  const spec = redactUrls(url.href);
  return new CofreError("INVALID_INPUT", {
    "pt-BR": `Destino inválido: ${spec}. ${pt}`,
    en: `Invalid destination: ${spec}. ${en}`,
  }, { details: { spec } });
}

export function parseRemoteSpec(url: URL, defaultPort: number, credentialEnv: string): RemoteSpec {
  const scheme = url.protocol.replace(/:$/, "");
  if (url.password !== "") {
    throw invalid(url,
      `Não coloque a senha na URL; use ${credentialEnv} ou as configurações do destino.`,
      `Do not put the password in the URL; use ${credentialEnv} or the destination's settings.`);
  }
  const user = decodeURIComponent(url.username);
  if (!user || !url.hostname) {
    throw invalid(url,
      `Use ${scheme}://usuario@servidor:porta/caminho.`,
      `Use ${scheme}://user@host:port/path.`);
  }
  const path = decodeURIComponent(url.pathname);
  if (path.includes("\0") || path.split("/").some((p) => p === "." || p === "..")) {
    throw invalid(url, "O caminho não pode ter segmentos . ou ..", "The path may not contain . or .. segments.");
  }
  const loginRelative = path === "/~" || path.startsWith("/~/");
  const segments = (loginRelative ? path.slice(2) : path).split("/").filter(Boolean);
  return {
    user,
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : defaultPort,
    root: loginRelative ? segments.join("/") : `/${segments.join("/")}`,
    loginRelative,
  };
}

/** The spec as shown back: no credentials, only the named non-secret parameters. */
export function displayRemoteSpec(url: URL, keepParams: readonly string[]): string {
  const shown = new URL(url.href);
  shown.password = "";
  for (const k of [...shown.searchParams.keys()]) if (!keepParams.includes(k)) shown.searchParams.delete(k);
  return shown.href;
}

/** Joins an absolute or login-relative directory with a `/`-separated key. */
export function remoteJoin(base: string, key: string): string {
  if (key === "") return base;
  if (base === "" ) return key;
  return base.endsWith("/") ? `${base}${key}` : `${base}/${key}`;
}

/** The directory part of a remote path ("" for a bare relative name). */
export function remoteDirname(path: string): string {
  const i = path.lastIndexOf("/");
  if (i < 0) return "";
  return i === 0 ? "/" : path.slice(0, i);
}
