/** How a secret, or anything holding one, prints: in logs, errors, JSON and inspectors. */
export const REDACTED = "**redacted**";

/**
 * Base for objects that hold secrets (keys, caches of keys, credentials): every way of
 * printing them — String(), JSON.stringify, Node's util.inspect, Deno.inspect — gives
 * `**redacted**`.
 */
export class Redacted {
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
  [Symbol.for("Deno.customInspect")](): string {
    return REDACTED;
  }
}

/**
 * Hides the password of every URL in `text` (`scheme://user:secret@host` →
 * `scheme://user:**redacted**@host`): drivers quote the URL they were given in their errors.
 */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/'"]*):[^\s'"]*@/gi, `$1:${REDACTED}@`);
}
