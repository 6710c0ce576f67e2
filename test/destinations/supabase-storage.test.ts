/**
 * The supabase-storage destination: the s3.ts implementation configured for Supabase
 * Storage's S3 protocol, run against the stack's s3rver served below /storage/v1/s3 — the
 * endpoint shape of a Supabase project (scripts/stack/services/s3rver-main.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesStream } from "@cofre/shared/destinations/contract.ts";
import { open } from "@cofre/shared/destinations/supabase-storage.ts";
import { S3Destination } from "@cofre/shared/destinations/s3.ts";
import { CofreError, isCofreError } from "@cofre/shared/errors.ts";
import { describeDemoRoundTrip } from "./roundtrip.ts";
import { describeConformance, generatedBody, hashStream } from "./conformance.ts";
import { closedPort, contextFor, freshSpec, recordingFetch, refusingFetch, S3RVER_LIMITS, s3ErrorBody, stackVars, startSelfSignedTls, openedDestinations } from "./s3-family.ts";

const env = stackVars("DEST_SUPABASE_STORAGE", "COFRE_SUPABASE_STORAGE_ACCESS_KEY_ID", "COFRE_SUPABASE_STORAGE_SECRET_ACCESS_KEY");
const ENDPOINT = new URL(new URL(env.DEST_SUPABASE_STORAGE).searchParams.get("endpoint")!);
const MiB = 1024 * 1024;

let tls: Awaited<ReturnType<typeof startSelfSignedTls>>;
beforeAll(async () => {
  tls = await startSelfSignedTls();
});
afterAll(() => tls?.close());

const endpointAt = (host: string, port: number, scheme = "http") => `${scheme}://${host}:${port}${ENDPOINT.pathname}`;

describeConformance({
  name: "supabase-storage",
  http: true,
  server: { host: ENDPOINT.hostname, port: Number(ENDPOINT.port) },
  httpErrorBody: s3ErrorBody,
  async open(o = {}) {
    const url = freshSpec(env.DEST_SUPABASE_STORAGE, o.via ? { endpoint: endpointAt(o.via.host, o.via.port) } : {});
    return open(url, contextFor(env, { fetch: o.fetch, ioTimeoutMs: o.ioTimeoutMs }));
  },
  limitations: {
    "concurrent puts of one key": S3RVER_LIMITS.concurrentSameKey,
    "testConnection: host_key": S3RVER_LIMITS.host_key,
  },
  failing: {
    // S3's own refusals (AccessDenied 403, EntityTooLarge 400) through the suite's faultyFetch: see S3_REFUSALS.
    permission: () => open(freshSpec(env.DEST_SUPABASE_STORAGE), contextFor(env, { fetch: refusingFetch("permission", ENDPOINT.origin) })),
    quota: () => open(freshSpec(env.DEST_SUPABASE_STORAGE), contextFor(env, { fetch: refusingFetch("quota", ENDPOINT.origin) })),
    authentication: () => open(freshSpec(env.DEST_SUPABASE_STORAGE), contextFor({ ...env, COFRE_SUPABASE_STORAGE_ACCESS_KEY_ID: "NO-SUCH-KEY" })),
    not_found: () => open(freshSpec(env.DEST_SUPABASE_STORAGE.replace("://cofre-supabase/", "://cofre-no-such-bucket/")), contextFor(env)),
    network: async () => open(freshSpec(env.DEST_SUPABASE_STORAGE, { endpoint: endpointAt("127.0.0.1", await closedPort()) }), contextFor(env, { ioTimeoutMs: 3000 })),
    tls: async () => open(freshSpec(env.DEST_SUPABASE_STORAGE, { endpoint: endpointAt("127.0.0.1", tls.port, "https") }), contextFor(env, { ioTimeoutMs: 3000 })),
  },
});


const opened = openedDestinations();
afterAll(() => opened.removeAll());

describe("supabase-storage destination", () => {
  it("is the S3 implementation, path-style below the endpoint's path, without the headers Supabase does not implement", async () => {
    const rec = recordingFetch();
    const d = opened.track(await open(freshSpec(env.DEST_SUPABASE_STORAGE, { part_size_mib: "5" }), contextFor(env, { fetch: rec.fetch })));
    expect(d).toBeInstanceOf(S3Destination);
    expect(d.kind).toBe("supabase-storage");
    expect(d.capabilities.serverChecksums).toEqual([]);
    await d.put("small.bin", bytesStream(new Uint8Array([1, 2, 3])));
    const big = generatedBody(6 * MiB, 1);
    await d.put("big.bin", big.stream);
    expect(await hashStream(await d.get("big.bin"))).toEqual({ sha256: big.sha256, size: big.size });
    expect(rec.requests.length).toBeGreaterThan(4);
    for (const r of rec.requests) {
      expect(r.url.pathname.startsWith("/storage/v1/s3/cofre-supabase/backups/")).toBe(true);
      for (const h of ["x-amz-storage-class", "x-amz-server-side-encryption", "x-amz-checksum-sha256", "x-amz-checksum-algorithm", "content-md5"]) {
        expect(r.headers.get(h), `${r.method} ${r.url.search} sent ${h}`).toBeNull();
      }
    }
  });

  it("needs endpoint and region, and refuses what Supabase Storage does not have", async () => {
    const invalid = (e: unknown) => isCofreError(e, "INVALID_INPUT");
    await expect(open(freshSpec(env.DEST_SUPABASE_STORAGE, { endpoint: null }), contextFor(env))).rejects.toSatisfy(invalid);
    await expect(open(freshSpec(env.DEST_SUPABASE_STORAGE, { region: null }), contextFor(env))).rejects.toSatisfy(invalid);
    for (const [k, v] of [["storage_class", "STANDARD_IA"], ["sse", "AES256"], ["checksum", "sha256"]] as const) {
      const e = await open(freshSpec(env.DEST_SUPABASE_STORAGE, { [k]: v }), contextFor(env)).catch((x: unknown) => x);
      expect(invalid(e), k).toBe(true);
      expect((e as CofreError).messages["pt-BR"]).toMatch(/supabase-storage/);
    }
    const missing = await open(freshSpec(env.DEST_SUPABASE_STORAGE), contextFor({})).catch((e: unknown) => e);
    expect((missing as CofreError).details.env).toBe("COFRE_SUPABASE_STORAGE_ACCESS_KEY_ID");
  });

  it("sends Content-MD5 when asked (checksum=md5)", async () => {
    const rec = recordingFetch();
    const d = opened.track(await open(freshSpec(env.DEST_SUPABASE_STORAGE, { checksum: "md5" }), contextFor(env, { fetch: rec.fetch })));
    await d.put("m.bin", bytesStream(new TextEncoder().encode("md5")));
    const put = rec.requests.find((r) => r.method === "PUT")!;
    expect(put.headers.get("content-md5")).toBe(Buffer.from("1bc29b36f623ba82aaf6724fd3b16718", "hex").toString("base64"));
  });
});

describeDemoRoundTrip("supabase-storage", () => stackVars("DEST_SUPABASE_STORAGE").DEST_SUPABASE_STORAGE);
