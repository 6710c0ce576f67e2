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
