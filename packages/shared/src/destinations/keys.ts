import { CofreError } from "../errors.ts";

/** Object keys: relative, `/`-separated, no empty, `.` or `..` segments, no NUL or backslash. */
export function assertValidKey(key: string): void {
  const bad = key.length === 0 || key.length > 1024 || key.startsWith("/") || key.includes("\\") ||
    key.includes("\0") || key.split("/").some((p) => p === "" || p === "." || p === "..");
  if (bad) {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": `Chave de objeto inválida: ${JSON.stringify(key)}.`,
      en: `Invalid object key: ${JSON.stringify(key)}.`,
    }, { details: { key } });
  }
}

/** Joins key segments with `/`, ignoring empty ones. */
export function joinKey(...parts: string[]): string {
  return parts.flatMap((p) => p.split("/")).filter((p) => p.length > 0).join("/");
}

/**
 * The name prefix of a put's temporary file (local, FTP, SFTP: written under it, then
 * renamed over the key). Such names are never listed as objects.
 */
export const TEMP_MARK = ".cofre-partial-";

/**
 * A temporary file untouched this long is a crashed put's leftover: a live put writes to
 * its file all the time (a resumed one too), so only a dead one gets this old.
 */
export const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_MARK);
}

/** A temporary file (by name) last modified more than STALE_TEMP_MS ago; an unknown time is never stale. */
export function isStaleTemp(name: string, modifiedAt: Date | null, now = Date.now()): boolean {
  return isTempName(name) && modifiedAt !== null && now - modifiedAt.getTime() > STALE_TEMP_MS;
}
