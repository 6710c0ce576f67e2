/**
 * A local fake of the Google Drive API v3 and Google's OAuth2 token endpoint — exactly the
 * endpoints packages/shared/src/destinations/gdrive.ts uses, with Drive's status codes and
 * error bodies ({ error: { code, message, errors: [{ domain, reason, message }] } }).
 * File content lives on disk under `dir` (uploads are appended to a session file, downloads
 * stream from disk), so 64 MiB objects pass with bounded memory. Faults, quotas and token
 * expiry are driven per account through the admin API of ./fake-accounts.ts.
 *
 * Run as a daemon: `tsx test/fakes/gdrive.ts --port 55454 --dir .stack/fakes/gdrive`.
 *
 * Where the fake simplifies, it says so next to the handler: `fields` is accepted but the
 * full resource is returned; `q` understands only the clauses the adapter sends; page tokens
 * are offsets.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { FakeAccounts, newId, readJson, readText, resetConnection, type Account, type Fault } from "./fake-accounts.ts";
import { listenOnLoopback, runAsDaemon } from "./http-fake.ts";

const FOLDER_MIME = "application/vnd.google-apps.folder";
/** https://developers.google.com/drive/api/guides/manage-uploads#resumable — "chunks must be a multiple of 256 KB (256 x 1024 bytes)". */
const CHUNK_GRANULE = 256 * 1024;

/** The stack's default account (fake, well-known credentials written to .stack/env). */
export const GDRIVE_STACK_ACCOUNT = {
  clientId: "cofre-fake-gdrive-client.apps.googleusercontent.com",
  clientSecret: "fake-gdrive-client-secret",
  refreshToken: "fake-gdrive-refresh-token-stack",
};

interface DriveFile {
  id: string;
  owner: string;
  name: string;
  mimeType: string;
  parents: string[];
  size: number;
  md5: string | null;
  createdTime: string;
  modifiedTime: string;
}

interface UploadSession {
  id: string;
  owner: string;
  /** files.create: the new file's metadata; files.update: the file whose content is replaced. */
  create: { name: string; parents: string[]; mimeType: string } | null;
  targetId: string | null;
  received: number;
  total: number | null;
  done: DriveFile | null;
  /** A PUT still streaming its body; a newer request to the session supersedes (cuts) it. */
  active: { req: IncomingMessage; settled: Promise<void> } | null;
}

export interface FakeGdrive {
  readonly url: string;
  readonly port: number;
  readonly accounts: FakeAccounts;
  close(): Promise<void>;
}

export async function startFakeGdrive(opts: { dir: string; port?: number; tokenTtlSec?: number }): Promise<FakeGdrive> {
  const dir = opts.dir;
  const blobs = join(dir, "blobs");
  const uploads = join(dir, "uploads");
  mkdirSync(blobs, { recursive: true });
  mkdirSync(uploads, { recursive: true });
  const accounts = new FakeAccounts(dir, "gdrive", opts.tokenTtlSec ?? 3599);
  accounts.create(GDRIVE_STACK_ACCOUNT);
  const filesPath = join(dir, "files.json");
  const files = new Map<string, DriveFile>(
    existsSync(filesPath) ? (JSON.parse(readFileSync(filesPath, "utf8")) as DriveFile[]).map((f) => [f.id, f]) : [],
  );
  const sessions = new Map<string, UploadSession>();
  const save = () => {
    writeFileSync(`${filesPath}.tmp`, JSON.stringify([...files.values()]));
    renameSync(`${filesPath}.tmp`, filesPath);
  };
  const rootOf = (a: Account) => `root-${a.clientId}`;
  const usedBytes = (owner: string) => [...files.values()].filter((f) => f.owner === owner).reduce((n, f) => n + f.size, 0);

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) driveError(res, 500, "backendError", `fake failure: ${String(e)}`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
    const path = url.pathname;
    if (await accounts.admin(req, res, path, usedBytes)) return;
    if (path === "/token" && req.method === "POST") return token(req, res);

    // Resumable session URIs carry their own authority (the upload_id), as Google's do:
    // https://cloud.google.com/storage/docs/resumable-uploads#session-uris ("the session URI
    // acts as an authentication token"), so a PUT to one is not checked against the bearer token.
    const uploadId = url.searchParams.get("upload_id");
    if (path.startsWith("/upload/drive/v3/files") && req.method === "PUT" && uploadId) return sessionPut(req, res, uploadId);

    const who = accounts.authenticate(req.headers.authorization);
    if (who === "invalid" || who === "expired") {
      req.resume();
      // https://developers.google.com/drive/api/guides/handle-errors#resolve_a_401_error_invalid_credentials
      res.setHeader("www-authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`);
      return driveError(res, 401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", { location: "Authorization", locationType: "header", status: "UNAUTHENTICATED" });
    }
    const a = who;
    const fileMatch = /^\/drive\/v3\/files\/([^/]+)$/.exec(path);
    const op = path === "/drive/v3/files" ? (req.method === "GET" ? "list" : "create")
      : fileMatch ? (req.method === "DELETE" ? "delete" : url.searchParams.get("alt") === "media" ? "media" : "get")
      : path.startsWith("/upload/drive/v3/files") ? "upload-init" : "other";
    accounts.count(a.clientId, op);
    const fault = accounts.takeFault(a.clientId, op);
    if (fault && answerFault(req, res, fault)) return;
    // drop-response: files.create (metadata) is carried out, then its answer is lost.
    const drop = fault?.kind === "drop-response" ? req : null;

    if (op === "list" && req.method === "GET") return list(res, a, url);
    if (op === "create" && req.method === "POST") return createMeta(req, res, a, drop);
    if (fileMatch && req.method === "GET") return getFile(req, res, a, decodeURIComponent(fileMatch[1]!), url);
    if (fileMatch && req.method === "DELETE") return deleteFile(res, a, decodeURIComponent(fileMatch[1]!));
    if (op === "upload-init" && url.searchParams.get("uploadType") === "resumable") return initUpload(req, res, a, url);
    req.resume();
    return driveError(res, 404, "notFound", `Not Found: ${req.method} ${path}`);
  }

  /** Answers a status fault or resets the connection; drop-response faults are the handler's job. */
  function answerFault(req: IncomingMessage, res: ServerResponse, f: Fault): boolean {
    if (f.kind === "drop-response") return false;
    if (f.kind === "reset") {
      resetConnection(req);
      return true;
    }
    req.resume();
    if (f.retryAfter !== undefined) res.setHeader("retry-after", String(f.retryAfter));
    // https://developers.google.com/drive/api/guides/handle-errors#resolve_a_403_error_usage_limit_exceeded
    // and #resolve_a_429_error_too_many_requests: 403 userRateLimitExceeded / rateLimitExceeded, 429 rateLimitExceeded.
    const reason = f.reason ?? (f.status === 429 ? "rateLimitExceeded" : f.status === 403 ? "userRateLimitExceeded" : f.status >= 500 ? "backendError" : "badRequest");
    const rate = /RateLimit|rateLimit/.test(reason);
    const message = rate ? "Rate Limit Exceeded" : reason === "storageQuotaExceeded" ? "The user's Drive storage quota has been exceeded." : f.status >= 500 ? "Backend Error" : "Fault injected";
    driveError(res, f.status, reason, message, { domain: rate ? "usageLimits" : "global" });
    return true;
  }

  /** https://developers.google.com/identity/protocols/oauth2/web-server#offline — refresh an access token; errors per RFC 6749 §5.2. */
  async function token(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams(await readText(req));
    let clientId = form.get("client_id");
    let secret = form.get("client_secret");
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (basic) [clientId, secret] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":") as [string, string];
    const sendJson = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    if (form.get("grant_type") !== "refresh_token") return sendJson(400, { error: "unsupported_grant_type", error_description: "Invalid grant_type." });
    const acct = clientId ? accounts.accounts.get(clientId) : undefined;
    if (acct) {
      accounts.count(acct.clientId, "token");
      const f = accounts.takeFault(acct.clientId, "token");
      if (f?.kind === "reset") return resetConnection(req);
      if (f?.kind === "status") {
        if (f.retryAfter !== undefined) res.setHeader("retry-after", String(f.retryAfter));
        return sendJson(f.status, { error: f.status >= 500 ? "internal_failure" : "rate_limit_exceeded", error_description: "fault injected" });
      }
    }
    const r = accounts.refresh(clientId ?? "", secret ?? "", form.get("refresh_token") ?? "");
    if (!r.ok) {
      return r.error === "invalid_client"
        ? sendJson(401, { error: "invalid_client", error_description: "The OAuth client was not found." })
        : sendJson(400, { error: "invalid_grant", error_description: "Token has been expired or revoked." });
    }
    sendJson(200, { access_token: r.accessToken, expires_in: r.expiresIn, scope: "https://www.googleapis.com/auth/drive.file", token_type: "Bearer" });
  }

  const fileJson = (f: DriveFile) => ({
    kind: "drive#file",
    id: f.id,
    name: f.name,
    mimeType: f.mimeType,
    parents: f.parents,
    createdTime: f.createdTime,
    modifiedTime: f.modifiedTime,
    ...(f.mimeType === FOLDER_MIME ? {} : { size: String(f.size), md5Checksum: f.md5 ?? undefined }),
  });

  const resolveParent = (a: Account, id: string) => (id === "root" ? rootOf(a) : id);

  /**
   * https://developers.google.com/drive/api/reference/rest/v3/files/list and
   * https://developers.google.com/drive/api/guides/search-files (query terms: `'id' in parents`,
   * `trashed = false`, `name = '…'`, `mimeType = / != '…'`, joined by `and`; strings in single
   * quotes with \' and \\ escapes). pageSize 1–1000 (default 100); orderBy keys name,
   * createdTime, modifiedTime with optional `desc`.
   */
  function list(res: ServerResponse, a: Account, url: URL) {
    const q = url.searchParams.get("q") ?? "";
    const preds = parseQuery(q);
    if (!preds) return driveError(res, 400, "invalid", "Invalid Value", { location: "q", locationType: "parameter" });
    const pageSize = Number(url.searchParams.get("pageSize") ?? 100);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      return driveError(res, 400, "invalid", `Invalid value '${url.searchParams.get("pageSize")}'. Values must be within the range: [1, 1000]`, { location: "pageSize", locationType: "parameter" });
    }
    const order = parseOrder(url.searchParams.get("orderBy"));
    if (!order) return driveError(res, 400, "invalid", "Invalid Value", { location: "orderBy", locationType: "parameter" });
    const matching = [...files.values()]
      .filter((f) => f.owner === a.clientId && preds.every((p) => p(f, (id) => resolveParent(a, id))))
      .sort(order);
    const token = url.searchParams.get("pageToken");
    const start = token ? Number(Buffer.from(token, "base64url").toString("utf8")) : 0;
    if (!Number.isInteger(start) || start < 0) return driveError(res, 400, "invalid", "Invalid Value", { location: "pageToken", locationType: "parameter" });
    const page = matching.slice(start, start + pageSize);
    const next = start + pageSize < matching.length ? Buffer.from(String(start + pageSize)).toString("base64url") : undefined;
    sendJson(res, 200, { kind: "drive#fileList", incompleteSearch: false, files: page.map(fileJson), ...(next ? { nextPageToken: next } : {}) });
  }

  /** https://developers.google.com/drive/api/reference/rest/v3/files/create — metadata only (folders). */
  async function createMeta(req: IncomingMessage, res: ServerResponse, a: Account, drop: IncomingMessage | null) {
    const body = await readJson(req);
    const parents = (Array.isArray(body.parents) ? (body.parents as string[]) : ["root"]).map((p) => resolveParent(a, p));
    for (const p of parents) if (p !== rootOf(a) && !files.has(p)) return driveError(res, 404, "notFound", `File not found: ${p}.`, { location: "fileId", locationType: "parameter" });
    const now = new Date().toISOString();
    const f: DriveFile = {
      id: newId(), owner: a.clientId, name: String(body.name ?? "Untitled"), mimeType: String(body.mimeType ?? "application/octet-stream"),
      parents, size: 0, md5: null, createdTime: now, modifiedTime: now,
    };
    files.set(f.id, f);
    save();
    if (drop) return resetConnection(drop);
    sendJson(res, 200, fileJson(f));
  }

  /**
   * https://developers.google.com/drive/api/reference/rest/v3/files/get and
   * https://developers.google.com/drive/api/guides/manage-downloads#partial_download —
   * alt=media streams the content; `Range: bytes=a-b` answers 206 with Content-Range, a range
   * starting past the end answers 416.
   */
  function getFile(req: IncomingMessage, res: ServerResponse, a: Account, id: string, url: URL) {
    const f = files.get(id);
    if (!f || f.owner !== a.clientId) return driveError(res, 404, "notFound", `File not found: ${id}.`, { location: "fileId", locationType: "parameter" });
    if (url.searchParams.get("alt") !== "media") return sendJson(res, 200, fileJson(f));
    if (f.mimeType === FOLDER_MIME) return driveError(res, 403, "fileNotDownloadable", "Only files with binary content can be downloaded.");
    const blob = join(blobs, f.id);
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
    if (req.headers.range && !range) return driveError(res, 416, "requestedRangeNotSatisfiable", "Request range not satisfiable");
    let start = 0;
    let end = f.size - 1;
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start >= f.size) {
        res.setHeader("content-range", `bytes */${f.size}`);
        return driveError(res, 416, "requestedRangeNotSatisfiable", "Request range not satisfiable");
      }
    }
    res.writeHead(range ? 206 : 200, {
      "content-type": f.mimeType,
      "content-length": String(Math.max(0, end - start + 1)),
      ...(range ? { "content-range": `bytes ${start}-${end}/${f.size}` } : {}),
    });
    if (f.size === 0) return res.end();
    createReadStream(blob, { start, end }).on("error", () => res.destroy()).pipe(res);
  }

  /** https://developers.google.com/drive/api/reference/rest/v3/files/delete — permanent; 204; a folder takes its descendants. */
  function deleteFile(res: ServerResponse, a: Account, id: string) {
    const f = files.get(id);
    if (!f || f.owner !== a.clientId) return driveError(res, 404, "notFound", `File not found: ${id}.`, { location: "fileId", locationType: "parameter" });
    const doomed = [id];
    for (let i = 0; i < doomed.length; i++) for (const c of files.values()) if (c.parents.includes(doomed[i]!)) doomed.push(c.id);
    for (const d of doomed) {
      files.delete(d);
      rmSync(join(blobs, d), { force: true });
    }
    save();
    res.writeHead(204).end();
  }

  /**
   * https://developers.google.com/drive/api/guides/manage-uploads#resumable — "Initiate a
   * resumable upload session": POST /upload/drive/v3/files?uploadType=resumable (files.create)
   * or PATCH /upload/drive/v3/files/{fileId}?uploadType=resumable (files.update) with the
   * metadata as JSON; 200 with the session URI in Location. No file exists yet: Drive creates
   * it (or the new content) when the final chunk arrives.
   */
  async function initUpload(req: IncomingMessage, res: ServerResponse, a: Account, url: URL) {
    const m = /^\/upload\/drive\/v3\/files(?:\/([^/]+))?$/.exec(url.pathname);
    const body = await readJson(req);
    if (!m || (m[1] ? req.method !== "PATCH" && req.method !== "PUT" : req.method !== "POST")) {
      return driveError(res, 404, "notFound", `Not Found: ${req.method} ${url.pathname}`);
    }
    const declared = req.headers["x-upload-content-length"] ? Number(req.headers["x-upload-content-length"]) : null;
    if (declared !== null && a.quotaBytes !== null && usedBytes(a.clientId) + declared > a.quotaBytes) {
      return driveError(res, 403, "storageQuotaExceeded", "The user's Drive storage quota has been exceeded.");
    }
    const session: UploadSession = { id: newId(24), owner: a.clientId, create: null, targetId: null, received: 0, total: null, done: null, active: null };
    if (m[1]) {
      const target = files.get(decodeURIComponent(m[1]));
      if (!target || target.owner !== a.clientId) return driveError(res, 404, "notFound", `File not found: ${m[1]}.`, { location: "fileId", locationType: "parameter" });
      session.targetId = target.id;
    } else {
      const parents = (Array.isArray(body.parents) ? (body.parents as string[]) : ["root"]).map((p) => resolveParent(a, p));
      for (const p of parents) if (p !== rootOf(a) && !files.has(p)) return driveError(res, 404, "notFound", `File not found: ${p}.`, { location: "fileId", locationType: "parameter" });
      session.create = { name: String(body.name ?? "Untitled"), parents, mimeType: String(body.mimeType ?? "application/octet-stream") };
    }
    sessions.set(session.id, session);
    writeFileSync(join(uploads, session.id), new Uint8Array());
    const loc = new URL(url.pathname, `http://${req.headers.host}`);
    loc.searchParams.set("uploadType", "resumable");
    loc.searchParams.set("upload_id", session.id);
    res.writeHead(200, { location: loc.href, "content-length": "0" }).end();
  }

  /**
   * https://developers.google.com/drive/api/guides/manage-uploads#upload-chunks and
   * #resume-upload — PUT to the session URI:
   *  - `Content-Range: bytes a-b/total|*` with the bytes; non-final chunks are multiples of
   *    256 KiB; an incomplete upload answers 308 with `Range: bytes=0-n` (no Range when nothing
   *    was received); the final chunk answers 200 with the file resource;
   *  - `Content-Range: bytes * /total|*` (no space) with an empty body asks for the status;
   *  - 404 for an unknown (expired) session: "start the upload over".
   * A body cut mid-way keeps only whole 256 KiB blocks of it (what the client learns from the
   * status query), as Google may persist less than it received.
   */
  async function sessionPut(req: IncomingMessage, res: ServerResponse, uploadId: string) {
    const s = sessions.get(uploadId);
    if (!s) {
      req.resume();
      return driveError(res, 404, "notFound", "Upload session not found or expired. Start the upload over.");
    }
    const a = accounts.accounts.get(s.owner)!;
    const cr = String(req.headers["content-range"] ?? "");
    const query = /^bytes \*\/(\d+|\*)$/.exec(cr);
    const chunk = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr);
    const op = query ? "upload-query" : "upload-chunk";
    accounts.count(a.clientId, op);
    const fault = accounts.takeFault(a.clientId, op);
    // A reset with afterBytes cuts the body below; other faults are answered at once.
    if (fault && (fault.kind === "status" || (fault.kind === "reset" && !(fault.afterBytes && chunk)))) {
      answerFault(req, res, fault);
      return;
    }
    // A request still streaming into this session is a dead connection the client gave up on.
    if (s.active) {
      resetConnection(s.active.req);
      await s.active.settled;
    }
    if (s.done) {
      req.resume();
      return sendJson(res, 200, fileJson(s.done));
    }
    if (query) {
      req.resume();
      const total = query[1] === "*" ? null : Number(query[1]);
      if (total !== null) s.total = total;
      if (total !== null && s.received === total) return finish(res, s, a, fault?.kind === "drop-response" ? req : null);
      return incomplete(res, s);
    }
    if (!chunk) {
      req.resume();
      return driveError(res, 400, "badRequest", "Failed to parse Content-Range header.");
    }
    const from = Number(chunk[1]);
    const to = Number(chunk[2]);
    const total = chunk[3] === "*" ? null : Number(chunk[3]);
    const declared = to - from + 1;
    const isFinal = total !== null && to + 1 === total;
    if (from > s.received || to < from || (total !== null && to >= total)) {
      req.resume();
      return driveError(res, 400, "badRequest", `Invalid request. According to the Content-Range header, the upload offset is ${from} byte(s), which exceeds already uploaded size of ${s.received} byte(s).`);
    }
    if (!isFinal && (to + 1) % CHUNK_GRANULE !== 0) {
      req.resume();
      return driveError(res, 400, "badRequest", `Invalid request. The number of bytes uploaded is required to be a multiple of ${CHUNK_GRANULE} bytes, except for the final request.`);
    }
    if (total !== null) s.total = total;
    // Stream the body to the session file, skipping bytes already received (an overlapping resend).
    const cutAfter = fault?.kind === "reset" ? fault.afterBytes ?? 0 : Infinity;
    let skip = s.received - from;
    let seen = 0;
    const out = createWriteStream(join(uploads, s.id), { flags: "a" });
    let cut = false;
    let settle = () => {};
    s.active = { req, settled: new Promise<void>((r) => (settle = r)) };
    try {
      for await (const c of req as AsyncIterable<Buffer>) {
        let buf = c;
        if (seen + buf.length > cutAfter) {
          buf = buf.subarray(0, cutAfter - seen);
          cut = true;
        }
        seen += buf.length;
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          buf = buf.subarray(n);
          skip -= n;
        }
        if (buf.length > 0 && !out.write(buf)) await new Promise<void>((r) => out.once("drain", () => r()));
        s.received += buf.length;
        if (cut) break;
      }
    } catch {
      cut = true; // the client went away mid-body
    }
    await new Promise<void>((r) => out.end(r));
    s.active = null;
    settle();
    if (cut || seen !== declared) {
      // Keep whole 256 KiB blocks only; the client must ask where to resume.
      s.received -= s.received % CHUNK_GRANULE;
      truncateSync(join(uploads, s.id), s.received);
      if (cut) return resetConnection(req);
      return driveError(res, 400, "badRequest", "Content-Length does not match Content-Range.");
    }
    if (a.quotaBytes !== null && usedBytes(a.clientId) + s.received > a.quotaBytes) {
      return driveError(res, 403, "storageQuotaExceeded", "The user's Drive storage quota has been exceeded.");
    }
    if (isFinal) return finish(res, s, a, fault?.kind === "drop-response" ? req : null);
    if (fault?.kind === "drop-response") return resetConnection(req);
    incomplete(res, s);
  }

  function incomplete(res: ServerResponse, s: UploadSession) {
    // 308 "Resume Incomplete"; Range is absent when no byte was persisted.
    res.writeHead(308, { ...(s.received > 0 ? { range: `bytes=0-${s.received - 1}` } : {}), "content-length": "0" }).end();
  }

  async function finish(res: ServerResponse, s: UploadSession, a: Account, dropReq: IncomingMessage | null) {
    const src = join(uploads, s.id);
    const md5 = await new Promise<string>((resolve, reject) => {
      const h = createHash("md5");
      createReadStream(src).on("data", (c) => h.update(c)).on("end", () => resolve(h.digest("hex"))).on("error", reject);
    });
    const now = new Date().toISOString();
    let f: DriveFile;
    if (s.targetId) {
      const target = files.get(s.targetId);
      if (!target) return driveError(res, 404, "notFound", `File not found: ${s.targetId}.`);
      f = { ...target, size: statSync(src).size, md5, modifiedTime: now };
    } else {
      f = { id: newId(), owner: a.clientId, ...s.create!, size: statSync(src).size, md5, createdTime: now, modifiedTime: now };
    }
    if (a.quotaBytes !== null && usedBytes(a.clientId) - (files.get(f.id)?.size ?? 0) + f.size > a.quotaBytes) {
      return driveError(res, 403, "storageQuotaExceeded", "The user's Drive storage quota has been exceeded.");
    }
    renameSync(src, join(blobs, f.id));
    files.set(f.id, f);
    s.done = f;
    save();
    if (dropReq) return resetConnection(dropReq);
    sendJson(res, 200, fileJson(f));
  }

  return { ...(await listenOnLoopback(server, opts.port)), accounts };
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

/** https://developers.google.com/drive/api/guides/handle-errors — the JSON error shape. */
function driveError(res: ServerResponse, code: number, reason: string, message: string, extra: { domain?: string; location?: string; locationType?: string; status?: string } = {}) {
  const { domain = "global", status, ...loc } = extra;
  sendJson(res, code, { error: { code, message, errors: [{ message, domain, reason, ...loc }], ...(status ? { status } : {}) } });
}

type Pred = (f: DriveFile, parent: (id: string) => string) => boolean;

/** The query subset of https://developers.google.com/drive/api/guides/ref-search-terms the adapter uses; null when unsupported. */
export function parseQuery(q: string): Pred[] | null {
  const preds: Pred[] = [];
  const str = String.raw`'((?:[^'\\]|\\.)*)'`;
  const unq = (s: string) => s.replace(/\\(.)/g, "$1");
  const clauses: [RegExp, (m: RegExpExecArray) => Pred][] = [
    [new RegExp(`^${str}\\s+in\\s+parents`), (m) => (f, parent) => f.parents.includes(parent(unq(m[1]!)))],
    [/^trashed\s*=\s*(true|false)/, (m) => () => m[1] === "false"],
    [new RegExp(`^name\\s*=\\s*${str}`), (m) => (f) => f.name === unq(m[1]!)],
    [new RegExp(`^mimeType\\s*(!?=)\\s*${str}`), (m) => (f) => (f.mimeType === unq(m[2]!)) === (m[1] === "=")],
  ];
  let rest = q.trim();
  while (rest.length > 0) {
    let matched = false;
    for (const [re, mk] of clauses) {
      const m = re.exec(rest);
      if (!m) continue;
      preds.push(mk(m));
      rest = rest.slice(m[0].length).trim();
      matched = true;
      break;
    }
    if (!matched) return null;
    if (rest.length === 0) break;
    const and = /^and\s+/.exec(rest);
    if (!and) return null;
    rest = rest.slice(and[0].length);
  }
  return preds;
}

function parseOrder(orderBy: string | null): ((a: DriveFile, b: DriveFile) => number) | null {
  const keys = (orderBy ?? "").split(",").map((s) => s.trim()).filter(Boolean).map((s) => s.split(/\s+/));
  for (const [k, dir] of keys) {
    if (!["name", "createdTime", "modifiedTime"].includes(k!) || (dir !== undefined && dir !== "desc" && dir !== "asc")) return null;
  }
  return (a, b) => {
    for (const [k, dir] of keys) {
      const av = a[k as "name"];
      const bv = b[k as "name"];
      // Names compare by UTF-16 code units (JavaScript's default order).
      const c = av < bv ? -1 : av > bv ? 1 : 0;
      if (c !== 0) return dir === "desc" ? -c : c;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

await runAsDaemon(import.meta.url, "fake Google Drive API", startFakeGdrive);
