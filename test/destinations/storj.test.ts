/**
 * The storj destination: an access grant registered with Storj's auth service (the stack's
 * faithful fake, test/fakes/storj-auth.ts) for S3 credentials, then the S3 gateway the
 * service names — here the stack's s3rver.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesStream, getBytes } from "@cofre/shared/destinations/contract.ts";
import { clearStorjAccessCache, open } from "@cofre/shared/destinations/storj.ts";
import { CofreError, isCofreError } from "@cofre/shared/errors.ts";
import { STACK_STORJ_REVOKED_GRANT } from "../../scripts/stack/services/storj-auth.ts";
import { startStorjAuthFake, type StorjAuthFake } from "../fakes/storj-auth.ts";
import { describeDemoRoundTrip } from "./roundtrip.ts";
import { describeConformance } from "./conformance.ts";
import { closedPort, contextFor, freshSpec, recordingFetch, refusingFetch, S3RVER_LIMITS, s3ErrorBody, stackVars, startSelfSignedTls, openedDestinations } from "./s3-family.ts";

const env = stackVars("DEST_STORJ", "COFRE_STORJ_ACCESS_GRANT", "DEST_S3");
const GATEWAY = new URL(new URL(env.DEST_S3).searchParams.get("endpoint")!);

let tls: Awaited<ReturnType<typeof startSelfSignedTls>>;
beforeAll(async () => {
  tls = await startSelfSignedTls();
});
afterAll(() => tls?.close());

describeConformance({
  name: "storj",
  http: true,
  server: { host: GATEWAY.hostname, port: Number(GATEWAY.port) },
  httpErrorBody: s3ErrorBody,
  async open(o = {}) {
    const url = freshSpec(env.DEST_STORJ, o.via ? { gateway: `http://${o.via.host}:${o.via.port}` } : {});
    return open(url, contextFor(env, { fetch: o.fetch, ioTimeoutMs: o.ioTimeoutMs }));
  },
  limitations: {
    "concurrent puts of one key": S3RVER_LIMITS.concurrentSameKey,
    "testConnection: host_key": S3RVER_LIMITS.host_key,
  },
  failing: {
    // S3's own refusals (AccessDenied 403, EntityTooLarge 400) through the suite's faultyFetch: see S3_REFUSALS.
    permission: () => open(freshSpec(env.DEST_STORJ), contextFor(env, { fetch: refusingFetch("permission", GATEWAY.origin) })),
    quota: () => open(freshSpec(env.DEST_STORJ), contextFor(env, { fetch: refusingFetch("quota", GATEWAY.origin) })),
    // A grant the auth service registers but whose API key is gone: the gateway refuses it.
    authentication: () => open(freshSpec(env.DEST_STORJ), contextFor({ ...env, COFRE_STORJ_ACCESS_GRANT: STACK_STORJ_REVOKED_GRANT })),
    not_found: () => open(freshSpec(env.DEST_STORJ.replace("://cofre-storj/", "://cofre-no-such-bucket/")), contextFor(env)),
    network: async () => open(freshSpec(env.DEST_STORJ, { gateway: `http://127.0.0.1:${await closedPort()}` }), contextFor(env, { ioTimeoutMs: 3000 })),
    tls: async () => open(freshSpec(env.DEST_STORJ, { gateway: `https://127.0.0.1:${tls.port}` }), contextFor(env, { ioTimeoutMs: 3000 })),
  },
});


const opened = openedDestinations();
afterAll(() => opened.removeAll());

describe("storj destination", () => {
  const GRANT = "test-grant-for-the-in-process-fake";
  let fake: StorjAuthFake;
  beforeAll(async () => {
    fake = await startStorjAuthFake({
      endpoint: GATEWAY.origin,
      grants: { [GRANT]: { accessKeyId: "S3RVER", secretKey: "S3RVER" } },
    });
  });
  afterAll(() => fake?.close());
  const spec = (params: Record<string, string | null> = {}) => freshSpec(`storj://cofre-storj/backups?auth=${encodeURIComponent(fake.url)}`, params);
  const ctx = (grant: string, viaFetch?: typeof globalThis.fetch) => contextFor({ COFRE_STORJ_ACCESS_GRANT: grant }, { fetch: viaFetch, ioTimeoutMs: 3000 });

  it("registers the grant once per process (private), then talks S3 to the gateway the service names", async () => {
    clearStorjAccessCache();
    const before = fake.registrations.length;
    const rec = recordingFetch();
    const url = spec();
    const a = opened.track(await open(url, ctx(GRANT, rec.fetch)));
    const b = opened.track(await open(url, ctx(GRANT, rec.fetch)));
    expect(fake.registrations.slice(before)).toEqual([{ grantKnown: true, public: false }]);
    const register = rec.requests.filter((r) => r.url.pathname === "/v1/access");
    expect(register).toHaveLength(1);
    expect(register[0]).toMatchObject({ method: "POST", status: 200 });
    await a.put("x.txt", bytesStream(new TextEncoder().encode("storj")));
    expect(new TextDecoder().decode(await getBytes(b, "x.txt"))).toBe("storj");
    const s3 = rec.requests.filter((r) => r.url.pathname !== "/v1/access");
    expect(s3.length).toBeGreaterThan(0);
    for (const r of s3) {
      expect(r.url.origin).toBe(GATEWAY.origin);
      expect(r.url.pathname.startsWith("/cofre-storj/backups/")).toBe(true);
      expect(r.headers.get("authorization")).toMatch(/Credential=S3RVER\//);
      expect(r.headers.get("x-amz-storage-class")).toBeNull();
    }
    expect(rec.requests.find((r) => r.method === "PUT")!.headers.get("content-md5")).toBeTruthy();
    expect(a.displaySpec).not.toContain(GRANT);
  });

  it("an access grant the auth service cannot parse is an authentication failure that never shows the grant", async () => {
    clearStorjAccessCache();
    const grant = "not-a-grant-3f9c1b";
    const e = await open(spec(), ctx(grant)).catch((x: unknown) => x);
    expect(isCofreError(e, "DESTINATION_AUTH"), String(e)).toBe(true);
    expect((e as CofreError).details.httpStatus).toBe(500);
    expect(JSON.stringify((e as CofreError).toJSON())).not.toContain(grant);
    expect(fake.registrations.at(-1)).toEqual({ grantKnown: false, public: false });
  });

  it("an unreachable auth service is a network failure; a missing grant names its variable", async () => {
    clearStorjAccessCache();
    const closed = freshSpec(`storj://cofre-storj/b?auth=${encodeURIComponent(`http://127.0.0.1:${await closedPort()}`)}`);
    await expect(open(closed, ctx(GRANT))).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_NETWORK"));
    const missing = await open(spec(), contextFor({})).catch((e: unknown) => e);
    expect(isCofreError(missing, "DESTINATION_CREDENTIALS_MISSING")).toBe(true);
    expect((missing as CofreError).details.env).toBe("COFRE_STORJ_ACCESS_GRANT");
  });

  it("refuses S3 parameters Storj decides itself", async () => {
    for (const [k, v] of [["endpoint", "http://127.0.0.1:1"], ["storage_class", "STANDARD"], ["sse", "AES256"]] as const) {
      await expect(open(spec({ [k]: v }), ctx(GRANT)), k).rejects.toSatisfy((e: unknown) => isCofreError(e, "INVALID_INPUT"));
    }
  });

  it("the fake answers as resources.go does: 422 for non-JSON, 405 for other methods, 404 elsewhere, 413 when too large", async () => {
    const post = (body: string) => fetch(`${fake.url}/v1/access`, { method: "POST", body, headers: { "content-type": "application/json" } });
    const bad = await post("{not json");
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect((await fetch(`${fake.url}/v1/access`)).status).toBe(405);
    expect((await fetch(`${fake.url}/v1/nothing`)).status).toBe(404);
    expect((await post(JSON.stringify({ access_grant: "x".repeat(10_000), public: false }))).status).toBe(413);
    expect((await fetch(`${fake.url}/v1/health/live`)).status).toBe(200);
    const ok = await post(JSON.stringify({ access_grant: GRANT, public: false }));
    expect(ok.headers.get("content-type")).toBe("application/json");
    expect(await ok.json()).toEqual({ access_key_id: "S3RVER", secret_key: "S3RVER", endpoint: GATEWAY.origin });
  });
});

describeDemoRoundTrip("storj", () => stackVars("DEST_STORJ").DEST_STORJ);
