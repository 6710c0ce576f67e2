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
