/**
 * The s3 destination against the stack's s3rver 3.7.1 (127.0.0.1:55450): the conformance
 * suite, then what is S3-specific — spec defaults, the headers really sent (storage class,
 * SSE, checksums), multipart resume by upload id, abort on failure, versioned-bucket-safe
 * removal, the SSRF guard, redaction, and the error classification table.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspect } from "node:util";
import { bytesStream, getBytes } from "@cofre/shared/destinations/contract.ts";
import { open, S3Destination } from "@cofre/shared/destinations/s3.ts";
import { classifyS3Error } from "@cofre/shared/destinations/s3-errors.ts";
import { CofreError, isCofreError } from "@cofre/shared/errors.ts";
import { describeDemoRoundTrip } from "./roundtrip.ts";
import { describeConformance, generatedBody, hashStream } from "./conformance.ts";
import { startFaultProxy } from "../support/fault-proxy.ts";
import { closedPort, contextFor, freshSpec, recordingFetch, refusingFetch, S3RVER_LIMITS, s3ErrorBody, stackVars, startSelfSignedTls, openedDestinations } from "./s3-family.ts";

const env = stackVars("DEST_S3", "COFRE_S3_ACCESS_KEY_ID", "COFRE_S3_SECRET_ACCESS_KEY");
const S3RVER = new URL(new URL(env.DEST_S3).searchParams.get("endpoint")!);
const MiB = 1024 * 1024;

let tls: Awaited<ReturnType<typeof startSelfSignedTls>>;
beforeAll(async () => {
  tls = await startSelfSignedTls();
});
afterAll(() => tls?.close());


describeConformance({
  name: "s3",
  http: true,
  server: { host: S3RVER.hostname, port: Number(S3RVER.port) },
  httpErrorBody: s3ErrorBody,
  async open(o = {}) {
    const url = freshSpec(env.DEST_S3, o.via ? { endpoint: `http://${o.via.host}:${o.via.port}` } : {});
    return open(url, contextFor(env, { fetch: o.fetch, ioTimeoutMs: o.ioTimeoutMs }));
  },
  limitations: {
    "concurrent puts of one key": S3RVER_LIMITS.concurrentSameKey,
    "testConnection: host_key": S3RVER_LIMITS.host_key,
  },
  failing: {
    // S3's own refusals (AccessDenied 403, EntityTooLarge 400) through the suite's faultyFetch: see S3_REFUSALS.
    permission: () => open(freshSpec(env.DEST_S3), contextFor(env, { fetch: refusingFetch("permission", S3RVER.origin) })),
    quota: () => open(freshSpec(env.DEST_S3), contextFor(env, { fetch: refusingFetch("quota", S3RVER.origin) })),
    // s3rver checks the access key id but not SigV4 signatures, so a wrong key id (not a wrong secret) is what it refuses.
    authentication: () => open(freshSpec(env.DEST_S3), contextFor({ ...env, COFRE_S3_ACCESS_KEY_ID: "NO-SUCH-KEY" })),
    not_found: () => open(freshSpec(env.DEST_S3.replace("s3://cofre-s3/", "s3://cofre-no-such-bucket/")), contextFor(env)),
    network: async () => open(freshSpec(env.DEST_S3, { endpoint: `http://127.0.0.1:${await closedPort()}` }), contextFor(env, { ioTimeoutMs: 3000 })),
    tls: async () => open(freshSpec(env.DEST_S3, { endpoint: `https://127.0.0.1:${tls.port}` }), contextFor(env, { ioTimeoutMs: 3000 })),
  },
});


const opened = openedDestinations();
afterAll(() => opened.removeAll());

describe("s3 destination (s3rver)", () => {
  it("reads the spec: STANDARD_IA by default, path-style with an endpoint, no secrets shown", async () => {
    const secret = "a-secret-that-must-not-print-7f3a";
    const rec = recordingFetch();
    const d = opened.track(await open(freshSpec(env.DEST_S3), contextFor({ ...env, COFRE_S3_SECRET_ACCESS_KEY: secret }, { fetch: rec.fetch })));
    expect(d).toBeInstanceOf(S3Destination);
    expect(d.displaySpec).not.toContain(secret);
    expect(inspect(d, { depth: 10 })).not.toContain(secret);
    expect(JSON.stringify(d)).not.toContain(secret);
    await d.put("x.bin", bytesStream(new Uint8Array([1, 2, 3])));
    const put = rec.requests.find((r) => r.method === "PUT")!;
    expect(put.url.host).toBe(S3RVER.host);
    expect(put.url.pathname).toMatch(/^\/cofre-s3\/backups\/t-[0-9a-f-]+\/x\.bin$/);
    expect(put.headers.get("x-amz-storage-class")).toBe("STANDARD_IA");
    expect(put.headers.get("authorization") ?? "").not.toContain(secret);
    expect(put.status).toBe(200);
  });

  it("refuses archive storage classes, credentials in the URL, and missing credentials", async () => {
    const invalid = (e: unknown) => isCofreError(e, "INVALID_INPUT");
    await expect(open(freshSpec(env.DEST_S3, { storage_class: "DEEP_ARCHIVE" }), contextFor(env))).rejects.toSatisfy(invalid);
    await expect(open(freshSpec(env.DEST_S3, { storage_class: "FAST" }), contextFor(env))).rejects.toSatisfy(invalid);
    await expect(open(new URL("s3://AKIA:secret@cofre-s3/x"), contextFor(env))).rejects.toSatisfy(
      (e: unknown) => invalid(e) && !JSON.stringify((e as CofreError).toJSON()).includes("secret@"),
    );
    const missing = await open(freshSpec(env.DEST_S3), contextFor({})).catch((e: unknown) => e);
    expect(isCofreError(missing, "DESTINATION_CREDENTIALS_MISSING")).toBe(true);
    expect((missing as CofreError).details.env).toBe("COFRE_S3_ACCESS_KEY_ID");
  });

  it("sends storage class, SSE and checksums with single PUTs and with every multipart request", async () => {
    const rec = recordingFetch();
    const d = opened.track(await open(freshSpec(env.DEST_S3, { storage_class: "ONEZONE_IA", sse: "AES256", part_size_mib: "5" }), contextFor(env, { fetch: rec.fetch })));
    const small = generatedBody(1000, 1);
    await d.put("small.bin", small.stream);
    const big = generatedBody(11 * MiB, 2);
    await d.put("big.bin", big.stream);
    expect(await hashStream(await d.get("big.bin"))).toEqual({ sha256: big.sha256, size: big.size });

    const single = rec.requests.find((r) => r.method === "PUT" && r.url.pathname.endsWith("/small.bin"))!;
    expect(single.headers.get("x-amz-storage-class")).toBe("ONEZONE_IA");
    expect(single.headers.get("x-amz-server-side-encryption")).toBe("AES256");
    expect(single.headers.get("content-md5")).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(single.headers.get("x-amz-checksum-sha256")).toBe(Buffer.from(small.sha256, "hex").toString("base64"));

    const create = rec.requests.find((r) => r.method === "POST" && r.url.searchParams.has("uploads"))!;
    expect(create.headers.get("x-amz-storage-class")).toBe("ONEZONE_IA");
    expect(create.headers.get("x-amz-server-side-encryption")).toBe("AES256");
    expect(create.headers.get("x-amz-checksum-algorithm")).toBe("SHA256");
    const parts = rec.requests.filter((r) => r.method === "PUT" && r.url.searchParams.has("partNumber"));
    expect(parts.map((p) => p.url.searchParams.get("partNumber"))).toEqual(["1", "2", "3"]);
    for (const p of parts) {
      expect(p.headers.get("content-md5")).toBeTruthy();
      expect(p.headers.get("x-amz-checksum-sha256")).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(p.status).toBe(200);
    }
    expect(rec.requests.filter((r) => r.method === "POST" && r.url.searchParams.has("uploadId"))).toHaveLength(1);
  });

  it("resumes a multipart upload by its upload id, uploading only the missing parts", async () => {
    const rec = recordingFetch();
    const d = opened.track(await open(freshSpec(env.DEST_S3, { part_size_mib: "5" }), contextFor(env, { fetch: rec.fetch })));
    const size = 12 * MiB + 5;
    // The writer dies after 7 MiB: part 1 (5 MiB) is on the server, part 2 was never sent.
    const failed = await d.putResumable("vol.bin", generatedBody(size, 3, { failAt: 7 * MiB }).stream).catch((e: unknown) => e);
    expect(isCofreError(failed)).toBe(true);
    const { resumeToken, uploadId } = (failed as CofreError).details as { resumeToken: string; uploadId: string };
    expect(typeof resumeToken).toBe("string");
    expect(typeof uploadId).toBe("string");
    expect(await d.stat("vol.bin"), "nothing is visible before CompleteMultipartUpload").toBeNull();
    expect(rec.requests.filter((r) => r.url.searchParams.get("uploadId") === uploadId && r.method === "DELETE")).toHaveLength(0);

    const before = rec.requests.length;
    const whole = generatedBody(size, 3);
    const info = await d.putResumable("vol.bin", whole.stream, { resumeToken });
    expect(info.size).toBe(size);
    const resumed = rec.requests.slice(before);
    // ListParts first: s3rver has none (405), so the token's record stands.
    expect(resumed[0]).toMatchObject({ method: "GET", status: 405 });
    expect(resumed[0]!.url.searchParams.get("uploadId")).toBe(uploadId);
    const sent = resumed.filter((r) => r.method === "PUT").map((r) => [r.url.searchParams.get("uploadId"), r.url.searchParams.get("partNumber")]);
    expect(sent).toEqual([[uploadId, "2"], [uploadId, "3"]]);
    expect(await hashStream(await d.get("vol.bin"))).toEqual({ sha256: whole.sha256, size });
  });

  it("re-uploads a part whose replayed bytes differ from the token's record", async () => {
    const rec = recordingFetch();
    const d = opened.track(await open(freshSpec(env.DEST_S3, { part_size_mib: "5" }), contextFor(env, { fetch: rec.fetch })));
    const failed = (await d.putResumable("v.bin", generatedBody(11 * MiB, 4, { failAt: 6 * MiB }).stream).catch((e: unknown) => e)) as CofreError;
    const token = failed.details.resumeToken as string;
    const before = rec.requests.length;
    const other = generatedBody(11 * MiB, 5);
    await d.putResumable("v.bin", other.stream, { resumeToken: token });
    const parts = rec.requests.slice(before).filter((r) => r.method === "PUT").map((r) => r.url.searchParams.get("partNumber"));
    expect(parts).toEqual(["1", "2", "3"]);
    expect(await hashStream(await d.get("v.bin"))).toEqual({ sha256: other.sha256, size: other.size });
    await expect(d.putResumable("other-key.bin", bytesStream(new Uint8Array(1)), { resumeToken: token }))
      .rejects.toSatisfy((e: unknown) => isCofreError(e, "INVALID_INPUT"));
  });

  it("retries a multipart part cut by a connection reset, from the part held in memory", async () => {
    const proxy = await startFaultProxy({ host: S3RVER.hostname, port: Number(S3RVER.port) });
    try {
      const rec = recordingFetch();
      // Not tracked: its objects are removed below, while the proxy still runs.
      const d = await open(freshSpec(env.DEST_S3, { part_size_mib: "5", endpoint: `http://${proxy.host}:${proxy.port}` }), contextFor(env, { fetch: rec.fetch, ioTimeoutMs: 5000 }));
      await d.put("first.bin", bytesStream(new Uint8Array([1])));
      // Part 1 is the first request after arming: its connection is cut 3 MiB into it.
      proxy.arm({ kind: "reset", afterBytes: 3 * MiB });
      const body = generatedBody(12 * MiB, 7);
      expect((await d.put("vol.bin", body.stream)).size).toBe(12 * MiB);
      expect(proxy.fired).toBe(1);
      const parts = rec.requests.filter((r) => r.method === "PUT" && r.url.searchParams.has("partNumber")).map((r) => r.url.searchParams.get("partNumber"));
      expect(parts).toEqual(["1", "1", "2", "3"]);
      expect(await hashStream(await d.get("vol.bin"))).toEqual({ sha256: body.sha256, size: body.size });
      await d.remove("vol.bin");
      await d.remove("first.bin");
    } finally {
      await proxy.close();
    }
  });

  it("aborts the multipart upload when a put fails (s3rver refuses AbortMultipartUpload with 405)", async () => {
    const rec = recordingFetch();
    const d = opened.track(await open(freshSpec(env.DEST_S3, { part_size_mib: "5" }), contextFor(env, { fetch: rec.fetch })));
    await d.put("keep.bin", bytesStream(new Uint8Array([9])));
    const body = generatedBody(12 * MiB, 6, { failAt: 6 * MiB });
    const err = (await d.put("vol.bin", body.stream).catch((e: unknown) => e)) as CofreError;
    expect(err.details.source, "the body's own failure is reported as such").toBe(true);
    expect(body.cancelled || body.produced >= 6 * MiB).toBe(true);
    const uploadId = err.details.uploadId as string;
    const abort = rec.requests.filter((r) => r.method === "DELETE" && r.url.searchParams.get("uploadId") === uploadId);
    expect(abort).toHaveLength(1);
    // What s3rver 3.7.1 answers (lib/routes.js has no DELETE ?uploadId route); real S3 answers 204.
    expect(abort[0]!.status).toBe(405);
    expect(err.details.multipartAbort).toBe("failed: DESTINATION_UNSUPPORTED MethodNotAllowed");
    expect(err.details.resumeToken, "put (not putResumable) hands out no token").toBeUndefined();
    expect(await d.stat("vol.bin")).toBeNull();
    expect((await d.list("")).objects.map((o) => o.key)).toEqual(["keep.bin"]);
  });

  it("removes with a plain DeleteObject (no version id), so a versioned bucket keeps older versions", async () => {
    const rec = recordingFetch();
    const d = opened.track(await open(freshSpec(env.DEST_S3), contextFor(env, { fetch: rec.fetch })));
    await d.put("v.bin", bytesStream(new Uint8Array([1])));
    await d.remove("v.bin");
    const del = rec.requests.filter((r) => r.method === "DELETE");
    expect(del).toHaveLength(1);
    // Only the SDK's operation marker (x-id=DeleteObject): no versionId, so no version is ever purged.
    expect([...del[0]!.url.searchParams.keys()].filter((k) => k !== "x-id")).toEqual([]);
    expect(del[0]!.url.searchParams.get("x-id")).toBe("DeleteObject");
    expect(await d.stat("v.bin")).toBeNull();
  });

  it("refuses a private endpoint the network policy does not allow, before any request", async () => {
    const rec = recordingFetch();
    const ctx = { ...contextFor(env, { fetch: rec.fetch }), network: { allowPrivateHosts: [] } };
    await expect(open(freshSpec(env.DEST_S3), ctx)).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_BLOCKED_HOST"));
    await expect(open(freshSpec(env.DEST_S3, { endpoint: "http://169.254.169.254" }), ctx)).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_BLOCKED_HOST"));
    expect(rec.requests).toHaveLength(0);
  });

  it("reads a byte range the server widened no further than asked (s3rver returns everything for bytes=0-0)", async () => {
    const d = opened.track(await open(freshSpec(env.DEST_S3), contextFor(env)));
    await d.put("r.bin", bytesStream(new TextEncoder().encode("abcdef")));
    expect(new TextDecoder().decode(await new Response(await d.get("r.bin", { offset: 0, length: 1 })).arrayBuffer())).toBe("a");
    expect(new TextDecoder().decode(await getBytes(d, "r.bin"))).toBe("abcdef");
  });
});

/** How a request of the put is told apart: method and query (S3 API operation markers). */
const isComplete = (m: string, u: URL) => m === "POST" && u.searchParams.has("uploadId");
const isCreate = (m: string, u: URL) => m === "POST" && u.searchParams.has("uploads");
const lostAnswer = () => new TypeError("fetch failed", { cause: Object.assign(new Error("other side closed"), { code: "ECONNRESET" }) });
function methodAndUrl(input: Parameters<typeof fetch>[0], init?: RequestInit): [string, URL] {
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  return [method, new URL(input instanceof Request ? input.url : String(input))];
}

describe("s3: requests that are not idempotent", () => {
  it("a CompleteMultipartUpload whose answer was lost: the retry's NoSuchUpload is checked against the object, and the put succeeds", async () => {
    const seen: string[] = [];
    let completes = 0;
    const f = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const [method, url] = methodAndUrl(input, init);
      if (!isComplete(method, url)) return fetch(input, init);
      completes++;
      seen.push(`complete ${completes}`);
      if (completes === 1) {
        // The server completes the upload; its answer never arrives.
        const res = await fetch(input, init);
        await res.arrayBuffer();
        throw lostAnswer();
      }
      // What S3 answers for an upload id that was completed (ErrorResponses.html: NoSuchUpload, 404).
      return new Response(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified multipart upload does not exist.</Message><RequestId>R</RequestId></Error>`,
        { status: 404, headers: { "content-type": "application/xml" } });
    }) as typeof fetch;
    const d = opened.track(await open(freshSpec(env.DEST_S3, { part_size_mib: "5" }), contextFor(env, { fetch: f })));
    const body = generatedBody(11 * MiB, 21);
    expect((await d.put("c.bin", body.stream)).size).toBe(body.size);
    expect(completes).toBeGreaterThanOrEqual(2);
    expect(await hashStream(await d.get("c.bin"))).toEqual({ sha256: body.sha256, size: body.size });

    // The same NoSuchUpload with no object of that size under the key is still an error.
    completes = 0;
    const other = generatedBody(12 * MiB, 22);
    let sawLost = false;
    const g = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const [method, url] = methodAndUrl(input, init);
      if (!isComplete(method, url)) return fetch(input, init);
      if (!sawLost) {
        sawLost = true;
        throw lostAnswer(); // lost before reaching the server: nothing was completed
      }
      return new Response(`<Error><Code>NoSuchUpload</Code><Message>x</Message></Error>`, { status: 404, headers: { "content-type": "application/xml" } });
    }) as typeof fetch;
    const d2 = opened.track(await open(freshSpec(env.DEST_S3, { part_size_mib: "5" }), contextFor(env, { fetch: g })));
    await expect(d2.put("c.bin", other.stream)).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_NOT_FOUND"));
    expect(await d2.stat("c.bin")).toBeNull();
  });

  it("a CreateMultipartUpload whose answer was lost: the key's uploads are listed so the orphan can be aborted", async () => {
    const rec = recordingFetch();
    let creates = 0;
    const f = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const [method, url] = methodAndUrl(input, init);
      if (isCreate(method, url) && ++creates === 1) {
        const res = await rec.fetch(input, init);
        await res.arrayBuffer();
        throw lostAnswer();
      }
      return rec.fetch(input, init);
    }) as typeof fetch;
    const d = opened.track(await open(freshSpec(env.DEST_S3, { part_size_mib: "5" }), contextFor(env, { fetch: f })));
    const body = generatedBody(11 * MiB, 23);
    expect((await d.put("o.bin", body.stream)).size).toBe(body.size);
    expect(creates).toBe(2);
    const list = rec.requests.filter((r) => r.method === "GET" && r.url.searchParams.has("uploads"));
    expect(list, "ListMultipartUploads after the lost answer").toHaveLength(1);
    // s3rver 3.7.1 has no ListMultipartUploads (lib/routes.js: GET ?uploads is NotImplemented).
    expect(list[0]!.status).toBe(501);
    expect(await hashStream(await d.get("o.bin"))).toEqual({ sha256: body.sha256, size: body.size });
    // A Create that got an answer (an error status) is retried without listing.
    const rec2 = recordingFetch();
    let fails = 0;
    const g = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const [method, url] = methodAndUrl(input, init);
      if (isCreate(method, url) && ++fails === 1) return new Response(s3ErrorBody(503).body, { status: 503, headers: { "content-type": "application/xml" } });
      return rec2.fetch(input, init);
    }) as typeof fetch;
    const d2 = opened.track(await open(freshSpec(env.DEST_S3, { part_size_mib: "5" }), contextFor(env, { fetch: g })));
    await d2.put("o.bin", generatedBody(11 * MiB, 24).stream);
    expect(rec2.requests.filter((r) => r.method === "GET" && r.url.searchParams.has("uploads"))).toHaveLength(0);
  });

  it("a get whose body breaks every time fails typed after the retry policy's attempts", async () => {
    const body = generatedBody(2 * MiB, 25);
    let gets = 0;
    const f = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const [method] = methodAndUrl(input, init);
      const res = await fetch(input, init);
      if (method !== "GET" || !res.ok || !res.body) return res;
      gets++;
      // Each answer delivers nothing of its body and then breaks (a middlebox cutting it).
      const cut = new ReadableStream<Uint8Array>({ start: (c) => c.error(lostAnswer()) });
      await res.body.cancel();
      return new Response(cut, { status: res.status, headers: res.headers });
    }) as typeof fetch;
    const url = freshSpec(env.DEST_S3);
    // Tracked (emptied afterwards) through a plain fetch: this one breaks every listing too.
    opened.track(await open(url, contextFor(env)));
    const d = await open(url, contextFor(env, { fetch: f }));
    await d.put("g.bin", body.stream);
    const t0 = Date.now();
    const err = await d.get("g.bin").then((s) => new Response(s).arrayBuffer()).then(() => null, (e: unknown) => e);
    expect(isCofreError(err, "DESTINATION_NETWORK"), String(err)).toBe(true);
    expect((err as CofreError).details.attempts).toBe(5);
    expect(gets).toBe(5);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 60_000);
});

describe("S3 error classification", () => {
  const at = { kind: "s3", bucket: "b", key: "k", op: "put" };
  const sdk = (name: string, status: number, headers: Record<string, string> = {}) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status, requestId: "R1" }, $response: { statusCode: status, headers } });
  const net = (code: string) => Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(code), { code }) });

  it.each([
    ["InvalidAccessKeyId", 403, "DESTINATION_AUTH"],
    ["SignatureDoesNotMatch", 403, "DESTINATION_AUTH"],
    ["AccessDenied", 403, "DESTINATION_PERMISSION"],
    ["NoSuchBucket", 404, "DESTINATION_NOT_FOUND"],
    ["NoSuchKey", 404, "DESTINATION_NOT_FOUND"],
    ["QuotaExceeded", 403, "DESTINATION_QUOTA"],
    ["EntityTooLarge", 400, "DESTINATION_QUOTA"],
    ["InternalError", 500, "DESTINATION_UNAVAILABLE"],
    ["ServiceUnavailable", 503, "DESTINATION_UNAVAILABLE"],
    ["MethodNotAllowed", 405, "DESTINATION_UNSUPPORTED"],
    ["NotImplemented", 501, "DESTINATION_UNSUPPORTED"],
  ] as const)("%s (%i) → %s", (name, status, code) => {
    const e = classifyS3Error(sdk(name, status), at);
    expect(e.code).toBe(code);
    expect(e.details).toMatchObject({ s3Code: name, httpStatus: status, requestId: "R1" });
  });

  it("SlowDown and 429 are rate limits carrying Retry-After", () => {
    expect(classifyS3Error(sdk("SlowDown", 503, { "retry-after": "3" }), at)).toMatchObject({ code: "DESTINATION_RATE_LIMITED", details: { retryAfterMs: 3000 } });
    expect(classifyS3Error(sdk("Unknown", 429), at).code).toBe("DESTINATION_RATE_LIMITED");
  });

  it("socket errors are network errors, certificate errors are TLS errors", () => {
    for (const code of ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "UND_ERR_SOCKET"]) expect(classifyS3Error(net(code), at).code).toBe("DESTINATION_NETWORK");
    for (const code of ["DEPTH_ZERO_SELF_SIGNED_CERT", "CERT_HAS_EXPIRED", "ERR_TLS_CERT_ALTNAME_INVALID"]) expect(classifyS3Error(net(code), at).code).toBe("DESTINATION_TLS");
    // Deno's fetch reports certificate failures in its message.
    expect(classifyS3Error(new TypeError("error sending request: invalid peer certificate: UnknownIssuer"), at).code).toBe("DESTINATION_TLS");
  });
});

describeDemoRoundTrip("s3", () => stackVars("DEST_S3").DEST_S3);
