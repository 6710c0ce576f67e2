/**
 * The admin side of the Google Drive and Dropbox fakes (test/fakes/fake-accounts.ts) for the
 * gdrive and dropbox tests: a fresh account per test, faults, token expiry, revocation, stats;
 * plus a redirect trap and an origin-recording fetch for their SSRF tests.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:http";
import { inspect } from "node:util";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, expect } from "vitest";
import type { Destination } from "@cofre/shared/destinations/contract.ts";
import { isCofreError } from "@cofre/shared/errors.ts";
import type { Fault } from "../fakes/fake-accounts.ts";
import { closedPort, startSelfSignedTls } from "./s3-family.ts";

export interface FakeAccount {
  client_id: string;
  client_secret: string;
  refresh_token: string;
}

export interface FakeStats {
  requests: Record<string, number>;
  refreshes: number;
  faultsFired: number;
  expiredTokenRejections: number;
  usedBytes: number;
}

export function adminFor(base: string) {
  const post = async (path: string, body: unknown = {}) => {
    const res = await fetch(`${base}/__fake${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`fake admin ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };
  const at = (a: FakeAccount, action: string) => `/accounts/${encodeURIComponent(a.client_id)}/${action}`;
  return {
    account: (opts: { quotaBytes?: number } = {}) => post("/accounts", opts) as Promise<FakeAccount>,
    fault: (a: FakeAccount, f: Fault) => post(at(a, "faults"), f),
    expireTokens: (a: FakeAccount) => post(at(a, "expire-tokens")),
    revoke: (a: FakeAccount) => post(at(a, "revoke")),
    quota: (a: FakeAccount, bytes: number | null) => post(at(a, "quota"), { bytes }),
    stats: async (a: FakeAccount) => (await (await fetch(`${base}/__fake${at(a, "stats")}`)).json()) as FakeStats,
  };
}

/**
 * Starts test/fakes/<name>.ts in its own process on an ephemeral 127.0.0.1 port with its data
 * in `dir` — a separate process so the conformance suite's memory figures measure the adapter,
 * not the fake — and stops it (by its PID) on `close`.
 */
export async function startFakeProcess(name: "gdrive" | "dropbox", dir: string): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const loader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
  const child = spawn(process.execPath, ["--import", loader, join(root, "test", "fakes", `${name}.ts`), "--port", "0", "--dir", dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`fake ${name} did not start: ${out}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString("utf8");
      const m = /listening on (http:\/\/[0-9.:]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => reject(new Error(`fake ${name} exited (${code}): ${out}`)));
  });
  child.stdout!.resume();
  return {
    url,
    port: Number(new URL(url).port),
    close: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
  };
}

/**
 * What a cloud destination's test file starts at its top level: a temp data dir, the fake in its
 * own process (startFakeProcess), a self-signed TLS server (the adapter must refuse it), the
 * fake's admin API and one account on it. All stopped and removed after the file's tests.
 */
export async function startCloudFixture(name: "gdrive" | "dropbox") {
  const dir = mkdtempSync(join(tmpdir(), `cofre-fake-${name}-`));
  const fake = await startFakeProcess(name, dir);
  const tls = await startSelfSignedTls();
  afterAll(async () => {
    await fake.close();
    await tls.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const admin = adminFor(fake.url);
  const main = await admin.account();
  return { dir, fake, tls, admin, main };
}

/**
 * A trap for redirect-following: a server on 127.0.0.1 (allowed in the tests) that answers
 * every request with a 307 to a server on 127.0.0.2 (which the SSRF guard does not allow).
 * `reached` lists the request URLs (with their query strings: the Dropbox SDK puts the
 * refresh token there) that the redirect target received — it must stay empty.
 */
export async function startRedirectTrap(): Promise<{ api: string; reached: string[]; close(): void }> {
  const reached: string[] = [];
  const target = createServer((req, res) => {
    reached.push(req.url ?? "");
    req.resume();
    res.end("{}");
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.2", () => r()));
  const to = `http://127.0.0.2:${(target.address() as AddressInfo).port}`;
  const redirector = createServer((req, res) => {
    req.resume();
    res.writeHead(307, { location: `${to}${req.url}` }).end();
  });
  await new Promise<void>((r) => redirector.listen(0, "127.0.0.1", () => r()));
  return {
    api: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`,
    reached,
    close() {
      redirector.close();
      target.close();
    },
  };
}

/** A fetch that records the origin of every request it sends. */
export function originRecorder(): { fetch: typeof fetch; origins: Set<string> } {
  const origins = new Set<string>();
  const recording = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    origins.add(new URL(input instanceof Request ? input.url : String(input)).origin);
    return fetch(input, init);
  }) as typeof fetch;
  return { fetch: recording, origins };
}

/**
 * Opens a destination whose API base is a redirect trap (`openAt(api)`), calls stat, and
 * asserts it failed with DESTINATION_IO (status 307) with nothing sent to the redirect
 * target; returns the error for further checks.
 */
export async function expectRedirectRefused(openAt: (api: string) => Promise<Destination>): Promise<unknown> {
  const trap = await startRedirectTrap();
  try {
    const d = await openAt(trap.api);
    const err = await d.stat("k.bin").catch((e: unknown) => e);
    expect(isCofreError(err, "DESTINATION_IO"), String(err)).toBe(true);
    expect((err as { details: { status: number } }).details.status).toBe(307);
    expect(trap.reached).toEqual([]);
    return err;
  } finally {
    trap.close();
  }
}

/**
 * Opens a destination of account `a` whose API base is a closed port (`openAt(api, ioTimeoutMs)`),
 * calls stat, and asserts DESTINATION_NETWORK whose util.inspect (cause chain included) holds
 * neither the refresh token nor the client secret.
 */
export async function expectNetworkFailureHidesSecrets(a: FakeAccount, openAt: (api: string, ioTimeoutMs: number) => Promise<Destination>): Promise<void> {
  const d = await openAt(`http://127.0.0.1:${await closedPort()}`, 3000);
  const err = await d.stat("k.bin").catch((e: unknown) => e);
  expect(isCofreError(err, "DESTINATION_NETWORK"), String(err)).toBe(true);
  const shown = inspect(err, { depth: Infinity });
  for (const secret of [a.refresh_token, a.client_secret]) expect(shown).not.toContain(secret);
}
