/**
 * What the s3, supabase-storage and storj destination tests share: the stack's specs and
 * credentials (.stack/env, written by `npm run stack:up`), contexts for `open`, a fetch that
 * records the requests the adapter really sends (to the real s3rver), a closed port, a TLS
 * server with a self-signed certificate, and S3's XML error bodies for injected faults.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEnvFile } from "../../scripts/stack/env.ts";
import { listAll, type Destination } from "@cofre/shared/destinations/contract.ts";
import { faultyFetch } from "../support/fault-proxy.ts";
import type { OpenContext } from "@cofre/shared/destinations/open-context.ts";

/** The stack variables `names` (all required: a missing one means the stack is not up). */
export function stackVars<K extends string>(...names: K[]): Record<K, string> {
  const env = readEnvFile();
  const missing = names.filter((n) => !env[n]);
  if (missing.length) throw new Error(`.stack/env lacks ${missing.join(", ")}: run \`npm run stack:up\``);
  return env as Record<K, string>;
}

/** An OpenContext reading credentials from `env`, allowing 127.0.0.1. */
export function contextFor(env: Record<string, string>, opts: { fetch?: typeof fetch; ioTimeoutMs?: number; explicit?: Record<string, string> } = {}): OpenContext {
  return {
    credentials: { env: (n) => env[n], ...(opts.explicit ? { explicit: opts.explicit } : {}) },
    network: { allowPrivateHosts: ["127.0.0.1"] },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.ioTimeoutMs ? { ioTimeoutMs: opts.ioTimeoutMs } : {}),
  };
}

/** `spec` with a fresh prefix below its own and `params` set (a value of null removes it). */
export function freshSpec(spec: string, params: Record<string, string | null> = {}): URL {
  const url = new URL(spec);
  url.pathname = `${url.pathname.replace(/\/$/, "")}/t-${randomUUID()}`;
  for (const [k, v] of Object.entries(params)) {
    if (v === null) url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  return url;
}

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  status: number;
}

/** A fetch that passes everything to the real one and records method, URL, headers and status. */
export function recordingFetch(): { fetch: typeof fetch; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const f = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const req = new Request(input, init);
    const entry: RecordedRequest = { method: req.method, url: new URL(req.url), headers: req.headers, status: 0 };
    requests.push(entry);
    const res = await fetch(input, init);
    entry.status = res.status;
    return res;
  }) as typeof fetch;
  return { fetch: f, requests };
}

/** A 127.0.0.1 port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** An HTTPS server on 127.0.0.1 with a fresh self-signed certificate (untrusted by any client). */
export async function startSelfSignedTls(): Promise<{ port: number; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "cofre-tls-"));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", key, "-out", cert,
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  rmSync(dir, { recursive: true, force: true });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** S3's error body for a status (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). */
export function s3ErrorBody(status: number): { body: string; contentType: string } {
  const code = status === 429 ? "SlowDown" : status === 503 ? "ServiceUnavailable" : status >= 500 ? "InternalError" : "InvalidRequest";
  return {
    contentType: "application/xml",
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>fault injected</Message><RequestId>FAULT</RequestId></Error>`,
  };
}

/**
 * What S3 answers when it refuses every request of a destination, per "List of error codes"
 * in https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html:
 * - permission: AccessDenied, 403 ("Access Denied"), e.g. a key without s3:PutObject on the prefix;
 * - quota: EntityTooLarge, 400 ("Your proposed upload exceeds the maximum allowed object size").
 * s3rver has one all-powerful account and no size limit, so these come from the suite's
 * faultyFetch, which answers every request to `origin` with that error document (the status
 * and XML body S3 sends) without reaching the server.
 */
export const S3_REFUSALS = {
  permission: { status: 403, code: "AccessDenied", message: "Access Denied" },
  quota: { status: 400, code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed object size." },
} as const;

/** A fetch answering every request to `origin` with S3's error for `kind` (see S3_REFUSALS). */
export function refusingFetch(kind: keyof typeof S3_REFUSALS, origin: string): typeof fetch {
  const r = S3_REFUSALS[kind];
  const f = faultyFetch();
  f.arm({
    kind: "status",
    status: r.status,
    contentType: "application/xml",
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${r.code}</Code><Message>${r.message}</Message><RequestId>REFUSED</RequestId></Error>`,
  }, { times: Number.POSITIVE_INFINITY, match: (_m, url) => url.startsWith(origin) });
  return f.fetch;
}

/** s3rver's gaps, each named by what s3rver does (checked in node_modules/s3rver/lib). */
export const S3RVER_LIMITS = {
  host_key: "S3 speaks HTTPS, not SSH: there is no host key",
  concurrentSameKey:
    "two simultaneous PUTs of one key interleave in s3rver: it streams every PUT body straight into the object's final file (lib/stores/filesystem.js putObject: fs.createWriteStream(objectPath)), so two writers share one file; S3 makes each PUT atomic (last writer wins). \"concurrent puts of distinct keys\" runs and passes",
} as const;

/** Destinations a test file opened outside the conformance suite; `removeAll` empties them (afterAll). */
export function openedDestinations() {
  const opened: Array<{ list: Destination["list"]; remove: Destination["remove"] }> = [];
  return {
    track<D extends Destination>(d: D): D {
      opened.push(d);
      return d;
    },
    async removeAll() {
      for (const d of opened.splice(0)) {
        for await (const o of listAll(d as Destination, "")) await d.remove(o.key).catch(() => {});
      }
    },
  };
}
