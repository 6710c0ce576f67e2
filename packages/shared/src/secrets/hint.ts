/**
 * The only thing the tab ever sees of a secret: "…" plus its last 4 characters, and only when the
 * secret has at least 16 characters (4 of them then reveal little); otherwise just "…". Trailing
 * whitespace and JSON closing punctuation are skipped, so a JSON credential shows the end of its
 * last value. The database accepts no other shape (cofre_private.check_secret_hint).
 */
export function secretHint(secret: string): string {
  const chars = Array.from(secret.replace(/[\s"}\]]+$/u, ""));
  return chars.length >= 16 ? `…${chars.slice(-4).join("")}` : "…";
}
