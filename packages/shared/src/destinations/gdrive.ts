/**
 * Google Drive destination (`gdrive://<folder>`), Drive API v3 through @googleapis/drive with
 * OAuth2 refresh-token credentials (COFRE_GDRIVE_CLIENT_ID, _CLIENT_SECRET, _REFRESH_TOKEN).
 *
 * Layout: one dedicated folder ("Ortho+ Backups" unless the spec names one; nested segments
 * `gdrive://Clinica/Backups` make nested folders), created when missing. Each key is ONE file
 * in that folder whose name is the key itself, slashes included (Drive names may hold any
 * character). Flat names, not subfolders, because a prefix listing is then one paged
 * files.list over one parent, in Drive's `orderBy=name` order — subfolders would need a
 * recursive walk that cannot page in key order.
 *
 * Uploads are resumable sessions (uploadType=resumable) in 8 MiB chunks (a multiple of 256 KiB
 * as Drive requires), sent with fetch: googleapis-common only does simple/multipart media
 * uploads, never the resumable protocol. After a reset or 5xx the session is asked how far it
 * got (`Content-Range: bytes * /total`, the 308's Range header) and the chunk continues from
 * there. Atomic: Drive creates the file — or, for an existing key, its new content — only when
 * the final chunk completes the session (the initiating request returns just a session URI);
 * an abandoned session expires unseen. Downloads (alt=media with Range) also use fetch, for a
 * Web ReadableStream on Node and Deno alike; metadata calls (list, folder lookup/create,
 * delete) go through the googleapis client, with our own bearer header (#api).
 *
 * The access token is refreshed here (#token), one request inside the caller's withRetry
 * attempt, never by google-auth-library (whose own refresh retries multiplied ours). The API
 * base and token endpoint are the operator's (COFRE_GDRIVE_API_BASE, _TOKEN_URL), never the
 * spec's; redirects are refused (cloud-http.ts cloudFetch) and the resumable session URI is
 * held to the API base's host and the SSRF guard (#vetSession).
 *
 * Drive allows several files with one name. A put of an existing key replaces the newest file
 * of that name in place (files.update), then deletes older duplicates; two concurrent puts of a
 * new key may both create one — afterwards every writer keeps the newest and deletes the rest.
 * `remove` deletes permanently (files.delete), not to the trash: retention is Cofre's policy,
 * and trashed backups would keep patient data (LGPD) and use quota for 30 more days.
 */
import { drive, type drive_v3 } from "@googleapis/drive";
import { CofreError } from "../errors.ts";
import {
  chunksOf, cloudFetch, networkFailure, operatorEndpoint, operatorSetting, refuseSpecEndpoints, tailOf, typedBody, type UploadChunk,
} from "./cloud-http.ts";
import type { ByteRange, Capabilities, Destination, ListPage, ObjectInfo } from "./contract.ts";
import { assertValidKey } from "./keys.ts";
import { guardHost } from "./network-guard.ts";
import { ioTimeoutOf, requireCredential, type NetworkPolicy, type OpenContext } from "./open-context.ts";
import { runConnectionProbe } from "./probe.ts";
import { parseRetryAfter, withRetry } from "./retry.ts";

export const GDRIVE_DEFAULT_FOLDER = "Ortho+ Backups";
const DEFAULT_API = "https://www.googleapis.com";
const DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token";
const FOLDER_MIME = "application/vnd.google-apps.folder";
/** Upload chunk: 32 × 256 KiB (Drive: "a multiple of 256 KB"). Bounds memory per put. */
export const GDRIVE_CHUNK = 8 * 1024 * 1024;
/** Drive's files.list maximum pageSize. */
const MAX_PAGE = 1000;
const RATE_REASONS = new Set(["userRateLimitExceeded", "rateLimitExceeded", "sharingRateLimitExceeded"]);
const QUOTA_REASONS = new Set(["storageQuotaExceeded", "quotaExceeded", "teamDriveFileLimitExceeded"]);

interface GdriveConfig {
  folderPath: string[];
  apiBase: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** ctx.fetch (or the global one) behind an idle timeout of ctx.ioTimeoutMs: every request goes here. */
  fetch: typeof fetch;
  chunkSize: number;
  /** Hosts (host[:port]) a resumable session URI may point at: the API base's, plus COFRE_GDRIVE_UPLOAD_HOSTS. */
  sessionHosts: string[];
  network: NetworkPolicy;
}

/** An HTTP answer that was not a success, reduced to what classification needs. */
interface HttpFailure {
  status: number;
  reason?: string;
  message?: string;
  retryAfter?: string | null;
  /** OAuth token endpoint error ("invalid_grant", "invalid_client"…). */
  oauthError?: string;
}

/**
 * Opens `gdrive://<folder>[?profile=…]`. The API base and token endpoint are the operator's to
 * change (COFRE_GDRIVE_API_BASE, COFRE_GDRIVE_TOKEN_URL — the local fakes), never the spec's:
 * the token endpoint receives the operator's OAuth client secret (cloud-http.ts operatorEndpoint).
 */
export async function open(url: URL, ctx: OpenContext): Promise<GdriveDestination> {
  refuseSpecEndpoints(url, "gdrive", "Google Drive", ["api", "token"]);
  const segments = [url.host, ...url.pathname.split("/")]
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s.replace(/\+/g, "%2B")));
  const apiBase = (await operatorEndpoint(ctx, "gdrive", url, "api_base", "Google Drive")) ?? DEFAULT_API;
  const tokenUrl = (await operatorEndpoint(ctx, "gdrive", url, "token_url", "Google Drive")) ??
    (apiBase === DEFAULT_API ? DEFAULT_TOKEN_URL : `${apiBase}/token`);
  const sessionHosts = (operatorSetting(ctx, "gdrive", url, "upload_hosts") ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
  return new GdriveDestination({
    folderPath: segments.length > 0 ? segments : [GDRIVE_DEFAULT_FOLDER],
    apiBase,
    tokenUrl,
    clientId: requireCredential(ctx, "gdrive", url, "client_id"),
    clientSecret: requireCredential(ctx, "gdrive", url, "client_secret"),
    refreshToken: requireCredential(ctx, "gdrive", url, "refresh_token"),
    fetch: cloudFetch(ctx.fetch ?? globalThis.fetch.bind(globalThis), ioTimeoutOf(ctx), "Google Drive"),
    chunkSize: GDRIVE_CHUNK,
    sessionHosts: [new URL(apiBase).host.toLowerCase(), ...sessionHosts],
    network: ctx.network,
  });
}

/** Drive's query-string literal: single quotes, with ' and \ escaped. */
function quote(s: string) {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Listing cursors: Drive's page token and the last name returned (to drop duplicates across pages). */
function encodeCursor(c: { t: string | null; l: string | null }) {
  return btoa(encodeURIComponent(JSON.stringify(c)));
}

function decodeCursor(s: string): { t: string | null; l: string | null } {
  try {
    return JSON.parse(decodeURIComponent(atob(s))) as { t: string | null; l: string | null };
  } catch {
    throw new CofreError("INVALID_INPUT", { "pt-BR": "Cursor de listagem inválido.", en: "Invalid listing cursor." });
  }
}

export class GdriveDestination implements Destination {
  readonly kind = "gdrive";
  readonly capabilities: Capabilities = { rangeReads: true, resumableUploads: true, serverChecksums: ["md5"] };
  readonly #cfg: GdriveConfig;
  readonly #drive: drive_v3.Drive;
  #folderId: Promise<string> | null = null;
  /** The current access token and when we stop using it (a minute before Google's expiry). */
  #access: { token: string; usableUntil: number } | null = null;
  #refreshing: Promise<string> | null = null;

  constructor(cfg: GdriveConfig) {
    this.#cfg = cfg;
    // No auth client: the token refresh is ours (#token), so it runs inside the caller's one
    // withRetry loop. google-auth-library retried refreshes on its own (transporterOptions
    // could not turn that off), multiplying every retry of ours.
    this.#drive = drive({
      version: "v3",
      rootUrl: `${cfg.apiBase}/`,
      fetchImplementation: cfg.fetch,
      // withRetry is the one retry loop; gaxios must not retry on its own.
      retry: false,
    });
  }

  get displaySpec() {
    const folder = this.#cfg.folderPath.map((s) => encodeURIComponent(s)).join("/");
    return `gdrive://${folder}`;
  }

  // ---- errors ------------------------------------------------------------------------------

  /** Any failure of this adapter as a CofreError (see the class table in probe.ts). */
  classify(e: unknown, key?: string): CofreError {
    if (e instanceof CofreError) return e;
    const f = failureOf(e);
    if (!f) return networkFailure(e, "Google Drive", key ? { key } : {});
    return classifyFailure(f, key);
  }

  async #call<T>(what: string, op: (attempt: number) => Promise<T>, key?: string): Promise<T> {
    return withRetry(async (attempt) => {
      try {
        return await op(attempt);
      } catch (e) {
        throw this.classify(e, key);
      }
    }, { policy: { maxRetryAfterMs: 60_000 } }).catch((e: unknown) => {
      if (e instanceof CofreError) e.details.operation ??= what;
      throw e;
    });
  }

  /**
   * A usable access token, refreshed with the refresh token when missing, expired or `force`d
   * (https://developers.google.com/identity/protocols/oauth2/web-server#offline: POST to the
   * token endpoint, grant_type=refresh_token). ONE request and no retry of its own: it runs
   * inside the caller's withRetry attempt, so a failing token endpoint costs one request per
   * attempt. Concurrent callers share one refresh.
   */
  #token(force = false): Promise<string> {
    if (force) this.#access = null;
    if (this.#access && Date.now() < this.#access.usableUntil) return Promise.resolve(this.#access.token);
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<string> {
    let res: Response;
    try {
      res = await this.#cfg.fetch(this.#cfg.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          client_id: this.#cfg.clientId,
          client_secret: this.#cfg.clientSecret,
          refresh_token: this.#cfg.refreshToken,
        }).toString(),
      });
    } catch (e) {
      throw networkFailure(e, "Google Drive");
    }
    const text = await res.text().catch(() => "");
    let data: { access_token?: unknown; expires_in?: unknown; error?: unknown } = {};
    try {
      data = JSON.parse(text) as typeof data;
    } catch {
      /* not JSON: classified by status */
    }
    if (!res.ok) {
      throw classifyFailure({ status: res.status, oauthError: typeof data.error === "string" ? data.error : `http_${res.status}`, retryAfter: res.headers.get("retry-after") });
    }
    if (typeof data.access_token !== "string" || data.access_token === "") {
      throw new CofreError("DESTINATION_IO", {
        "pt-BR": "O Google não devolveu um token de acesso. Tente novamente; se persistir, autorize o Cofre no Google Drive de novo.",
        en: "Google returned no access token. Try again; if it persists, authorize Cofre for Google Drive again.",
      });
    }
    const ttlSec = typeof data.expires_in === "number" && data.expires_in > 0 ? data.expires_in : 3600;
    this.#access = { token: data.access_token, usableUntil: Date.now() + Math.max(0, ttlSec - 60) * 1000 };
    return data.access_token;
  }

  /**
   * A googleapis call with our bearer token (the method's options carry the header); when
   * Drive answers 401 although the token looked fresh, one forced refresh and a repeat.
   */
  async #api<T>(call: (opts: { headers: Record<string, string> }) => Promise<T>): Promise<T> {
    const bearer = async (force: boolean) => ({ headers: { authorization: `Bearer ${await this.#token(force)}` } });
    try {
      return await call(await bearer(false));
    } catch (e) {
      if (failureOf(e)?.status !== 401) throw e;
      return await call(await bearer(true));
    }
  }

  /** fetch with the bearer token; on 401 refreshes the token once and repeats (bodies here are replayable bytes). */
  async #authedFetch(url: string, init: RequestInit): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${await this.#token(attempt > 0)}`);
      let res: Response;
      try {
        res = await this.#cfg.fetch(url, { ...init, headers });
      } catch (e) {
        throw networkFailure(e, "Google Drive");
      }
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel().catch(() => {});
        continue;
      }
      return res;
    }
  }

  // ---- folder and name lookups ---------------------------------------------------------------

  #folder(): Promise<string> {
    this.#folderId ??= this.#resolveFolder().catch((e: unknown) => {
      this.#folderId = null;
      throw e;
    });
    return this.#folderId;
  }

  /**
   * Walks (and creates where missing) the folder path. Drive allows several folders with one
   * name: when duplicates exist (made by concurrent first runs, or by hand), every writer uses
   * the OLDEST (createdTime, then id — the same answer for all), so backups never split
   * between them; the others are left alone (they may hold someone's files).
   * A create is retried only after listing again: a create whose answer was lost has already
   * made the folder, and creating again would make a duplicate. After creating, the folder is
   * looked up again, so two concurrent creators both settle on the oldest.
   */
  async #resolveFolder(): Promise<string> {
    let parent = "root";
    for (const name of this.#cfg.folderPath) {
      let id = await this.#call("find folder", () => this.#findFolder(name, parent));
      if (!id) {
        const under = parent;
        await this.#call("create folder", async (attempt) => {
          if (attempt > 1 && (await this.#findFolder(name, under))) return;
          await this.#api((o) => this.#drive.files.create({ requestBody: { name, mimeType: FOLDER_MIME, parents: [under] }, fields: "id" }, o));
        });
        id = await this.#call("find folder", () => this.#findFolder(name, under));
        if (!id) {
          throw new CofreError("DESTINATION_IO", {
            "pt-BR": `O Google Drive criou a pasta "${name}" mas não a encontra. Tente novamente.`,
            en: `Google Drive created folder "${name}" but cannot find it. Try again.`,
          }, { details: { folder: name } });
        }
      }
      parent = id;
    }
    return parent;
  }

  /** The oldest live folder named `name` in `parent` (one request, no retry: callers run it under #call). */
  async #findFolder(name: string, parent: string): Promise<string | null> {
    const q = `name = ${quote(name)} and ${quote(parent)} in parents and mimeType = '${FOLDER_MIME}' and trashed = false`;
    const found = await this.#api((o) =>
      this.#drive.files.list({ q, orderBy: "createdTime", pageSize: 100, fields: "files(id,name,createdTime)", spaces: "drive" }, o));
    const oldest = [...(found.data.files ?? [])].sort((a, b) =>
      String(a.createdTime).localeCompare(String(b.createdTime)) || String(a.id).localeCompare(String(b.id)))[0];
    return oldest?.id ?? null;
  }

  /** Every live file named `key` in the folder, newest first. */
  async #filesNamed(key: string): Promise<drive_v3.Schema$File[]> {
    const folder = await this.#folder();
    const q = `name = ${quote(key)} and ${quote(folder)} in parents and trashed = false and mimeType != '${FOLDER_MIME}'`;
    const res = await this.#call("stat", () =>
      this.#api((o) => this.#drive.files.list({ q, orderBy: "modifiedTime desc", pageSize: 100, fields: "files(id,name,size,modifiedTime,createdTime)" }, o)), key);
    return res.data.files ?? [];
  }

  async #deleteIds(ids: string[], key: string) {
    for (const fileId of ids) {
      await this.#call("delete", async () => {
        try {
          await this.#api((o) => this.#drive.files.delete({ fileId }, o));
        } catch (e) {
          if (failureOf(e)?.status !== 404) throw e; // already gone: fine
        }
      }, key);
    }
  }

  // ---- Destination -------------------------------------------------------------------------

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<ObjectInfo> {
    let chunks: AsyncGenerator<UploadChunk> | null = null;
    try {
      assertValidKey(key);
      const folder = await this.#folder();
      const existing = await this.#filesNamed(key);
      chunks = chunksOf(body, this.#cfg.chunkSize);
      const first = await chunks.next();
      if (first.done) throw new Error("chunker ended without a final chunk");
      const session = await this.#startSession(key, folder, existing[0]?.id ?? null, first.value.last ? first.value.bytes.length : null);
      let file = await this.#sendChunk(session, first.value);
      for await (const chunk of chunks) file = await this.#sendChunk(session, chunk);
      if (!file) throw new Error("the upload session ended without a file");
      if (existing.length > 0) {
        // Updated the newest in place; older duplicates of the name go.
        await this.#deleteIds(existing.slice(1).map((f) => f.id!), key);
      } else {
        // Created: a concurrent put may have created one too. Every writer keeps the newest
        // (createdTime, then id — the same answer for all) and deletes the rest.
        const all = await this.#filesNamed(key);
        const order = (a: drive_v3.Schema$File, b: drive_v3.Schema$File) =>
          String(b.createdTime).localeCompare(String(a.createdTime)) || String(b.id).localeCompare(String(a.id));
        await this.#deleteIds([...all].sort(order).slice(1).map((f) => f.id!), key);
      }
      return { key, size: Number(file.size ?? 0), modifiedAt: file.modifiedTime ? new Date(file.modifiedTime) : new Date() };
    } catch (e) {
      const err = this.classify(e, key);
      await chunks?.return(undefined).catch(() => {});
      await body.cancel(err).catch(() => {});
      throw err;
    }
  }

  /**
   * https://developers.google.com/drive/api/guides/manage-uploads#resumable — POST (new file)
   * or PATCH …/files/{id} (new content for an existing file) with uploadType=resumable; the
   * session URI comes back in Location. Repeating it only leaves an unused session behind.
   */
  async #startSession(key: string, folder: string, fileId: string | null, size: number | null): Promise<string> {
    const url = fileId
      ? `${this.#cfg.apiBase}/upload/drive/v3/files/${encodeURIComponent(fileId)}?uploadType=resumable&fields=id,name,size,modifiedTime`
      : `${this.#cfg.apiBase}/upload/drive/v3/files?uploadType=resumable&fields=id,name,size,modifiedTime`;
    const meta = fileId ? {} : { name: key, parents: [folder], mimeType: "application/octet-stream" };
    return this.#call("start upload", async () => {
      const res = await this.#authedFetch(url, {
        method: fileId ? "PATCH" : "POST",
        headers: {
          "content-type": "application/json; charset=UTF-8",
          "x-upload-content-type": "application/octet-stream",
          ...(size !== null ? { "x-upload-content-length": String(size) } : {}),
        },
        body: JSON.stringify(meta),
      });
      if (!res.ok) throw await responseFailure(res);
      await res.body?.cancel().catch(() => {});
      const location = res.headers.get("location");
      if (!location) throw new Error("Drive returned no session URI");
      return await this.#vetSession(location);
    }, key);
  }

  /**
   * The session URI is where every chunk (with our bearer token) goes next, so it gets the
   * same checks as the API base: an http(s) URL on the API base's host (or one the operator
   * lists in COFRE_GDRIVE_UPLOAD_HOSTS), whose address passes the SSRF guard.
   */
  async #vetSession(location: string): Promise<string> {
    let u: URL | null = null;
    try {
      u = new URL(location);
    } catch {
      /* refused below */
    }
    if (!u || (u.protocol !== "https:" && u.protocol !== "http:") || !this.#cfg.sessionHosts.includes(u.host.toLowerCase())) {
      throw new CofreError("DESTINATION_IO", {
        "pt-BR": `O Google Drive indicou uma sessão de envio em outro endereço (${u?.origin ?? "inválido"}), que o Cofre recusa por segurança.`,
        en: `Google Drive named an upload session at another address (${u?.origin ?? "invalid"}), which Cofre refuses for security.`,
      }, { details: { sessionOrigin: u?.origin ?? null } });
    }
    await guardHost(u.hostname, this.#cfg.network);
    return u.href;
  }

  /**
   * Sends one chunk, continuing from wherever the session stands. On a retry it first asks
   * the session what it has (#resume-upload), so bytes are neither lost nor sent twice.
   * Returns the file when the final chunk completed the session, else null.
   */
  async #sendChunk(session: string, chunk: UploadChunk): Promise<drive_v3.Schema$File | null> {
    const end = chunk.offset + chunk.bytes.length;
    const total = chunk.last ? end : null;
    let acked = chunk.offset;
    return this.#call("upload chunk", async (attempt) => {
      if (attempt > 1) {
        const st = await this.#sessionStatus(session, total);
        if (st.file) return st.file;
        if (st.received < chunk.offset || st.received > end) {
          throw new CofreError("DESTINATION_IO", {
            "pt-BR": "O Google Drive perdeu parte do envio retomável. Execute o backup novamente.",
            en: "Google Drive lost part of the resumable upload. Run the backup again.",
          }, { details: { received: st.received, chunkStart: chunk.offset } });
        }
        acked = st.received;
      }
      for (;;) {
        const range = acked === end ? `bytes */${total ?? "*"}` : `bytes ${acked}-${end - 1}/${total ?? "*"}`;
        if (acked === end && !chunk.last) return null;
        const res = await this.#authedFetch(session, {
          method: "PUT",
          headers: { "content-range": range, "content-type": "application/octet-stream" },
          body: tailOf(chunk, acked),
        });
        if (res.status === 200 || res.status === 201) return (await res.json()) as drive_v3.Schema$File;
        if (res.status === 308) {
          await res.body?.cancel().catch(() => {});
          acked = rangeEnd(res.headers.get("range"));
          if (acked >= end && !chunk.last) return null;
          if (acked < chunk.offset) throw new Error(`Drive acknowledged fewer bytes (${acked}) than before (${chunk.offset})`);
          continue; // Drive kept less than sent: send the rest.
        }
        throw await responseFailure(res, "upload session");
      }
    });
  }

  /** https://developers.google.com/drive/api/guides/manage-uploads#resume-upload — an empty PUT with `Content-Range: bytes * /total`. */
  async #sessionStatus(session: string, total: number | null): Promise<{ received: number; file: drive_v3.Schema$File | null }> {
    const res = await this.#authedFetch(session, { method: "PUT", headers: { "content-range": `bytes */${total ?? "*"}` }, body: new Uint8Array() });
    if (res.status === 200 || res.status === 201) return { received: total ?? 0, file: (await res.json()) as drive_v3.Schema$File };
    if (res.status === 308) {
      await res.body?.cancel().catch(() => {});
      return { received: rangeEnd(res.headers.get("range")), file: null };
    }
    throw await responseFailure(res, "upload session");
  }

  async get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    assertValidKey(key);
    const [file] = await this.#filesNamed(key);
    if (!file) throw notFound(key);
    if (range?.length === 0) return new ReadableStream({ start: (c) => c.close() });
    const header = range ? `bytes=${range.offset}-${range.length === undefined ? "" : range.offset + range.length - 1}` : null;
    const url = `${this.#cfg.apiBase}/drive/v3/files/${encodeURIComponent(file.id!)}?alt=media`;
    return this.#call("download", async () => {
      const res = await this.#authedFetch(url, { method: "GET", headers: header ? { range: header } : {} });
      // A range starting past the end: no bytes, per the contract.
      if (res.status === 416) {
        await res.body?.cancel().catch(() => {});
        return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
      }
      if (!res.ok) throw await responseFailure(res);
      if (header && res.status === 200 && range && range.offset > 0) throw new Error("Drive ignored the Range header");
      return res.body ? typedBody(res.body, "Google Drive", key) : new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    }, key);
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    const [file] = await this.#filesNamed(key);
    if (!file) return null;
    return { key, size: Number(file.size ?? 0), modifiedAt: file.modifiedTime ? new Date(file.modifiedTime) : null };
  }

  /**
   * One page of files whose name starts with `prefix`, in Drive's name order
   * (https://developers.google.com/drive/api/reference/rest/v3/files/list, orderBy=name;
   * pageToken paging, up to 1000 per page). Filtering is client-side: Drive's `name contains`
   * matches word prefixes, not string prefixes. Duplicate names are listed once.
   */
  async list(prefix: string, opts: { cursor?: string | null; limit?: number } = {}): Promise<ListPage> {
    const folder = await this.#folder();
    const pageSize = Math.max(1, Math.min(MAX_PAGE, opts.limit ?? MAX_PAGE));
    let { t: pageToken, l: last } = opts.cursor ? decodeCursor(opts.cursor) : { t: null, l: null };
    const q = `${quote(folder)} in parents and trashed = false and mimeType != '${FOLDER_MIME}'`;
    const objects: ObjectInfo[] = [];
    for (;;) {
      const res = await this.#call("list", () =>
        this.#api((o) =>
          this.#drive.files.list({
            q,
            orderBy: "name",
            pageSize,
            fields: "nextPageToken,files(id,name,size,modifiedTime)",
            ...(pageToken ? { pageToken } : {}),
          }, o)));
      for (const f of res.data.files ?? []) {
        const name = f.name ?? "";
        if (name === last || !name.startsWith(prefix)) continue;
        last = name;
        objects.push({ key: name, size: Number(f.size ?? 0), modifiedAt: f.modifiedTime ? new Date(f.modifiedTime) : null });
      }
      pageToken = res.data.nextPageToken ?? null;
      // Drive may return partial or empty pages before the end; go on until something matched.
      if (pageToken === null || objects.length > 0) break;
    }
    return { objects, cursor: pageToken === null ? null : encodeCursor({ t: pageToken, l: last }) };
  }

  async remove(key: string): Promise<void> {
    assertValidKey(key);
    const files = await this.#filesNamed(key);
    await this.#deleteIds(files.map((f) => f.id!), key);
  }

  testConnection() {
    return runConnectionProbe(this, (e) => this.classify(e));
  }
}

/** The end (exclusive) of a 308's `Range: bytes=0-n` header; 0 when absent (nothing persisted). */
function rangeEnd(h: string | null): number {
  const m = /bytes=0-(\d+)/.exec(h ?? "");
  return m ? Number(m[1]) + 1 : 0;
}

async function responseFailure(res: Response, where?: string): Promise<HttpFailure & { where?: string }> {
  const text = await res.text().catch(() => "");
  let data: unknown = null;
  try {
    data = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  const err = (data as { error?: { message?: string; errors?: { reason?: string }[] } } | null)?.error;
  return {
    status: res.status,
    reason: err?.errors?.[0]?.reason,
    message: err?.message,
    retryAfter: res.headers.get("retry-after"),
    ...(where ? { where } : {}),
  };
}

/** The HTTP failure inside a gaxios error (googleapis client, token refresh) or one we built. */
function failureOf(e: unknown): HttpFailure | null {
  if (e && typeof e === "object" && "status" in e && typeof (e as HttpFailure).status === "number" && !("response" in e)) {
    return e as HttpFailure;
  }
  const r = (e as { response?: { status?: number; data?: unknown; headers?: unknown } } | null)?.response;
  if (!r || typeof r.status !== "number") return null;
  const data = r.data as { error?: unknown } | null;
  const headers = r.headers as { get?: (k: string) => string | null } | Record<string, string> | undefined;
  const retryAfter = typeof (headers as { get?: unknown })?.get === "function"
    ? (headers as { get: (k: string) => string | null }).get("retry-after")
    : (headers as Record<string, string> | undefined)?.["retry-after"] ?? null;
  if (data && typeof data.error === "string") return { status: r.status, oauthError: data.error, retryAfter };
  const err = data?.error as { message?: string; errors?: { reason?: string }[] } | undefined;
  return { status: r.status, reason: err?.errors?.[0]?.reason, message: err?.message, retryAfter };
}

function notFound(key: string): CofreError {
  return new CofreError("DESTINATION_NOT_FOUND", {
    "pt-BR": `O arquivo ${key} não existe na pasta do Google Drive.`,
    en: `File ${key} does not exist in the Google Drive folder.`,
  }, { details: { key } });
}

/** Drive's statuses and reasons (https://developers.google.com/drive/api/guides/handle-errors) as error codes. */
function classifyFailure(f: HttpFailure, key?: string): CofreError {
  const details: Record<string, unknown> = { status: f.status, ...(f.reason ? { reason: f.reason } : {}), ...(key ? { key } : {}) };
  const retryAfterMs = parseRetryAfter(f.retryAfter ?? null);
  if (f.oauthError && f.status < 500 && f.status !== 429) {
    return new CofreError("DESTINATION_AUTH", {
      "pt-BR": `O Google recusou a credencial (${f.oauthError}): o token de atualização foi revogado ou expirou, ou o client ID/secret está errado. Autorize o Cofre no Google Drive novamente.`,
      en: `Google refused the credential (${f.oauthError}): the refresh token was revoked or expired, or the client ID/secret is wrong. Authorize Cofre for Google Drive again.`,
    }, { details: { ...details, oauthError: f.oauthError } });
  }
  if (f.status === 429 || (f.status === 403 && f.reason && RATE_REASONS.has(f.reason))) {
    return new CofreError("DESTINATION_RATE_LIMITED", {
      "pt-BR": "O Google Drive pediu para diminuir o ritmo (limite de requisições). O Cofre tenta de novo sozinho; se persistir, agende o backup para outro horário.",
      en: "Google Drive asked to slow down (rate limit). Cofre retries by itself; if it persists, schedule the backup for another time.",
    }, { details: { ...details, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } });
  }
  if (f.status === 401) {
    return new CofreError("DESTINATION_AUTH", {
      "pt-BR": "O Google Drive recusou o acesso (401). Autorize o Cofre no Google Drive novamente.",
      en: "Google Drive refused access (401). Authorize Cofre for Google Drive again.",
    }, { details });
  }
  if (f.status === 403 && f.reason && QUOTA_REASONS.has(f.reason)) {
    return new CofreError("DESTINATION_QUOTA", {
      "pt-BR": "O espaço do Google Drive acabou. Libere espaço, reduza a retenção ou amplie o plano do Google One.",
      en: "The Google Drive storage quota is used up. Free space, shorten retention or upgrade the Google One plan.",
    }, { details });
  }
  if (f.status === 403) {
    return new CofreError("DESTINATION_PERMISSION", {
      "pt-BR": `O Google Drive negou a operação (${f.reason ?? "403"}). Confira se a conta autorizada pode gravar na pasta.`,
      en: `Google Drive denied the operation (${f.reason ?? "403"}). Check that the authorized account can write to the folder.`,
    }, { details });
  }
  if (f.status === 404) {
    if ((f as { where?: string }).where === "upload session") {
      return new CofreError("DESTINATION_IO", {
        "pt-BR": "A sessão de envio do Google Drive expirou. Execute o backup novamente.",
        en: "The Google Drive upload session expired. Run the backup again.",
      }, { details });
    }
    return key ? notFound(key) : new CofreError("DESTINATION_NOT_FOUND", {
      "pt-BR": "A pasta ou o arquivo não foi encontrado no Google Drive.",
      en: "The folder or file was not found in Google Drive.",
    }, { details });
  }
  if (f.status >= 500) {
    return new CofreError("DESTINATION_UNAVAILABLE", {
      "pt-BR": `O Google Drive está com falha temporária (${f.status}). O Cofre tenta de novo; se persistir, tente mais tarde.`,
      en: `Google Drive is failing temporarily (${f.status}). Cofre retries; if it persists, try later.`,
    }, { details });
  }
  return new CofreError("DESTINATION_IO", {
    "pt-BR": `O Google Drive recusou a requisição (${f.status}${f.message ? `: ${f.message}` : ""}).`,
    en: `Google Drive rejected the request (${f.status}${f.message ? `: ${f.message}` : ""}).`,
  }, { details });
}
