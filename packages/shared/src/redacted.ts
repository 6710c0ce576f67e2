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
 * One secret value (a password, a key, a token). Prints as `**redacted**` everywhere, like
 * Redacted; code that must use the value asks for it explicitly with `reveal()`, so an
 * accidental log line, error detail or JSON dump never carries it.
 */
export class Secret extends Redacted {
  readonly #value: string;

  constructor(value: string) {
    super();
    this.#value = value;
  }

  /** The value itself: pass it straight to the client library that needs it, nowhere else. */
  reveal(): string {
    return this.#value;
  }
}

/**
 * Hides the password of every URL in `text` (`scheme://user:secret@host` →
 * `scheme://user:**redacted**@host`): drivers quote the URL they were given in their errors.
 */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/'"]*):[^\s'"]*@/gi, `$1:${REDACTED}@`);
}
