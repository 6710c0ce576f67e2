/**
 * The dropbox destination against the Dropbox fake (test/fakes/dropbox.ts, started here in its
 * own process on an ephemeral 127.0.0.1 port with its data in a temp dir): the conformance suite, then what is
 * Dropbox-specific — upload sessions resumed from incorrect_offset after a lost answer, 429
 * with Retry-After, expired access tokens refreshed, path conflicts, the header-safe
 * Dropbox-API-Arg for unicode keys, the spec.
 */
import { describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import { bytesStream, getBytes } from "@cofre/shared/destinations/contract.ts";
import { DROPBOX_CHUNK, DropboxDestination, headerSafeJson, open } from "@cofre/shared/destinations/dropbox.ts";
import { isCofreError } from "@cofre/shared/errors.ts";
import { describeConformance, generatedBody, hashStream } from "./conformance.ts";
import { closedPort, contextFor } from "./s3-family.ts";
import { expectNetworkFailureHidesSecrets, expectRedirectRefused, originRecorder, startCloudFixture, type FakeAccount } from "./cloud-fakes.ts";
import { describeDemoRoundTrip } from "./roundtrip.ts";
import { stackEnv } from "../support/stack.ts";

const MiB = 1024 * 1024;
const { fake, tls, admin, main } = await startCloudFixture("dropbox");

/** Account `a`'s credentials, and the operator's API base override (the fake, or a proxy in front of it). */
function envOf(a: FakeAccount, api = fake.url): Record<string, string> {
  return { COFRE_DROPBOX_APP_KEY: a.client_id, COFRE_DROPBOX_APP_SECRET: a.client_secret, COFRE_DROPBOX_REFRESH_TOKEN: a.refresh_token, COFRE_DROPBOX_API_BASE: api };
}

function openFresh(a: FakeAccount, o: { fetch?: typeof fetch; ioTimeoutMs?: number; api?: string } = {}) {
  return open(new URL(`dropbox:///cofre-t-${randomUUID()}`), contextFor(envOf(a, o.api), { fetch: o.fetch, ioTimeoutMs: o.ioTimeoutMs }));
}

describeConformance({
  name: "dropbox",
  http: true,
  server: { host: "127.0.0.1", port: fake.port },
  httpErrorBody: (status) => status === 429
    ? { contentType: "application/json", body: JSON.stringify({ error_summary: "too_many_requests/...", error: { reason: { ".tag": "too_many_requests" }, retry_after: 1 } }) }
    : { contentType: "text/plain; charset=utf-8", body: "Internal Server Error" },
  open: (o = {}) => openFresh(main, { fetch: o.fetch, ioTimeoutMs: o.ioTimeoutMs, api: o.via ? `http://${o.via.host}:${o.via.port}` : fake.url }),
  limitations: {
    "testConnection: not_found": "Dropbox creates the destination folder (and any parent) on the first upload, so no dropbox:/// spec names something absent; path/not_found still maps to not_found (tested below)",
    "testConnection: host_key": "Dropbox speaks HTTPS, not SSH: there is no host key",
  },
  failing: {
    authentication: async () => {
      const a = await admin.account();
      await admin.revoke(a);
      return openFresh(a);
    },
    permission: async () => {
      const a = await admin.account();
      // #error-handling: "403 — The user or team account doesn't have access to the endpoint or feature."
      await admin.fault(a, { kind: "status", status: 403, op: "files/upload", times: 5 });
      return openFresh(a);
    },
    quota: async () => openFresh(await admin.account({ quotaBytes: 0 })),
    network: async () => openFresh(main, { api: `http://127.0.0.1:${await closedPort()}`, ioTimeoutMs: 3000 }),
    tls: async () => openFresh(main, { api: `https://127.0.0.1:${tls.port}`, ioTimeoutMs: 3000 }),
  },
});

describe("dropbox destination (Dropbox fake)", () => {
  it("reads the spec: default folder, three slashes, no secrets shown", async () => {
    const secret = "dropbox-refresh-token-that-must-not-print-3e1";
    const ctx = contextFor({ ...envOf(main), COFRE_DROPBOX_REFRESH_TOKEN: secret });
    const d = await open(new URL("dropbox://"), ctx);
    expect(d).toBeInstanceOf(DropboxDestination);
    expect(d.displaySpec).toBe("dropbox:///Ortho%2B%20Backups");
    for (const shown of [d.displaySpec, inspect(d, { depth: 10 }), JSON.stringify(d)]) expect(shown).not.toContain(secret);
    await expect(open(new URL("dropbox://host/path"), ctx)).rejects.toSatisfy((e: unknown) => isCofreError(e, "INVALID_INPUT"));
    await expect(open(new URL("dropbox:///x"), contextFor({}))).rejects.toSatisfy((e: unknown) =>
      isCofreError(e, "DESTINATION_CREDENTIALS_MISSING"));
  });

  it("takes the API addresses from the operator only: ?api=/?content= in a spec are refused, explicit credentials ignored", async () => {
    for (const spec of [`dropbox:///x?api=${fake.url}`, `dropbox:///x?content=${fake.url}`]) {
      await expect(open(new URL(spec), contextFor(envOf(main)))).rejects.toSatisfy((e: unknown) => isCofreError(e, "INVALID_INPUT"));
    }
    const rec = originRecorder();
    const d = await open(new URL(`dropbox:///cofre-t-${randomUUID()}`), contextFor(envOf(main), {
      fetch: rec.fetch,
      explicit: { api_base: "http://127.0.0.1:9", content_base: "http://127.0.0.1:9" },
    }));
    await d.put("k.bin", bytesStream(new Uint8Array(1)));
    expect(rec.origins).toEqual(new Set([fake.url]));
    await expect(open(new URL("dropbox:///x"), { ...contextFor(envOf(main, "http://169.254.169.254")), network: { allowPrivateHosts: [] } }))
      .rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_BLOCKED_HOST"));
  });

  it("never follows a redirect: the token request's secrets never reach the host a 307 names", async () => {
    const a = await admin.account();
    const err = await expectRedirectRefused((api) => openFresh(a, { api }));
    expect(inspect(err, { depth: Infinity })).not.toContain(a.client_secret);
  });

  it("keeps no provider error (with its request) as a cause: util.inspect shows no secret", async () => {
    const a = await admin.account();
    await expectNetworkFailureHidesSecrets(a, (api, ioTimeoutMs) => openFresh(a, { api, ioTimeoutMs }));
  });

  it("a listing page reads only the folders it touches, not the whole tree", async () => {
    let entriesRead = 0;
    const counting = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const res = await fetch(input, init);
      if (/\/2\/files\/list_folder/.test(String(input instanceof Request ? input.url : input)) && res.ok) {
        entriesRead += ((await res.clone().json()) as { entries: unknown[] }).entries.length;
      }
      return res;
    }) as typeof fetch;
    const d = await openFresh(main, { fetch: counting });
    for (const k of ["a/1.bin", "a/2.bin", "b/1.bin", ...Array.from({ length: 30 }, (_, i) => `z/deep/${String(i).padStart(2, "0")}.bin`)]) {
      await d.put(k, bytesStream(new Uint8Array(1)));
    }
    entriesRead = 0;
    const first = await d.list("", { limit: 2 });
    expect(first.objects.map((o) => o.key)).toEqual(["a/1.bin", "a/2.bin"]);
    // The root (a, b, z), a, and b (to learn that more follows); the whole tree would be 37 entries.
    expect(entriesRead).toBe(6);
    let keys = first.objects.map((o) => o.key);
    for (let cursor = first.cursor; cursor; ) {
      const page = await d.list("", { limit: 7, cursor });
      keys = keys.concat(page.objects.map((o) => o.key));
      cursor = page.cursor;
    }
    expect(keys.length).toBe(33);
    expect([...keys].sort()).toEqual(keys);
  });

  it("escapes non-ASCII in Dropbox-API-Arg as the docs require (the fake refuses raw UTF-8 there)", async () => {
    expect(headerSafeJson({ path: "/clínica/🦷" })).toBe(String.raw`{"path":"/cl\u00ednica/\ud83e\uddb7"}`);
    const token = (await (await fetch(`${fake.url}/oauth2/token?grant_type=refresh_token&refresh_token=${main.refresh_token}&client_id=${main.client_id}&client_secret=${main.client_secret}`, { method: "POST" })).json()) as { access_token: string };
    const raw = await fetch(`${fake.url}/2/files/upload`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token.access_token}`,
        "dropbox-api-arg": Buffer.from(JSON.stringify({ path: "/clínica.bin" }), "utf8").toString("latin1"),
      },
      body: "x",
    });
    expect(raw.status).toBe(400);
    expect(await raw.text()).toMatch(/could not decode input as JSON/);
    const d = await openFresh(main);
    await d.put("clínica/João 🦷.bin", bytesStream(new Uint8Array([1, 2])));
    expect((await getBytes(d, "clínica/João 🦷.bin")).length).toBe(2);
  });

  it("continues an upload session from correct_offset when an append's answer is lost", async () => {
    const a = await admin.account();
    const d = await openFresh(a);
    const body = generatedBody(3 * DROPBOX_CHUNK + MiB, 31);
    // Dropbox stores the append, but the answer never arrives: the repeat meets incorrect_offset.
    await admin.fault(a, { kind: "drop-response", op: "files/upload_session/append_v2" });
    await d.put("v/vol-00001.bin", body.stream);
    const s = await admin.stats(a);
    expect(s.faultsFired).toBe(1);
    expect(s.requests["files/upload_session/append_v2"]).toBe(3); // 2 appends + the repeat answered incorrect_offset
    expect(await hashStream(await d.get("v/vol-00001.bin"))).toEqual({ sha256: body.sha256, size: body.size });
  });

  it("a finish whose answer is lost is recognised as committed", async () => {
    const a = await admin.account();
    const d = await openFresh(a);
    const body = generatedBody(DROPBOX_CHUNK + 5, 32);
    await admin.fault(a, { kind: "drop-response", op: "files/upload_session/finish" });
    expect((await d.put("f.bin", body.stream)).size).toBe(body.size);
    expect(await hashStream(await d.get("f.bin"))).toEqual({ sha256: body.sha256, size: body.size });
  });

  it("recovers from 429 with Retry-After and refreshes an expired access token", async () => {
    const a = await admin.account();
    const d = await openFresh(a);
    await d.put("r.bin", bytesStream(new Uint8Array(10)));
    await admin.fault(a, { kind: "status", status: 429, retryAfter: 1, op: "files/get_metadata" });
    const t0 = Date.now();
    expect((await d.stat("r.bin"))?.size).toBe(10);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const s0 = await admin.stats(a);
    await admin.expireTokens(a);
    expect((await getBytes(d, "r.bin")).length).toBe(10);
    expect((await d.stat("r.bin"))?.size).toBe(10);
    const s1 = await admin.stats(a);
    expect(s1.expiredTokenRejections).toBeGreaterThan(s0.expiredTokenRejections);
    expect(s1.refreshes).toBe(s0.refreshes + 1);
    await admin.revoke(a);
    await admin.expireTokens(a);
    await expect(d.stat("r.bin")).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_AUTH"));
  });

  it("surfaces path conflicts as DESTINATION_CONFLICT instead of guessing", async () => {
    const d = await openFresh(main);
    await d.put("a/b.bin", bytesStream(new Uint8Array(1)));
    // A file where a parent folder must be, and a folder where the file must be.
    await expect(d.put("a/b.bin/c.bin", bytesStream(new Uint8Array(1)))).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_CONFLICT"));
    await expect(d.put("a", bytesStream(new Uint8Array(1)))).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_CONFLICT"));
    // The same conflict through an upload session's finish.
    await expect(d.put("a", generatedBody(DROPBOX_CHUNK + 1, 33).stream)).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_CONFLICT"));
    expect((await d.list("")).objects.map((o) => o.key)).toEqual(["a/b.bin"]);
  });

  it("maps insufficient_space, path/not_found and 5xx to typed errors", async () => {
    const a = await admin.account({ quotaBytes: 2 * MiB });
    const d = await openFresh(a);
    await expect(d.put("big.bin", generatedBody(3 * MiB, 34).stream)).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_QUOTA"));
    await expect(d.get("missing.bin")).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_NOT_FOUND"));
    await admin.fault(a, { kind: "status", status: 503, op: "files/list_folder", times: 5 });
    await expect(d.list("")).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_UNAVAILABLE"));
  });
});

// The acceptance round trip through the command line, against the stack's dropbox fake daemon (.stack/env DEST_DROPBOX).
describeDemoRoundTrip("dropbox", () => stackEnv().DEST_DROPBOX ?? "");
