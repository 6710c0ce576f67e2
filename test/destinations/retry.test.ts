import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY, isTransient, parseRetryAfter, withRetry } from "@cofre/shared/destinations/retry.ts";
import { CofreError, type ErrorCode } from "@cofre/shared/errors.ts";

const err = (code: ErrorCode, details: Record<string, unknown> = {}) =>
  new CofreError(code, { "pt-BR": code, en: code }, { details });
const fast = { baseDelayMs: 1, maxDelayMs: 5 };

describe("withRetry", () => {
  it("retries transient failures until one succeeds, and reports each retry", async () => {
    const seen: Array<[string, number]> = [];
    let calls = 0;
    const v = await withRetry(async (attempt) => {
      calls++;
      if (attempt === 1) throw err("DESTINATION_UNAVAILABLE");
      if (attempt === 2) throw err("DESTINATION_NETWORK");
      return "ok";
    }, { policy: fast, onRetry: (e, attempt) => seen.push([e.code, attempt]) });
    expect(v).toBe("ok");
    expect(calls).toBe(3);
    expect(seen).toEqual([["DESTINATION_UNAVAILABLE", 1], ["DESTINATION_NETWORK", 2]]);
  });

  it("does not retry permanent failures, nor errors that are not Cofre's", async () => {
    for (const e of [err("DESTINATION_AUTH"), err("DESTINATION_NOT_FOUND"), err("DESTINATION_QUOTA"), new TypeError("bug")]) {
      let calls = 0;
      await expect(withRetry(async () => {
        calls++;
        throw e;
      }, { policy: fast })).rejects.toBe(e);
      expect(calls).toBe(1);
    }
  });

  it("gives up after the configured attempts with the last error, counting them", async () => {
    let calls = 0;
    const e = await withRetry(async () => {
      calls++;
      throw err("DESTINATION_UNAVAILABLE", { status: 503 });
    }, { policy: { ...fast, attempts: 4 } }).catch((x: CofreError) => x);
    expect(calls).toBe(4);
    expect(e.code).toBe("DESTINATION_UNAVAILABLE");
    expect(e.details).toMatchObject({ status: 503, attempts: 4 });
    expect(DEFAULT_RETRY.attempts).toBeGreaterThanOrEqual(3);
  });

  it("waits what Retry-After asks, and refuses to wait longer than the policy allows", async () => {
    let calls = 0;
    const t0 = Date.now();
    await withRetry(async () => {
      if (calls++ === 0) throw err("DESTINATION_RATE_LIMITED", { retryAfterMs: 300 });
      return 1;
    }, { policy: fast });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    calls = 0;
    const e = await withRetry(async () => {
      calls++;
      throw err("DESTINATION_RATE_LIMITED", { retryAfterMs: 3_600_000 });
    }, { policy: { ...fast, maxRetryAfterMs: 1000 } }).catch((x: CofreError) => x);
    expect(calls).toBe(1);
    expect(e.details.attempts).toBe(1);
  });

  it("backs off exponentially with jitter, capped", async () => {
    const delays: number[] = [];
    await withRetry(async () => {
      throw err("DESTINATION_NETWORK");
    }, { policy: { attempts: 6, baseDelayMs: 10, maxDelayMs: 40 }, onRetry: (_e, _a, d) => delays.push(d) }).catch(() => {});
    expect(delays).toHaveLength(5);
    const caps = [10, 20, 40, 40, 40];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(caps[i]! / 2);
      expect(d).toBeLessThanOrEqual(caps[i]!);
    });
  });

  it("stops at once when the signal aborts, even mid-wait", async () => {
    const ac = new AbortController();
    let calls = 0;
    const p = withRetry(async () => {
      calls++;
      throw err("DESTINATION_NETWORK");
    }, { signal: ac.signal, policy: { attempts: 10, baseDelayMs: 10_000, maxDelayMs: 10_000 } });
    setTimeout(() => ac.abort(new Error("cancelled by user")), 50);
    const t0 = Date.now();
    await expect(p).rejects.toThrow("cancelled by user");
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(calls).toBe(1);
  });

  it("classifies transient codes", () => {
    expect(["DESTINATION_NETWORK", "DESTINATION_UNAVAILABLE", "DESTINATION_RATE_LIMITED"].every((c) => isTransient(err(c as ErrorCode)))).toBe(true);
    expect(isTransient(err("DESTINATION_AUTH"))).toBe(false);
    expect(isTransient(new Error("x"))).toBe(false);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    const now = Date.parse("2026-11-25T12:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("Wed, 25 Nov 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 25 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
  });
});
