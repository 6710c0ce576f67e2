/**
 * A local fake of the Dropbox HTTP API v2 — exactly the endpoints
 * packages/shared/src/destinations/dropbox.ts uses (through the `dropbox` SDK and fetch), with
 * Dropbox's status codes and error bodies ({ error_summary, error: { ".tag": … } }), the
 * "Dropbox-API-Arg" header rules, upload sessions, list_folder paging, case-insensitive paths
 * and OAuth2 refresh tokens. The API, content and token hosts are one port here; the adapter
 * maps api.dropboxapi.com / content.dropboxapi.com onto it.
 *
 * Reference: https://www.dropbox.com/developers/documentation/http/documentation (anchors
 * per handler below). File content lives on disk under `dir`, so 64 MiB objects pass with
 * bounded memory. Faults, quotas and token expiry per account: ./fake-accounts.ts.
 *
 * Simplifications: list_folder returns entries in a stable but unsorted order (Dropbox
 * documents no order — the adapter must sort); cursors are offsets into a fresh listing.
 *
 * Run as a daemon: `tsx test/fakes/dropbox.ts --port 55455 --dir .stack/fakes/dropbox`.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { FakeAccounts, newId, readJson, readText, resetConnection, type Account, type Fault } from "./fake-accounts.ts";
import { listenOnLoopback, runAsDaemon } from "./http-fake.ts";

/** https://www.dropbox.com/developers/documentation/http/documentation#files-upload — "Do not use this to upload a file larger than 150 MB." */
const MAX_UPLOAD = 150 * 1024 * 1024;
/** https://www.dropbox.com/developers/reference/content-hash — 4 MiB blocks. */
const HASH_BLOCK = 4 * 1024 * 1024;

export const DROPBOX_STACK_ACCOUNT = {
  clientId: "cofrefakeappkey",
  clientSecret: "fake-dropbox-app-secret",
  refreshToken: "fake-dropbox-refresh-token-stack",
};

interface Entry {
  tag: "file" | "folder";
  owner: string;
  id: string;
  pathDisplay: string;
  size: number;
  rev: string;
  serverModified: string;
  contentHash: string | null;
}

interface Session {
  id: string;
  owner: string;
  length: number;
  closed: boolean;
}

export interface FakeDropbox {
  readonly url: string;
  readonly port: number;
  readonly accounts: FakeAccounts;
  close(): Promise<void>;
}

/** https://www.dropbox.com/developers/reference/json-encoding — "HTTP header safe" JSON: 0x7F and every non-ASCII character as \uXXXX. */
export function headerSafeJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const lower = (p: string) => p.toLowerCase();
const parentOf = (p: string) => p.slice(0, p.lastIndexOf("/"));
const nameOf = (p: string) => p.slice(p.lastIndexOf("/") + 1);

export async function startFakeDropbox(opts: { dir: string; port?: number; tokenTtlSec?: number }): Promise<FakeDropbox> {
  const blobs = join(opts.dir, "blobs");
  const uploads = join(opts.dir, "sessions");
  mkdirSync(blobs, { recursive: true });
  mkdirSync(uploads, { recursive: true });
  const accounts = new FakeAccounts(opts.dir, "dropbox", opts.tokenTtlSec ?? 14_400);
  accounts.create(DROPBOX_STACK_ACCOUNT);
  const entriesPath = join(opts.dir, "entries.json");
  /** Keyed by `${owner}\0${path_lower}`. */
  const entries = new Map<string, Entry>(
    existsSync(entriesPath) ? (JSON.parse(readFileSync(entriesPath, "utf8")) as Entry[]).map((e) => [`${e.owner}\0${lower(e.pathDisplay)}`, e]) : [],
  );
  const sessions = new Map<string, Session>();
  const save = () => {
    writeFileSync(`${entriesPath}.tmp`, JSON.stringify([...entries.values()]));
    renameSync(`${entriesPath}.tmp`, entriesPath);
  };
  const entryAt = (owner: string, path: string) => entries.get(`${owner}\0${lower(path)}`);
  const usedBytes = (owner: string) => [...entries.values()].filter((e) => e.owner === owner && e.tag === "file").reduce((n, e) => n + e.size, 0);

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`fake failure: ${String(e)}`);
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (await accounts.admin(req, res, url.pathname, usedBytes)) return;
    if (url.pathname === "/oauth2/token" && req.method === "POST") return token(req, res, url);
    const route = /^\/2\/(files\/[a-z_/0-9]+)$/.exec(url.pathname)?.[1];
    // Content-download endpoints also take GET (documentation#formats, "Content-download
    // endpoints": "…support HTTP GET along with ETag-based caching … and HTTP range
    // requests"), with the argument in the Dropbox-API-Arg header or the `arg` URL parameter.
    if (!route || (req.method !== "POST" && !(req.method === "GET" && route === "files/download"))) {
      req.resume();
      res.writeHead(404, { "content-type": "text/plain" }).end("Unknown API function");
      return;
    }
    // https://www.dropbox.com/developers/documentation/http/documentation#authorization and
    // #error-handling (401): the body's error tag says expired_access_token or invalid_access_token.
    const who = accounts.authenticate(req.headers.authorization);
    if (who === "invalid" || who === "expired") {
      req.resume();
      const tag = who === "expired" ? "expired_access_token" : "invalid_access_token";
      return sendJson(res, 401, { error_summary: `${tag}/...`, error: { ".tag": tag } });
    }
    const a = who;
    accounts.count(a.clientId, route);
    const fault = accounts.takeFault(a.clientId, route);
    if (fault && answerFault(req, res, fault)) return;
    const drop = fault?.kind === "drop-response" ? req : null;

    switch (route) {
      case "files/get_metadata": return getMetadata(req, res, a);
      case "files/list_folder": return listFolder(req, res, a);
      case "files/list_folder/continue": return listContinue(req, res, a);
      case "files/delete_v2": return deleteV2(req, res, a);
      case "files/upload": return upload(req, res, a, route, drop);
      case "files/upload_session/start": return sessionStart(req, res, a, route, drop);
      case "files/upload_session/append_v2": return sessionAppend(req, res, a, route, drop);
      case "files/upload_session/finish": return sessionFinish(req, res, a, route, drop);
      case "files/download": return download(req, res, a, route);
    }
    req.resume();
    res.writeHead(404, { "content-type": "text/plain" }).end("Unknown API function");
  }

  /**
   * https://www.dropbox.com/developers/documentation/http/documentation#error-handling —
   * 429: RateLimitError { reason: too_many_requests | too_many_write_operations, retry_after }
   * with a Retry-After header; 5xx: a server error, plain text.
   */
  function answerFault(req: IncomingMessage, res: ServerResponse, f: Fault): boolean {
    if (f.kind === "drop-response") return false;
    if (f.kind === "reset") {
      if ((f.afterBytes ?? 0) > 0) {
        let n = 0;
        req.on("data", (c: Buffer) => {
          n += c.length;
          if (n >= f.afterBytes!) resetConnection(req);
        });
        return true;
      }
      resetConnection(req);
      return true;
    }
    req.resume();
    if (f.status === 429) {
      const after = f.retryAfter ?? 1;
      res.setHeader("retry-after", String(after));
      const reason = f.reason ?? "too_many_requests";
      sendJson(res, 429, { error_summary: `${reason}/...`, error: { reason: { ".tag": reason }, retry_after: after } });
      return true;
    }
    if (f.retryAfter !== undefined) res.setHeader("retry-after", String(f.retryAfter));
    res.writeHead(f.status, { "content-type": "text/plain; charset=utf-8" }).end(f.status >= 500 ? "Internal Server Error (fault injected)" : "fault injected");
    return true;
  }

  /** https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token — grant_type=refresh_token; parameters in the query string (as the SDK sends them) or the form body. */
  async function token(req: IncomingMessage, res: ServerResponse, url: URL) {
    const form = new URLSearchParams(await readText(req));
    const param = (k: string) => url.searchParams.get(k) ?? form.get(k);
    let clientId = param("client_id");
    let secret = param("client_secret");
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (basic) [clientId, secret] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":") as [string, string];
    if (param("grant_type") !== "refresh_token") return sendJson(res, 400, { error: "unsupported_grant_type", error_description: "grant_type must be refresh_token here" });
    const acct = clientId ? accounts.accounts.get(clientId) : undefined;
    if (acct) {
      accounts.count(acct.clientId, "token");
      const f = accounts.takeFault(acct.clientId, "token");
      if (f && answerFault(req, res, f)) return;
    }
    // PKCE apps refresh without a secret; a secret, when sent, must match.
    const r = accounts.refresh(clientId ?? "", secret, param("refresh_token") ?? "");
    if (!r.ok) {
      return sendJson(res, 400, r.error === "invalid_client"
        ? { error: "invalid_client", error_description: "Invalid client_id or client_secret" }
        : { error: "invalid_grant", error_description: "refresh token is invalid or revoked" });
    }
    sendJson(res, 200, { access_token: r.accessToken, token_type: "bearer", expires_in: r.expiresIn });
  }

  /** The Dropbox-API-Arg header (or `arg` parameter) as JSON; null after answering 400 when it is not header-safe JSON. */
  function apiArg(req: IncomingMessage, res: ServerResponse, route: string): Record<string, unknown> | null {
    const header = req.headers["dropbox-api-arg"];
    const raw = header ?? new URL(req.url ?? "/", "http://x").searchParams.get("arg") ?? undefined;
    const bad = () => {
      req.resume();
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" })
        .end(`Error in call to API function "${route}": HTTP header "Dropbox-API-Arg": could not decode input as JSON`);
      return null;
    };
    if (typeof raw !== "string") return bad();
    // Node hands header bytes over as latin1: any char above 0x7E means raw non-ASCII was sent.
    if (header !== undefined && /[^\x20-\x7e]/.test(raw)) return bad();
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return bad();
    }
  }

  const metadata = (e: Entry) => e.tag === "folder"
    ? { ".tag": "folder", name: nameOf(e.pathDisplay), path_lower: lower(e.pathDisplay), path_display: e.pathDisplay, id: e.id }
    : {
      ".tag": "file", name: nameOf(e.pathDisplay), path_lower: lower(e.pathDisplay), path_display: e.pathDisplay, id: e.id,
      client_modified: e.serverModified, server_modified: e.serverModified, rev: e.rev, size: e.size, is_downloadable: true,
      content_hash: e.contentHash,
    };

  /** Validates a path argument: "/…" without a trailing slash (or "" where the root is allowed). */
  const validPath = (p: unknown, rootOk = false): p is string =>
    typeof p === "string" && (p === "" ? rootOk : p.startsWith("/") && !p.endsWith("/") && !p.includes("//"));

  const lookupError = (res: ServerResponse, tag: string, inner: string, extra: Record<string, unknown> = {}) =>
    sendJson(res, 409, { error_summary: `${tag}/${inner}/...`, error: { ".tag": tag, [tag]: { ".tag": inner }, ...extra } });

  /** https://www.dropbox.com/developers/documentation/http/documentation#files-get_metadata */
  async function getMetadata(req: IncomingMessage, res: ServerResponse, a: Account) {
    const { path } = await readJson(req);
    if (!validPath(path)) return lookupError(res, "path", "malformed_path");
    const e = entryAt(a.clientId, path);
    if (!e) return lookupError(res, "path", "not_found");
    sendJson(res, 200, metadata(e));
  }

  function listing(owner: string, path: string, recursive: boolean): Entry[] {
    const base = lower(path);
    const out: Entry[] = [];
    for (const e of entries.values()) {
      if (e.owner !== owner) continue;
      const p = lower(e.pathDisplay);
      const inside = recursive ? p === base || p.startsWith(`${base}/`) : parentOf(p) === base;
      if (inside && !(path === "" && p === "")) out.push(e);
    }
    // Stable but unsorted (by id), as Dropbox promises no order.
    return out.sort((x, y) => (x.id < y.id ? -1 : 1));
  }

  function page(res: ServerResponse, owner: string, path: string, recursive: boolean, offset: number, limit: number) {
    const all = listing(owner, path, recursive);
    const slice = all.slice(offset, offset + limit);
    const next = offset + slice.length;
    const cursor = Buffer.from(JSON.stringify({ owner, path, recursive, offset: next, limit })).toString("base64url");
    sendJson(res, 200, { entries: slice.map(metadata), cursor, has_more: next < all.length });
  }

  /** https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder — limit 1..2000; "" is the root. */
  async function listFolder(req: IncomingMessage, res: ServerResponse, a: Account) {
    const { path, recursive, limit } = await readJson(req);
    if (!validPath(path, true)) return lookupError(res, "path", "malformed_path");
    if (limit !== undefined && (typeof limit !== "number" || limit < 1 || limit > 2000)) {
      res.writeHead(400, { "content-type": "text/plain" }).end(`Error in call to API function "files/list_folder": request body: limit: ${String(limit)} is not within range [1, 2000]`);
      return;
    }
    if (path !== "") {
      const e = entryAt(a.clientId, path);
      if (!e) return lookupError(res, "path", "not_found");
      if (e.tag !== "folder") return lookupError(res, "path", "not_folder");
    }
    page(res, a.clientId, path, recursive === true, 0, typeof limit === "number" ? limit : 2000);
  }

  /** https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-continue */
  async function listContinue(req: IncomingMessage, res: ServerResponse, a: Account) {
    const { cursor } = await readJson(req);
    let c: { owner: string; path: string; recursive: boolean; offset: number; limit: number };
    try {
      c = JSON.parse(Buffer.from(String(cursor), "base64url").toString("utf8"));
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end(`Error in call to API function "files/list_folder/continue": Invalid "cursor" parameter`);
      return;
    }
    if (c.owner !== a.clientId) return sendJson(res, 409, { error_summary: "reset/...", error: { ".tag": "reset" } });
    page(res, a.clientId, c.path, c.recursive, c.offset, c.limit);
  }

  /** https://www.dropbox.com/developers/documentation/http/documentation#files-delete_v2 — a folder goes with its contents. */
  async function deleteV2(req: IncomingMessage, res: ServerResponse, a: Account) {
    const { path } = await readJson(req);
    if (!validPath(path)) return lookupError(res, "path_lookup", "malformed_path");
    const e = entryAt(a.clientId, path);
    if (!e) return lookupError(res, "path_lookup", "not_found");
    for (const d of listing(a.clientId, e.pathDisplay, true)) {
      entries.delete(`${a.clientId}\0${lower(d.pathDisplay)}`);
      rmSync(join(blobs, d.id), { force: true });
    }
    save();
    sendJson(res, 200, { metadata: metadata(e) });
  }

  /** Streams the request body to `file` (appending); returns the byte count, or null when the client went away. */
  async function receive(req: IncomingMessage, file: string, limit: number): Promise<number | null> {
    const out = createWriteStream(file, { flags: "a" });
    let n = 0;
    try {
      for await (const c of req as AsyncIterable<Buffer>) {
        n += c.length;
        if (n > limit) throw new Error("too large");
        if (!out.write(c)) await new Promise<void>((r) => out.once("drain", () => r()));
      }
    } catch {
      await new Promise<void>((r) => out.end(r));
      return null;
    }
    await new Promise<void>((r) => out.end(r));
    return req.complete ? n : null;
  }

  /**
   * Commits `src` at `path` per CommitInfo (mode add | overwrite | update, autorename,
   * strict_conflict) — https://www.dropbox.com/developers/documentation/http/documentation#files-upload
   * "WriteError": conflict/file, conflict/folder, conflict/file_ancestor, insufficient_space.
   * Returns the WriteError tag path on failure (e.g. ["conflict","folder"]).
   */
  async function commit(a: Account, src: string, info: Record<string, unknown>): Promise<Entry | string[]> {
    const path = String(info.path ?? "");
    if (!validPath(path)) return ["malformed_path"];
    const modeRaw = info.mode ?? "add";
    const mode = typeof modeRaw === "string" ? modeRaw : String((modeRaw as { ".tag"?: string })[".tag"]);
    const existing = entryAt(a.clientId, path);
    for (let p = parentOf(path); p !== ""; p = parentOf(p)) {
      if (entryAt(a.clientId, p)?.tag === "file") return ["conflict", "file_ancestor"];
    }
    if (existing?.tag === "folder") return ["conflict", "folder"];
    if (existing && mode === "add" && !info.autorename) return ["conflict", "file"];
    if (existing && mode === "update" && (modeRaw as { update?: string }).update !== existing.rev) return ["conflict", "file"];
    const size = statSync(src).size;
    if (a.quotaBytes !== null && usedBytes(a.clientId) - (existing?.size ?? 0) + size > a.quotaBytes) return ["insufficient_space"];
    // Parent folders are created as needed, keeping the case they were first written with.
    for (let p = parentOf(path); p !== ""; p = parentOf(p)) {
      if (!entryAt(a.clientId, p)) {
        entries.set(`${a.clientId}\0${lower(p)}`, { tag: "folder", owner: a.clientId, id: `id:${newId(9)}`, pathDisplay: p, size: 0, rev: "", serverModified: "", contentHash: null });
      }
    }
    const e: Entry = {
      tag: "file", owner: a.clientId, id: existing?.id ?? `id:${newId(9)}`, pathDisplay: existing ? parentOf(existing.pathDisplay) + "/" + nameOf(path) : path,
      size, rev: newId(8).replace(/[^0-9a-f]/gi, "0").toLowerCase(), serverModified: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      contentHash: await contentHash(src),
    };
    renameSync(src, join(blobs, e.id));
    entries.set(`${a.clientId}\0${lower(path)}`, e);
    save();
    return e;
  }

  /** https://www.dropbox.com/developers/documentation/http/documentation#files-upload — one request, ≤ 150 MiB. */
  async function upload(req: IncomingMessage, res: ServerResponse, a: Account, route: string, drop: IncomingMessage | null) {
    const arg = apiArg(req, res, route);
    if (!arg) return;
    const tmp = join(uploads, `put-${newId()}`);
    writeFileSync(tmp, new Uint8Array());
    const n = await receive(req, tmp, MAX_UPLOAD);
    if (n === null) return void rmSync(tmp, { force: true });
    const r = await commit(a, tmp, arg);
    if (Array.isArray(r)) {
      rmSync(tmp, { force: true });
      // UploadError.path is UploadWriteFailed { reason: WriteError, upload_session_id } (struct fields flattened into the union).
      const reason = r.length === 2 ? { ".tag": r[0], [r[0]!]: { ".tag": r[1] } } : { ".tag": r[0] };
      return sendJson(res, 409, { error_summary: `path/${r.join("/")}/...`, error: { ".tag": "path", reason, upload_session_id: "" } });
    }
    if (drop) return resetConnection(drop);
    sendJson(res, 200, metadata(r));
  }

  /** https://www.dropbox.com/developers/documentation/http/documentation#files-upload_session-start */
  async function sessionStart(req: IncomingMessage, res: ServerResponse, a: Account, route: string, drop: IncomingMessage | null) {
    const arg = apiArg(req, res, route);
    if (!arg) return;
    const s: Session = { id: `pid_upload_session:${newId(18)}`, owner: a.clientId, length: 0, closed: arg.close === true };
    const file = join(uploads, Buffer.from(s.id).toString("base64url"));
    writeFileSync(file, new Uint8Array());
    const n = await receive(req, file, MAX_UPLOAD);
    if (n === null) return void rmSync(file, { force: true });
    s.length = n;
    sessions.set(s.id, s);
    if (drop) return resetConnection(drop);
    sendJson(res, 200, { session_id: s.id });
  }

  /** UploadSessionLookupError for a cursor; null when the session accepts data at that offset. */
  function lookup(a: Account, cursor: unknown, appending: boolean): { tag: string; extra?: Record<string, unknown> } | null {
    const c = cursor as { session_id?: string; offset?: number } | undefined;
    const s = c?.session_id ? sessions.get(c.session_id) : undefined;
    if (!s || s.owner !== a.clientId) return { tag: "not_found" };
    if (c!.offset !== s.length) return { tag: "incorrect_offset", extra: { correct_offset: s.length } };
    if (appending && s.closed) return { tag: "closed" };
    return null;
  }

  /**
   * https://www.dropbox.com/developers/documentation/http/documentation#files-upload_session-append
   * (append_v2): the cursor's offset must equal the bytes received so far, else 409
   * incorrect_offset with correct_offset. A body cut mid-way is not kept (offset unchanged).
   */
  async function sessionAppend(req: IncomingMessage, res: ServerResponse, a: Account, route: string, drop: IncomingMessage | null) {
    const arg = apiArg(req, res, route);
    if (!arg) return;
    const err = lookup(a, arg.cursor, true);
    if (err) {
      req.resume();
      return sendJson(res, 409, { error_summary: `${err.tag}/...`, error: { ".tag": err.tag, ...err.extra } });
    }
    const s = sessions.get((arg.cursor as { session_id: string }).session_id)!;
    const file = join(uploads, Buffer.from(s.id).toString("base64url"));
    const part = `${file}.part-${newId(6)}`;
    writeFileSync(part, new Uint8Array());
    const n = await receive(req, part, MAX_UPLOAD);
    if (n === null) return void rmSync(part, { force: true });
    await appendFile(part, file);
    s.length += n;
    if (arg.close === true) s.closed = true;
    if (drop) return resetConnection(drop);
    sendJson(res, 200, null);
  }

  /** https://www.dropbox.com/developers/documentation/http/documentation#files-upload_session-finish — the file appears only here. */
  async function sessionFinish(req: IncomingMessage, res: ServerResponse, a: Account, route: string, drop: IncomingMessage | null) {
    const arg = apiArg(req, res, route);
    if (!arg) return;
    const err = lookup(a, arg.cursor, false);
    if (err) {
      req.resume();
      return sendJson(res, 409, { error_summary: `lookup_failed/${err.tag}/...`, error: { ".tag": "lookup_failed", lookup_failed: { ".tag": err.tag, ...err.extra } } });
    }
    const s = sessions.get((arg.cursor as { session_id: string }).session_id)!;
    const file = join(uploads, Buffer.from(s.id).toString("base64url"));
    const n = await receive(req, file, MAX_UPLOAD);
    if (n === null) {
      // The bytes of a cut finish request are dropped; the session stays as it was.
      truncateSync(file, s.length);
      return;
    }
    s.length += n;
    const r = await commit(a, file, (arg.commit ?? {}) as Record<string, unknown>);
    if (Array.isArray(r)) {
      const inner = r.length === 2 ? { ".tag": r[0], [r[0]!]: { ".tag": r[1] } } : { ".tag": r[0] };
      return sendJson(res, 409, { error_summary: `path/${r.join("/")}/...`, error: { ".tag": "path", path: inner } });
    }
    sessions.delete(s.id);
    if (drop) return resetConnection(drop);
    sendJson(res, 200, metadata(r));
  }

  /**
   * https://www.dropbox.com/developers/documentation/http/documentation#files-download — the
   * metadata in the Dropbox-API-Result header (header-safe JSON), the content as the body;
   * a Range header answers 206 (#formats "Range requests"); a range past the end answers 416.
   */
  async function download(req: IncomingMessage, res: ServerResponse, a: Account, route: string) {
    const arg = apiArg(req, res, route);
    if (!arg) return;
    req.resume();
    const path = arg.path;
    if (!validPath(path)) return lookupError(res, "path", "malformed_path");
    const e = entryAt(a.clientId, path);
    if (!e) return lookupError(res, "path", "not_found");
    if (e.tag === "folder") return lookupError(res, "path", "not_file");
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
    let start = 0;
    let end = e.size - 1;
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start >= e.size) {
        res.writeHead(416, { "content-range": `bytes */${e.size}`, "content-type": "text/plain" }).end("Range Not Satisfiable");
        return;
      }
    }
    res.writeHead(range ? 206 : 200, {
      "content-type": "application/octet-stream",
      "content-length": String(Math.max(0, end - start + 1)),
      "dropbox-api-result": headerSafeJson(metadata(e)),
      ...(range ? { "content-range": `bytes ${start}-${end}/${e.size}` } : {}),
    });
    if (e.size === 0) return res.end();
    createReadStream(join(blobs, e.id), { start, end }).on("error", () => res.destroy()).pipe(res);
  }

  return { ...(await listenOnLoopback(server, opts.port)), accounts };
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

async function appendFile(part: string, file: string) {
  await new Promise<void>((resolve, reject) => {
    createReadStream(part).on("error", reject).pipe(createWriteStream(file, { flags: "a" })).on("finish", resolve).on("error", reject);
  });
  rmSync(part, { force: true });
}

/** https://www.dropbox.com/developers/reference/content-hash — SHA-256 over the SHA-256 of each 4 MiB block. */
async function contentHash(file: string): Promise<string> {
  const outer = createHash("sha256");
  let inner = createHash("sha256");
  let fill = 0;
  for await (const c of createReadStream(file) as AsyncIterable<Buffer>) {
    let off = 0;
    while (off < c.length) {
      const n = Math.min(HASH_BLOCK - fill, c.length - off);
      inner.update(c.subarray(off, off + n));
      fill += n;
      off += n;
      if (fill === HASH_BLOCK) {
        outer.update(inner.digest());
        inner = createHash("sha256");
        fill = 0;
      }
    }
  }
  if (fill > 0) outer.update(inner.digest());
  return outer.digest("hex");
}

await runAsDaemon(import.meta.url, "fake Dropbox API", startFakeDropbox);
