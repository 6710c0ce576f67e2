/**
 * Dropbox destination (`dropbox:///path`), Dropbox API v2 through the `dropbox` SDK with an
 * app key/secret and a refresh token (COFRE_DROPBOX_APP_KEY, _APP_SECRET — optional for PKCE
 * apps — and _REFRESH_TOKEN). Keys are paths below the spec's folder (`/Ortho+ Backups` unless
 * one is given); Dropbox creates parent folders itself.
 *
 * - Small objects (≤ 8 MiB) go up with files/upload; larger ones through an upload session
 *   (upload_session/start, append_v2, finish) in 8 MiB chunks, so memory stays bounded. Both
 *   are atomic: the file appears only when upload or finish commits it. A chunk whose answer
 *   was lost is repeated at the same offset; Dropbox's `incorrect_offset` error says how much
 *   it really holds (`correct_offset`) and the chunk continues from there.
 * - Overwrite: Cofre's contract is "put replaces", so commits use mode `overwrite` on purpose
 *   (no autorename, which would leave "vol (1).zip" beside the key). What overwrite cannot
 *   resolve — a folder at the key, or a file where a parent folder must be (WriteConflictError
 *   folder / file_ancestor) — is DESTINATION_CONFLICT, never guessed around.
 * - Downloads (files/download with a Range header) use fetch with GET, which the content
 *   endpoints accept; the SDK buffers whole downloads (`res.buffer()`), fetch streams them.
 * - list_folder promises no order, so `list` walks folders one at a time in key order
 *   (tree-list.ts), each read whole and sorted; a page costs the folders it touches.
 * - Dropbox paths are case-insensitive: keys differing only in case are the same file.
 *
 * The SDK builds https://api.dropboxapi.com and https://content.dropboxapi.com URLs; the
 * operator's COFRE_DROPBOX_API_BASE (and COFRE_DROPBOX_CONTENT_BASE, default the same) re-point
 * them — at the local fake in tests; a spec's `?api=`/`?content=` is refused. Redirects are
 * refused (cloud-http.ts cloudFetch). The SDK's token refresh puts the refresh token and
 * secret in the query string, so URLs are never logged or put in error details here.
 */
import { Dropbox, DropboxAuth } from "dropbox";
import { CofreError } from "../errors.ts";
import { chunksOf, cloudFetch, networkFailure, operatorEndpoint, refuseSpecEndpoints, tailOf, typedBody, type UploadChunk } from "./cloud-http.ts";
import type { ByteRange, Capabilities, Destination, ListPage, ObjectInfo } from "./contract.ts";
import { assertValidKey } from "./keys.ts";
import { findCredential, ioTimeoutOf, requireCredential, type OpenContext } from "./open-context.ts";
import { runConnectionProbe } from "./probe.ts";
import { parseRetryAfter, withRetry } from "./retry.ts";
import { listTree, type TreeEntry } from "./tree-list.ts";

export const DROPBOX_DEFAULT_FOLDER = "/Ortho+ Backups";
const API = "https://api.dropboxapi.com";
const CONTENT = "https://content.dropboxapi.com";
/** Upload chunk (a multiple of 4 MiB, as Dropbox asks of session appends); bounds memory per put. */
export const DROPBOX_CHUNK = 8 * 1024 * 1024;
/** list_folder's largest page. */
const LIST_PAGE = 2000;

interface DropboxConfig {
  root: string;
  apiBase: string;
  contentBase: string;
  appKey: string;
  appSecret: string | undefined;
  refreshToken: string;
  /** ctx.fetch (or the global one) behind an idle timeout, with the SDK's hosts re-pointed. */
  fetch: typeof fetch;
}

/** An HTTP failure from the SDK (DropboxResponseError) or from our own fetch, for classification. */
interface DbxFailure {
  status: number;
  /** The parsed body: { error_summary, error } for API errors, { error } from the token endpoint, or text. */
  body: unknown;
  retryAfter: string | null;
}

/**
 * https://www.dropbox.com/developers/reference/json-encoding — JSON in the Dropbox-API-Arg
 * header must be "HTTP header safe": 0x7F and every non-ASCII character escaped as \uXXXX
 * (the SDK's httpHeaderSafeJson does the same for its own requests).
 */
export function headerSafeJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Opens `dropbox:///path[?profile=…]`. The API and content bases are the operator's to change
 * (COFRE_DROPBOX_API_BASE, COFRE_DROPBOX_CONTENT_BASE — the local fake), never the spec's:
 * the token request carries the operator's app secret (cloud-http.ts operatorEndpoint).
 */
export async function open(url: URL, ctx: OpenContext): Promise<DropboxDestination> {
  refuseSpecEndpoints(url, "dropbox", "Dropbox", ["api", "content"]);
  if (url.host !== "") {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": `Destino Dropbox inválido: use três barras, como dropbox:///Ortho+ Backups (recebido host "${url.host}").`,
      en: `Invalid Dropbox destination: use three slashes, as in dropbox:///Ortho+ Backups (got host "${url.host}").`,
    }, { details: { host: url.host } });
  }
  const path = decodeURIComponent(url.pathname).replace(/\/+$/, "");
  const apiBase = (await operatorEndpoint(ctx, "dropbox", url, "api_base", "Dropbox")) ?? API;
  const contentBase = (await operatorEndpoint(ctx, "dropbox", url, "content_base", "Dropbox")) ?? (apiBase === API ? CONTENT : apiBase);
  const base = cloudFetch(ctx.fetch ?? globalThis.fetch.bind(globalThis), ioTimeoutOf(ctx), "Dropbox");
  const repoint = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    let u = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (u.startsWith(`${API}/`)) u = apiBase + u.slice(API.length);
    else if (u.startsWith(`${CONTENT}/`)) u = contentBase + u.slice(CONTENT.length);
    return base(u, init);
  }) as typeof fetch;
  return new DropboxDestination({
    root: path === "" ? DROPBOX_DEFAULT_FOLDER : path,
    apiBase,
    contentBase,
    appKey: requireCredential(ctx, "dropbox", url, "app_key"),
    appSecret: findCredential(ctx, "dropbox", url, "app_secret"),
    refreshToken: requireCredential(ctx, "dropbox", url, "refresh_token"),
    fetch: repoint,
  });
}

export class DropboxDestination implements Destination {
  readonly kind = "dropbox";
  readonly capabilities: Capabilities = { rangeReads: true, resumableUploads: true, serverChecksums: ["dropbox-content-hash"] };
  readonly #cfg: DropboxConfig;
  readonly #auth: DropboxAuth;
  readonly #dbx: Dropbox;

  constructor(cfg: DropboxConfig) {
    this.#cfg = cfg;
    this.#auth = new DropboxAuth({ clientId: cfg.appKey, clientSecret: cfg.appSecret, refreshToken: cfg.refreshToken, fetch: cfg.fetch });
    this.#dbx = new Dropbox({ auth: this.#auth, fetch: cfg.fetch });
  }

  get displaySpec() {
    return `dropbox://${this.#cfg.root.split("/").map((s) => encodeURIComponent(s)).join("/")}`;
  }

  #path(key: string) {
    assertValidKey(key);
    return `${this.#cfg.root}/${key}`;
  }

  /** Any failure of this adapter as a CofreError. */
  classify(e: unknown, key?: string): CofreError {
    if (e instanceof CofreError) return e;
    const f = failureOf(e);
    return f ? classifyFailure(f, key) : networkFailure(e, "Dropbox", key ? { key } : {});
  }

  /**
   * One API request: a current access token first (the SDK refreshes it when it is near its
   * end), and when Dropbox still says expired_access_token (401), one refresh and a repeat.
   */
  async #once<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (e) {
      const f = failureOf(e);
      if (f?.status === 401 && tagOf(f.body) === "expired_access_token") {
        await (this.#auth.refreshAccessToken() as unknown as Promise<void>);
        return await request();
      }
      throw e;
    }
  }

  /** #once under withRetry, errors classified (idempotent requests only). */
  #call<T>(op: (attempt: number) => Promise<T>, key?: string): Promise<T> {
    return withRetry(async (attempt) => {
      try {
        return await this.#once(() => op(attempt));
      } catch (e) {
        throw this.classify(e, key);
      }
    });
  }

  async #token(): Promise<string> {
    await (this.#auth.checkAndRefreshAccessToken() as unknown as Promise<void>);
    return this.#auth.getAccessToken();
  }

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<ObjectInfo> {
    let chunks: AsyncGenerator<UploadChunk> | null = null;
    try {
      const path = this.#path(key);
      const commit = { path, mode: { ".tag": "overwrite" as const }, autorename: false, mute: true, strict_conflict: false };
      chunks = chunksOf(body, DROPBOX_CHUNK);
      const first = (await chunks.next()).value as UploadChunk;
      if (first.last) {
        // https://www.dropbox.com/developers/documentation/http/documentation#files-upload — repeatable: same bytes, mode overwrite.
        const res = await this.#call(() => this.#dbx.filesUpload({ ...commit, contents: first.bytes }), key);
        return infoOf(key, res.result);
      }
      // https://www.dropbox.com/developers/documentation/http/documentation#files-upload_session-start
      // Repeating a start only leaves an unused session (it expires after 7 days).
      const started = await this.#call(() => this.#dbx.filesUploadSessionStart({ close: false, contents: first.bytes }), key);
      const sessionId = started.result.session_id;
      for await (const chunk of chunks) {
        if (!chunk.last) {
          await this.#append(sessionId, chunk, key);
          continue;
        }
        return await this.#finish(sessionId, chunk, commit, key);
      }
      throw new Error("the chunker ended without a final chunk");
    } catch (e) {
      const err = this.classify(e, key);
      await chunks?.return(undefined).catch(() => {});
      await body.cancel(err).catch(() => {});
      throw err;
    }
  }

  /**
   * https://www.dropbox.com/developers/documentation/http/documentation#files-upload_session-append
   * (append_v2). `at` is where Dropbox stands; after an error whose answer was lost, Dropbox's
   * incorrect_offset (409) tells the real offset and only the rest of the chunk is sent.
   */
  async #append(sessionId: string, chunk: UploadChunk, key: string) {
    const end = chunk.offset + chunk.bytes.length;
    let at = chunk.offset;
    await this.#call(async () => {
      while (at < end) {
        try {
          await this.#dbx.filesUploadSessionAppendV2({ cursor: { session_id: sessionId, offset: at }, close: false, contents: tailOf(chunk, at) });
          at = end;
        } catch (e) {
          at = this.#correctOffset(e, chunk, at);
        }
      }
    }, key);
  }

  /** The offset Dropbox reports in an incorrect_offset error, when it lies within `chunk`; rethrows anything else. */
  #correctOffset(e: unknown, chunk: UploadChunk, at: number): number {
    const f = failureOf(e);
    const err = (f?.body as { error?: { ".tag"?: string; correct_offset?: number; lookup_failed?: { ".tag"?: string; correct_offset?: number } } } | undefined)?.error;
    const inner = err?.[".tag"] === "lookup_failed" ? err.lookup_failed : err;
    if (f?.status === 409 && inner?.[".tag"] === "incorrect_offset" && typeof inner.correct_offset === "number") {
      const correct = inner.correct_offset;
      const end = chunk.offset + chunk.bytes.length;
      if (correct >= chunk.offset && correct <= end && correct !== at) return correct;
      throw new CofreError("DESTINATION_IO", {
        "pt-BR": "O Dropbox perdeu parte da sessão de envio. Execute o backup novamente.",
        en: "Dropbox lost part of the upload session. Run the backup again.",
      }, { details: { correctOffset: correct, chunkStart: chunk.offset } });
    }
    throw e;
  }

  /**
   * https://www.dropbox.com/developers/documentation/http/documentation#files-upload_session-finish —
   * the last bytes and the commit. If an earlier attempt committed but its answer was lost,
   * the session is gone (lookup_failed/not_found): the file's size then decides.
   */
  async #finish(sessionId: string, chunk: UploadChunk, commit: { path: string }, key: string): Promise<ObjectInfo> {
    const end = chunk.offset + chunk.bytes.length;
    let at = chunk.offset;
    return this.#call(async (attempt) => {
      for (;;) {
        try {
          const res = await this.#dbx.filesUploadSessionFinish({ cursor: { session_id: sessionId, offset: at }, commit: commit as never, contents: tailOf(chunk, at) });
          return infoOf(key, res.result);
        } catch (e) {
          const f = failureOf(e);
          if (attempt > 1 && f?.status === 409 && /^lookup_failed\/(not_found|closed)/.test(summaryOf(f.body))) {
            const st = await this.stat(key);
            if (st && st.size === end) return st;
          }
          at = this.#correctOffset(e, chunk, at);
        }
      }
    }, key);
  }

  async get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    const path = this.#path(key);
    if (range?.length === 0) {
      if ((await this.stat(key)) === null) throw notFound(key);
      return new ReadableStream({ start: (c) => c.close() });
    }
    const header = range ? `bytes=${range.offset}-${range.length === undefined ? "" : range.offset + range.length - 1}` : null;
    // https://www.dropbox.com/developers/documentation/http/documentation#files-download — GET is
    // accepted by content-download endpoints, with Range requests (#formats).
    return this.#call(() => this.#download(path, header, key), key);
  }

  async #download(path: string, range: string | null, key: string): Promise<ReadableStream<Uint8Array>> {
    const res = await this.#cfg.fetch(`${CONTENT}/2/files/download`, {
      method: "GET",
      headers: {
        authorization: `Bearer ${await this.#token()}`,
        "dropbox-api-arg": headerSafeJson({ path }),
        ...(range ? { range } : {}),
      },
    });
    if (res.status === 416) {
      await res.body?.cancel().catch(() => {});
      return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    }
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* text body */
      }
      // Shaped like the SDK's DropboxResponseError so #once and classify treat it alike.
      throw Object.assign(new Error(`Dropbox answered ${res.status}`), { status: res.status, headers: res.headers, error: body });
    }
    if (range && res.status === 200 && !range.startsWith("bytes=0-")) throw new Error("Dropbox ignored the Range header");
    return res.body ? typedBody(res.body, "Dropbox", key) : new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const path = this.#path(key);
    try {
      const res = await this.#call(() => this.#dbx.filesGetMetadata({ path }), key);
      const m = res.result as { ".tag": string; size?: number; server_modified?: string };
      return m[".tag"] === "file" ? infoOf(key, m) : null;
    } catch (e) {
      if (e instanceof CofreError && e.code === "DESTINATION_NOT_FOUND") return null;
      throw e;
    }
  }

  /**
   * One folder's entries (every list_folder/continue page of it: Dropbox promises no order,
   * so a folder is read whole before it can be sorted); null when it does not exist.
   * `dirKey` "" is the destination's root.
   */
  async #readDir(dirKey: string): Promise<TreeEntry[] | null> {
    type Entry = { ".tag": string; name: string; size?: number; server_modified?: string };
    type Page = { entries: Entry[]; cursor: string; has_more: boolean };
    const path = dirKey === "" ? this.#cfg.root : `${this.#cfg.root}/${dirKey}`;
    const out: TreeEntry[] = [];
    const collect = (p: Page) => {
      for (const e of p.entries) {
        if (e[".tag"] !== "file" && e[".tag"] !== "folder") continue; // "deleted" entries
        out.push({ name: e.name, dir: e[".tag"] === "folder", size: Number(e.size ?? 0), modifiedAt: e.server_modified ? new Date(e.server_modified) : null });
      }
    };
    let page: Page;
    try {
      // https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder
      page = (await this.#call(() => this.#dbx.filesListFolder({ path: path === "/" ? "" : path, recursive: false, limit: LIST_PAGE }))).result as Page;
    } catch (e) {
      if (e instanceof CofreError && e.code === "DESTINATION_NOT_FOUND") return null;
      throw e;
    }
    collect(page);
    while (page.has_more) {
      const cursor = page.cursor;
      // https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-continue
      page = (await this.#call(() => this.#dbx.filesListFolderContinue({ cursor }))).result as Page;
      collect(page);
    }
    return out;
  }

  /**
   * Key-ordered pages through tree-list.ts: folders are read one at a time in key order and the
   * walk stops when the page is full, so a page costs the folders it touches, not the whole
   * tree (Dropbox's recursive listing has no order, so paging it in key order would mean
   * reading everything for every page).
   */
  list(prefix: string, opts: { cursor?: string | null; limit?: number } = {}): Promise<ListPage> {
    return listTree((dirKey) => this.#readDir(dirKey), prefix, opts);
  }

  async remove(key: string): Promise<void> {
    const path = this.#path(key);
    try {
      // https://www.dropbox.com/developers/documentation/http/documentation#files-delete_v2
      await this.#call(() => this.#dbx.filesDeleteV2({ path }), key);
    } catch (e) {
      if (e instanceof CofreError && e.code === "DESTINATION_NOT_FOUND") return;
      throw e;
    }
  }

  testConnection() {
    return runConnectionProbe(this, (e) => this.classify(e));
  }
}

function infoOf(key: string, m: { size?: number; server_modified?: string }): ObjectInfo {
  return { key, size: Number(m.size ?? 0), modifiedAt: m.server_modified ? new Date(m.server_modified) : null };
}

function failureOf(e: unknown): DbxFailure | null {
  const x = e as { status?: unknown; error?: unknown; headers?: { get?: (k: string) => string | null } } | null;
  if (!x || typeof x !== "object" || typeof x.status !== "number" || e instanceof CofreError) return null;
  return { status: x.status, body: x.error, retryAfter: typeof x.headers?.get === "function" ? x.headers.get("retry-after") : null };
}

function summaryOf(body: unknown): string {
  const s = (body as { error_summary?: unknown } | null)?.error_summary;
  return typeof s === "string" ? s : "";
}

function tagOf(body: unknown): string | undefined {
  return (body as { error?: { ".tag"?: string } } | null)?.error?.[".tag"];
}

function notFound(key: string): CofreError {
  return new CofreError("DESTINATION_NOT_FOUND", {
    "pt-BR": `O arquivo ${key} não existe na pasta do Dropbox.`,
    en: `File ${key} does not exist in the Dropbox folder.`,
  }, { details: { key } });
}

/** https://www.dropbox.com/developers/documentation/http/documentation#error-handling — statuses and error tags as codes. */
function classifyFailure(f: DbxFailure, key?: string): CofreError {
  const summary = summaryOf(f.body);
  const oauth = typeof (f.body as { error?: unknown } | null)?.error === "string" ? String((f.body as { error: string }).error) : undefined;
  const details: Record<string, unknown> = { status: f.status, ...(summary ? { errorSummary: summary } : {}), ...(key ? { key } : {}) };
  if (oauth && f.status < 500 && f.status !== 429) {
    return new CofreError("DESTINATION_AUTH", {
      "pt-BR": `O Dropbox recusou a credencial (${oauth}): o token de atualização foi revogado ou a chave/segredo do app está errado. Conecte o Cofre ao Dropbox novamente.`,
      en: `Dropbox refused the credential (${oauth}): the refresh token was revoked or the app key/secret is wrong. Connect Cofre to Dropbox again.`,
    }, { details: { ...details, oauthError: oauth } });
  }
  const retryAfterSec = (f.body as { error?: { retry_after?: unknown } } | null)?.error?.retry_after;
  const retryAfterMs = parseRetryAfter(f.retryAfter) ?? (typeof retryAfterSec === "number" ? retryAfterSec * 1000 : undefined);
  if (f.status === 429 || /too_many_write_operations|too_many_requests/.test(summary)) {
    return new CofreError("DESTINATION_RATE_LIMITED", {
      "pt-BR": "O Dropbox pediu para diminuir o ritmo (limite de requisições). O Cofre tenta de novo sozinho; se persistir, agende o backup para outro horário.",
      en: "Dropbox asked to slow down (rate limit). Cofre retries by itself; if it persists, schedule the backup for another time.",
    }, { details: { ...details, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } });
  }
  if (f.status === 401) {
    if (tagOf(f.body) === "missing_scope") {
      return new CofreError("DESTINATION_PERMISSION", {
        "pt-BR": "O app do Dropbox não tem a permissão necessária (files.content.write/read). Ajuste as permissões do app e conecte de novo.",
        en: "The Dropbox app lacks a required permission (files.content.write/read). Fix the app's permissions and connect again.",
      }, { details });
    }
    return new CofreError("DESTINATION_AUTH", {
      "pt-BR": `O Dropbox recusou o acesso (${tagOf(f.body) ?? "401"}). Conecte o Cofre ao Dropbox novamente.`,
      en: `Dropbox refused access (${tagOf(f.body) ?? "401"}). Connect Cofre to Dropbox again.`,
    }, { details });
  }
  if (f.status === 403 || /no_write_permission|disallowed_name|team_folder|restricted_content/.test(summary)) {
    return new CofreError("DESTINATION_PERMISSION", {
      "pt-BR": "O Dropbox negou a operação: a conta ou o app não pode gravar nesta pasta.",
      en: "Dropbox denied the operation: the account or app cannot write to this folder.",
    }, { details });
  }
  if (f.status === 409 && /insufficient_space/.test(summary)) {
    return new CofreError("DESTINATION_QUOTA", {
      "pt-BR": "O espaço do Dropbox acabou. Libere espaço, reduza a retenção ou amplie o plano.",
      en: "The Dropbox account is out of space. Free space, shorten retention or upgrade the plan.",
    }, { details });
  }
  if (f.status === 409 && /(^|\/)conflict\//.test(summary)) {
    return new CofreError("DESTINATION_CONFLICT", {
      "pt-BR": `Conflito de caminho no Dropbox (${summary.replace(/\/\.\.\.$/, "")}): já existe uma pasta com o nome do arquivo, ou um arquivo onde deveria haver uma pasta. Renomeie ou mova o item no Dropbox.`,
      en: `Dropbox path conflict (${summary.replace(/\/\.\.\.$/, "")}): a folder has the file's name, or a file stands where a folder must be. Rename or move that item in Dropbox.`,
    }, { details });
  }
  if (f.status === 409 && /not_found|not_file|not_folder/.test(summary)) {
    return key ? notFound(key) : new CofreError("DESTINATION_NOT_FOUND", {
      "pt-BR": "A pasta ou o arquivo não foi encontrado no Dropbox.",
      en: "The folder or file was not found in Dropbox.",
    }, { details });
  }
  if (f.status >= 500) {
    return new CofreError("DESTINATION_UNAVAILABLE", {
      "pt-BR": `O Dropbox está com falha temporária (${f.status}). O Cofre tenta de novo; se persistir, veja status.dropbox.com.`,
      en: `Dropbox is failing temporarily (${f.status}). Cofre retries; if it persists, check status.dropbox.com.`,
    }, { details });
  }
  const text = typeof f.body === "string" ? f.body.slice(0, 200) : summary;
  return new CofreError("DESTINATION_IO", {
    "pt-BR": `O Dropbox recusou a requisição (${f.status}${text ? `: ${text}` : ""}).`,
    en: `Dropbox rejected the request (${f.status}${text ? `: ${text}` : ""}).`,
  }, { details });
}
