/**
 * The one retry policy for destination requests (after restic's retry.Backend and Kopia's
 * isRetriable): adapters classify provider errors into CofreError codes; `withRetry`
 * decides from the code alone, backs off exponentially with jitter, honours
 * `details.retryAfterMs` (HTTP Retry-After) and stops at once when `signal` aborts.
 *
 * Only idempotent operations go through it: a part or chunk upload that can be repeated, a
 * ranged get, stat, list, remove. A whole streamed put is not repeatable (its body is
 * consumed); adapters retry its parts instead.
 */
import { CofreError, type ErrorCode } from "../errors.ts";

/** Codes worth another attempt; every other error is permanent. */
export const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "DESTINATION_NETWORK",
  "DESTINATION_UNAVAILABLE",
  "DESTINATION_RATE_LIMITED",
]);

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error is returned instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

export function isTransient(e: unknown): boolean {
  return e instanceof CofreError && TRANSIENT_CODES.has(e.code);
}

function delayFor(e: CofreError, attempt: number, p: RetryPolicy): number | null {
  const after = e.details.retryAfterMs;
  if (typeof after === "number" && Number.isFinite(after) && after >= 0) {
    return after <= p.maxRetryAfterMs ? after : null;
  }
  const exp = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1));
  return exp / 2 + Math.random() * (exp / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `op` until it succeeds, fails permanently, or the attempts run out; the last error
 * is rethrown unchanged (so its code and message reach the user), with `details.attempts`.
 */
export async function withRetry<T>(
  op: (attempt: number) => Promise<T>,
  opts: { signal?: AbortSignal; policy?: Partial<RetryPolicy>; onRetry?: (e: CofreError, attempt: number, delayMs: number) => void } = {},
): Promise<T> {
  const policy = { ...DEFAULT_RETRY, ...opts.policy };
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (e) {
      if (!isTransient(e) || attempt >= policy.attempts || opts.signal?.aborted) {
        if (e instanceof CofreError) e.details.attempts = attempt;
        throw e;
      }
      const err = e as CofreError;
      const delay = delayFor(err, attempt, policy);
      if (delay === null) {
        err.details.attempts = attempt;
        throw err;
      }
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}

/** Parses an HTTP Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  // RFC 9110 §10.2.3: delay-seconds (digits) or an HTTP-date (which names a weekday/month).
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
