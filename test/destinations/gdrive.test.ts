/**
 * The gdrive destination against the Google Drive fake (test/fakes/gdrive.ts, started here in its own
 * process on an ephemeral 127.0.0.1 port with its data in a temp dir): the conformance suite, then what
 * is Drive-specific — resumable sessions resumed after a reset, 429/403 rate limits with
 * Retry-After, access-token expiry and refresh, atomicity while a session is open, the spec.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import { statSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { bytesStream } from "@cofre/shared/destinations/contract.ts";
import { GDRIVE_CHUNK, GDRIVE_DEFAULT_FOLDER, GdriveDestination, open } from "@cofre/shared/destinations/gdrive.ts";
import { isCofreError } from "@cofre/shared/errors.ts";
import { describeConformance, generatedBody, hashStream } from "./conformance.ts";
import { closedPort, contextFor } from "./s3-family.ts";
import { expectNetworkFailureHidesSecrets, expectRedirectRefused, originRecorder, startCloudFixture, type FakeAccount } from "./cloud-fakes.ts";
import { describeDemoRoundTrip } from "./roundtrip.ts";
import { stackEnv } from "../support/stack.ts";

const MiB = 1024 * 1024;
const { dir, fake, tls, admin, main } = await startCloudFixture("gdrive");

/** Account `a`'s credentials, and the operator's API base override (the fake, or a proxy in front of it). */
function envOf(a: FakeAccount, api = fake.url): Record<string, string> {
  return { COFRE_GDRIVE_CLIENT_ID: a.client_id, COFRE_GDRIVE_CLIENT_SECRET: a.client_secret, COFRE_GDRIVE_REFRESH_TOKEN: a.refresh_token, COFRE_GDRIVE_API_BASE: api };
}

/** A destination in a fresh folder of account `a`, talking to `api` (the fake, or a proxy in front of it). */
function openFresh(a: FakeAccount, o: { fetch?: typeof fetch; ioTimeoutMs?: number; api?: string; folder?: string } = {}) {
  const folder = o.folder ?? `cofre-t-${randomUUID()}`;
  return open(new URL(`gdrive://${encodeURIComponent(folder)}`), contextFor(envOf(a, o.api), { fetch: o.fetch, ioTimeoutMs: o.ioTimeoutMs }));
}

/** An access token of account `a`, straight from the fake's token endpoint. */
async function tokenOf(a: FakeAccount): Promise<string> {
  const body = new URLSearchParams({ grant_type: "refresh_token", client_id: a.client_id, client_secret: a.client_secret, refresh_token: a.refresh_token });
  return ((await (await fetch(`${fake.url}/token`, { method: "POST", body })).json()) as { access_token: string }).access_token;
}

/** How many live folders named `name` are in account `a`'s root (files.list through the fake's API). */
async function foldersNamed(a: FakeAccount, name: string): Promise<number> {
  const q = `name = '${name}' and 'root' in parents and mimeType = 'application/vnd.google-apps.folder' and trashed = false`;
  const res = await fetch(`${fake.url}/drive/v3/files?q=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${await tokenOf(a)}` } });
  return ((await res.json()) as { files: unknown[] }).files.length;
}

async function createFolder(a: FakeAccount, name: string): Promise<void> {
  const res = await fetch(`${fake.url}/drive/v3/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${await tokenOf(a)}`, "content-type": "application/json" },
    body: JSON.stringify({ name, mimeType: "application/vnd.google-apps.folder", parents: ["root"] }),
  });
  if (!res.ok) throw new Error(`create folder: ${res.status}`);
}

describeConformance({
  name: "gdrive",
  http: true,
  server: { host: "127.0.0.1", port: fake.port },
  httpErrorBody: (status) => ({
    contentType: "application/json; charset=UTF-8",
    body: JSON.stringify({ error: { code: status, message: "fault", errors: [{ domain: status === 429 ? "usageLimits" : "global", reason: status === 429 ? "rateLimitExceeded" : "backendError", message: "fault" }] } }),
  }),
  open: (o = {}) => openFresh(main, { fetch: o.fetch, ioTimeoutMs: o.ioTimeoutMs, api: o.via ? `http://${o.via.host}:${o.via.port}` : fake.url }),
  limitations: {
    "testConnection: not_found": "the gdrive destination creates its folder when it is missing (the issue's \"dedicated folder created when missing\"), so no spec names something absent; a 404 from Drive still maps to not_found (tested below)",
    "testConnection: host_key": "Google Drive speaks HTTPS, not SSH: there is no host key",
  },
  failing: {
    authentication: async () => {
      const a = await admin.account();
      await admin.revoke(a);
      return openFresh(a);
    },
    permission: async () => {
      const a = await admin.account();
      // Drive's answer when the account may not write into the folder (handle-errors: 403 insufficientFilePermissions).
      await admin.fault(a, { kind: "status", status: 403, reason: "insufficientFilePermissions", op: "upload-init", times: 5 });
      return openFresh(a);
    },
    quota: async () => openFresh(await admin.account({ quotaBytes: 0 })),
    network: async () => openFresh(main, { api: `http://127.0.0.1:${await closedPort()}`, ioTimeoutMs: 3000 }),
    tls: async () => openFresh(main, { api: `https://127.0.0.1:${tls.port}`, ioTimeoutMs: 3000 }),
  },
});

describe("gdrive destination (Drive fake)", () => {
  it("reads the spec: default folder, nested folders, no secrets shown", async () => {
    const secret = "refresh-token-that-must-not-print-91c";
    const ctx = contextFor({ ...envOf(main), COFRE_GDRIVE_REFRESH_TOKEN: secret });
    const d = await open(new URL("gdrive://"), ctx);
    expect(d).toBeInstanceOf(GdriveDestination);
    expect(d.displaySpec).toBe(`gdrive://${encodeURIComponent(GDRIVE_DEFAULT_FOLDER)}`);
    const nested = await open(new URL("gdrive://Cl%C3%ADnica/Backups%202026"), ctx);
    expect(nested.displaySpec).toBe("gdrive://Cl%C3%ADnica/Backups%202026");
    for (const shown of [d.displaySpec, inspect(d, { depth: 10 }), JSON.stringify(d)]) expect(shown).not.toContain(secret);
    await expect(open(new URL("gdrive://x"), contextFor({}))).rejects.toSatisfy((e: unknown) =>
      isCofreError(e, "DESTINATION_CREDENTIALS_MISSING") && (e as unknown as { details: { env: string } }).details.env === "COFRE_GDRIVE_CLIENT_ID");
  });

  it("takes the API and token addresses from the operator only: ?api=/?token= in a spec are refused, explicit credentials ignored", async () => {
    // A hosted user could otherwise send the operator's OAuth client secret to a host of their choosing.
    for (const spec of [`gdrive://x?api=${fake.url}`, `gdrive://x?token=${fake.url}/token`]) {
      await expect(open(new URL(spec), contextFor(envOf(main)))).rejects.toSatisfy((e: unknown) => isCofreError(e, "INVALID_INPUT"));
    }
    const rec = originRecorder();
    const { COFRE_GDRIVE_API_BASE: _, ...noBase } = envOf(main);
    const d = await open(new URL("gdrive://x"), contextFor({ ...noBase, COFRE_GDRIVE_API_BASE: fake.url }, {
      fetch: rec.fetch,
      explicit: { api_base: "http://127.0.0.1:9", token_url: "http://127.0.0.1:9/token" },
    }));
    await d.stat("k.bin");
    expect(rec.origins).toEqual(new Set([fake.url]));
    // The operator's own address still passes the SSRF guard.
    await expect(open(new URL("gdrive://x"), { ...contextFor(envOf(main, "http://169.254.169.254")), network: { allowPrivateHosts: [] } }))
      .rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_BLOCKED_HOST"));
  });

  it("never follows a redirect: a 307 to another host is refused before anything is sent there", async () => {
    const a = await admin.account();
    await expectRedirectRefused((api) => openFresh(a, { api }));
  });

  it("refuses a resumable session URI on another host", async () => {
    const a = await admin.account();
    // A proxy that rewrites the session URI's host, as a hostile or broken API base could.
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = { ...req.headers } as Record<string, string>;
      delete headers.host;
      const r = await fetch(`${fake.url}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, redirect: "manual" });
      const out: Record<string, string> = {};
      r.headers.forEach((v, k) => (out[k] = v));
      delete out["content-encoding"];
      delete out["transfer-encoding"];
      if (out.location) out.location = out.location.replace("127.0.0.1", "localhost");
      res.writeHead(r.status, out).end(Buffer.from(await r.arrayBuffer()));
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
    try {
      const d = await openFresh(a, { api: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
      await expect(d.put("s.bin", bytesStream(new Uint8Array(3)))).rejects.toSatisfy((e: unknown) =>
        isCofreError(e, "DESTINATION_IO") && /sess/i.test((e as Error).message));
      expect((await admin.stats(a)).requests["upload-chunk"] ?? 0).toBe(0);
    } finally {
      proxy.close();
    }
  });

  it("refreshes the token in the one retry loop: a failing token endpoint costs one request per attempt", async () => {
    const a = await admin.account();
    await admin.fault(a, { kind: "status", status: 500, op: "token", times: 50 });
    const d = await openFresh(a);
    await expect(d.stat("k.bin")).rejects.toSatisfy((e: unknown) =>
      isCofreError(e, "DESTINATION_UNAVAILABLE") && (e as unknown as { details: { attempts: number } }).details.attempts === 5);
    expect((await admin.stats(a)).requests.token).toBe(5);
  });

  it("keeps no provider error (with its request config) as a cause: util.inspect shows no secret", async () => {
    const a = await admin.account();
    await expectNetworkFailureHidesSecrets(a, (api, ioTimeoutMs) => openFresh(a, { api, ioTimeoutMs }));
    // A Drive call (with a bearer token) cut by resets, after a successful refresh.
    const b = await admin.account();
    const e2 = await openFresh(b);
    await e2.stat("warm.bin");
    await admin.fault(b, { kind: "reset", op: "list", times: 5 });
    const err2 = await e2.stat("k.bin").catch((e: unknown) => e);
    expect(isCofreError(err2, "DESTINATION_NETWORK"), String(err2)).toBe(true);
    const shown2 = inspect(err2, { depth: Infinity });
    for (const secret of [b.refresh_token, b.client_secret, "fake-access-", "Bearer"]) expect(shown2).not.toContain(secret);
  });

  it("a folder create whose answer is lost is not repeated blindly: one folder, found again", async () => {
    const a = await admin.account();
    const folder = `cofre-t-${randomUUID()}`;
    await admin.fault(a, { kind: "drop-response", op: "create" });
    const d = await openFresh(a, { folder });
    await d.put("k.bin", bytesStream(new Uint8Array(2)));
    expect((await admin.stats(a)).faultsFired).toBe(1);
    expect(await foldersNamed(a, folder)).toBe(1);
    expect((await d.stat("k.bin"))?.size).toBe(2);
  });

  it("keeps the fake's data private: directories 0700, files 0600", async () => {
    await openFresh(main).then((d) => d.put("mode.bin", bytesStream(new Uint8Array(1))));
    const modes: string[] = [];
    const walk = (p: string) => {
      const st = statSync(p);
      modes.push(`${st.isDirectory() ? "d" : "f"}${(st.mode & 0o777).toString(8)}`);
      if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    };
    walk(dir);
    expect(modes.length).toBeGreaterThan(3);
    expect(new Set(modes.map((m) => m[0] === "d" ? m === "d700" : m === "f600"))).toEqual(new Set([true]));
  });

  it("with duplicate folders, every writer uses the oldest", async () => {
    const a = await admin.account();
    const folder = `cofre-t-${randomUUID()}`;
    const first = await openFresh(a, { folder });
    await first.put("k.bin", bytesStream(new Uint8Array(4)));
    await createFolder(a, folder); // a second, newer folder with the same name
    expect(await foldersNamed(a, folder)).toBe(2);
    const second = await openFresh(a, { folder });
    expect((await second.stat("k.bin"))?.size).toBe(4);
  });

  it("resumes a resumable session after a reset mid-chunk, without re-sending what Drive kept", async () => {
    const a = await admin.account();
    const d = await openFresh(a);
    const body = generatedBody(2 * GDRIVE_CHUNK + 3 * MiB, 21);
    // The second chunk's PUT is cut after 3 MiB; Drive keeps whole 256 KiB blocks of it.
    await admin.fault(a, { kind: "reset", op: "upload-chunk", afterBytes: 3 * MiB + 1000 });
    const before = (await admin.stats(a)).requests;
    await d.put("v/vol-00001.bin", body.stream);
    const after = await admin.stats(a);
    expect(after.faultsFired).toBe(1);
    expect(after.requests["upload-query"] ?? 0, "the session was asked where to resume").toBeGreaterThanOrEqual(1);
    expect((after.requests["upload-chunk"] ?? 0) - (before["upload-chunk"] ?? 0)).toBe(4); // 3 chunks + the resumed rest
    expect(await hashStream(await d.get("v/vol-00001.bin"))).toEqual({ sha256: body.sha256, size: body.size });
  });

  it("recovers from 429 and 403 userRateLimitExceeded, honouring Retry-After", async () => {
    const a = await admin.account();
    const d = await openFresh(a);
    await d.put("r.bin", bytesStream(new Uint8Array(10)));
    await admin.fault(a, { kind: "status", status: 429, retryAfter: 1, op: "list" });
    let t0 = Date.now();
    expect((await d.stat("r.bin"))?.size).toBe(10);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await admin.fault(a, { kind: "status", status: 403, reason: "userRateLimitExceeded", op: "upload-chunk", retryAfter: 1 });
    t0 = Date.now();
    const body = generatedBody(GDRIVE_CHUNK + 1, 22);
    await d.put("s.bin", body.stream);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect((await admin.stats(a)).faultsFired).toBe(2);
    expect(await hashStream(await d.get("s.bin"))).toEqual({ sha256: body.sha256, size: body.size });
  });

  it("refreshes an expired access token and goes on; a revoked refresh token is DESTINATION_AUTH", async () => {
    const a = await admin.account();
    const d = await openFresh(a);
    await d.put("t.bin", bytesStream(new Uint8Array(3)));
    const s0 = await admin.stats(a);
    await admin.expireTokens(a);
    expect((await d.stat("t.bin"))?.size).toBe(3);
    const s1 = await admin.stats(a);
    expect(s1.expiredTokenRejections).toBeGreaterThan(s0.expiredTokenRejections);
    expect(s1.refreshes).toBe(s0.refreshes + 1);
    await admin.revoke(a);
    await admin.expireTokens(a);
    await expect(d.stat("t.bin")).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_AUTH"));
  });

  it("shows nothing under the key while the session is open, and the old content during an overwrite", async () => {
    const a = await admin.account();
    const d = await openFresh(a);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent === GDRIVE_CHUNK + MiB) await gate; // first chunk is with Drive by now
        if (sent >= GDRIVE_CHUNK + 2 * MiB) return c.close();
        c.enqueue(new Uint8Array(MiB).fill(7));
        sent += MiB;
      },
    });
    const putting = d.put("atomic.bin", body);
    while ((await admin.stats(a)).requests["upload-chunk"] === undefined) await new Promise((r) => setTimeout(r, 20));
    expect(await d.stat("atomic.bin")).toBeNull();
    expect((await d.list("")).objects).toEqual([]);
    release();
    expect((await putting).size).toBe(GDRIVE_CHUNK + 2 * MiB);
    expect((await d.stat("atomic.bin"))?.size).toBe(GDRIVE_CHUNK + 2 * MiB);
  });

  it("finds keys with quotes and backslashes by name (Drive's query escaping)", async () => {
    // Backslashes cannot be in keys (keys.ts) but can be in folder names.
    const d = await openFresh(main, { folder: String.raw`O'Brien \ backups ${randomUUID()}` });
    const key = `it's a "test" file.bin`;
    await d.put(key, bytesStream(new Uint8Array(5)));
    await d.put("its a test.bin", bytesStream(new Uint8Array(1)));
    expect((await d.stat(key))?.size).toBe(5);
    expect((await d.list("it'")).objects.map((o) => o.key)).toEqual([key]);
    await d.remove(key);
    expect(await d.stat(key)).toBeNull();
    expect((await d.stat("its a test.bin"))?.size).toBe(1);
  });

  it("maps Drive's 404, 403 storageQuotaExceeded and 5xx to typed errors", async () => {
    const a = await admin.account();
    const d = await openFresh(a);
    await d.put("q.bin", bytesStream(new Uint8Array(1)));
    await admin.fault(a, { kind: "status", status: 404, op: "media" });
    await expect(d.get("q.bin")).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_NOT_FOUND"));
    await admin.fault(a, { kind: "status", status: 403, reason: "storageQuotaExceeded", op: "upload-init" });
    await expect(d.put("r.bin", bytesStream(new Uint8Array(1)))).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_QUOTA"));
    await admin.fault(a, { kind: "status", status: 500, op: "list", times: 5 });
    await expect(d.stat("q.bin")).rejects.toSatisfy((e: unknown) =>
      isCofreError(e, "DESTINATION_UNAVAILABLE") && (e as unknown as { details: { attempts: number } }).details.attempts === 5);
  });
});

// The acceptance round trip through the command line, against the stack's gdrive fake daemon (.stack/env DEST_GDRIVE).
describeDemoRoundTrip("gdrive", () => stackEnv().DEST_GDRIVE ?? "");
