/**
 * A faithful local fake of Storj's auth service (the "Auth Service" in front of the hosted S3
 * gateway, https://auth.storjshare.io). It follows the service's HTTP handler,
 * storj/edge pkg/auth/httpauth/resources.go (https://github.com/storj/edge/blob/main/pkg/auth/httpauth/resources.go),
 * and Storj's docs on registering an access grant for S3 credentials with the hosted gateway
 * (https://storj.dev/dcs/api/uplink-cli/access-command/access-register; the same request over
 * HTTP: `curl --data '{"access_grant": "…", "public": true}' https://auth.eu1.storjshare.io/v1/access`):
 *
 *   POST /v1/access  {"access_grant": "<grant>", "public": false}
 *     200 application/json {"access_key_id": "...", "secret_key": "...", "endpoint": "https://gateway.storjshare.io"}
 *     422 text/plain  the body is not JSON (json.Decoder error, newAccess)
 *     413 text/plain  the body exceeds the post size limit (ServeHTTP pre-flight / MaxBytesReader)
 *     500 text/plain  "error storing request in database: …" — also for a grant that cannot be
 *                     parsed: resources.go's TODO says validation errors are still 500s
 *   GET  /v1/health/startup, /v1/health/live → 200
 *   other methods on a known path → 405 (the Method dispatcher); unknown paths → 404.
 * Errors are written with Go's http.Error: text/plain; charset=utf-8, message + "\n".
 *
 * What it cannot be: a real grant is a base58 serialization (satellite, API key, encryption
 * access) the service parses; the fake knows the grants it was configured with and answers
 * any other string as unparseable. The credentials it hands out are the local s3rver's (or,
 * for a grant configured as revoked, credentials the gateway will refuse — as a grant whose
 * API key was deleted registers fine and fails at the gateway).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./http-fake.ts";

export interface StorjAuthFakeOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The gateway URL returned as `endpoint`. */
  endpoint: string;
  /** Known grants and the S3 credentials each is exchanged for. */
  grants: Record<string, { accessKeyId: string; secretKey: string }>;
  /** resources.go's postSizeLimit (the service's --post-size-limit, 4 KiB by default there). */
  postSizeLimit?: number;
}

export interface StorjAuthFake {
  readonly url: string;
  /** POST /v1/access requests received, with the `public` flag each asked for. */
  readonly registrations: ReadonlyArray<{ grantKnown: boolean; public: boolean }>;
  close(): Promise<void>;
}

function httpError(res: ServerResponse, status: number, msg: string) {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" });
  res.end(`${msg}\n`);
}

function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on("data", (c: Buffer) => {
      n += c.length;
      if (n <= limit) chunks.push(c);
    });
    req.on("end", () => resolve(n > limit ? null : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Starts the fake on 127.0.0.1 (ephemeral port unless given). */
export async function startStorjAuthFake(opts: StorjAuthFakeOptions): Promise<StorjAuthFake> {
  const limit = opts.postSizeLimit ?? 4 * 1024;
  const registrations: { grantKnown: boolean; public: boolean }[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/v1/health/startup" || path === "/v1/health/live") {
      if (req.method !== "GET") return httpError(res, 405, "Method Not Allowed");
      res.writeHead(200);
      return res.end();
    }
    if (path !== "/v1/access") return httpError(res, 404, "404 page not found");
    // newAccessCORS headers, as the real handler sets them on POST and OPTIONS.
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
    if (req.method === "OPTIONS") {
      res.writeHead(200);
      return res.end();
    }
    if (req.method !== "POST") return httpError(res, 405, "Method Not Allowed");
    if (Number(req.headers["content-length"] ?? 0) > limit) return httpError(res, 413, "");
    const text = await readBody(req, limit);
    if (text === null) return httpError(res, 413, "http: request body too large");
    let body: { access_grant?: unknown; public?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
      if (typeof body !== "object" || body === null) throw new Error("json: cannot unmarshal into Go value");
    } catch (e) {
      return httpError(res, 422, e instanceof Error ? e.message : String(e));
    }
    const grant = typeof body.access_grant === "string" ? body.access_grant : "";
    const creds = opts.grants[grant];
    registrations.push({ grantKnown: creds !== undefined, public: body.public === true });
    if (!creds) {
      return httpError(res, 500, "error storing request in database: invalid access grant format");
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(`${JSON.stringify({ access_key_id: creds.accessKeyId, secret_key: creds.secretKey, endpoint: opts.endpoint })}\n`);
  });
  const { url, close } = await listenOnLoopback(server, opts.port ?? 0, opts.host);
  return { url, registrations, close };
}
