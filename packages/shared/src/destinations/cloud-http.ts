/**
 * Pieces the HTTP cloud adapters (Google Drive, Dropbox) share: cutting a streamed body into
 * fixed-size upload chunks with bounded memory, the fetch they send through (idle timeout,
 * redirects refused), operator-only API overrides, and classifying a failed `fetch` (no HTTP
 * answer at all) into the destination error family without keeping the provider's error.
 */
import { CofreError, describeError } from "../errors.ts";
import { REDACTED, redactUrls } from "../redacted.ts";
import { idleTimeoutFetch } from "./http-timeout.ts";
import { guardHost } from "./network-guard.ts";
import { credentialEnvName, findCredential, type OpenContext } from "./open-context.ts";

export interface UploadChunk {
  /** Byte offset of `bytes` within the whole object. */
  offset: number;
  bytes: Uint8Array<ArrayBuffer>;
  /** True for the final chunk (the stream ended after it); the total is then offset + length. */
  last: boolean;
}

/**
 * Yields `body` as chunks of exactly `size` bytes (the last one shorter, possibly empty when
 * the body is empty). A chunk is yielded only once it is known whether more data follows, so
 * `last` is exact (Drive needs the total on the final request; Dropbox finishes a session
 * with the final chunk). Memory: ONE buffer of `size`, reused — a chunk's bytes are valid
 * until the consumer asks for the next one (by then its upload has been acknowledged).
 */
export async function* chunksOf(body: ReadableStream<Uint8Array>, size: number): AsyncGenerator<UploadChunk> {
  const reader = body.getReader();
  const buf = new Uint8Array(size);
  let fill = 0;
  let offset = 0;
  let carry: Uint8Array | null = null;
  try {
    for (;;) {
      let value: Uint8Array | undefined = carry ?? undefined;
      carry = null;
      let done = false;
      if (!value) ({ done, value } = await reader.read());
      if (done) {
        yield { offset, bytes: buf.subarray(0, fill), last: true };
        return;
      }
      if (!value || value.length === 0) continue;
      if (fill === size) {
        // A full chunk and more data behind it: the chunk is not the last.
        yield { offset, bytes: buf, last: false };
        offset += size;
        fill = 0; // the consumer is done with the chunk: its buffer takes the next one

      }
      const n = Math.min(size - fill, value.length);
      buf.set(value.subarray(0, n), fill);
      fill += n;
      if (n < value.length) carry = value.subarray(n);
    }
  } finally {
    reader.releaseLock();
  }
}

/** True when `e` came from a request the caller aborted (not a network failure). */
export function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError");
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i;

/** The errno-like code of a fetch failure (undici puts it on `cause`). */
function errnoOf(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && !/^\d+$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The first CofreError in `e`'s cause chain (a client such as gaxios wraps what our fetch threw). */
function cofreErrorIn(e: unknown): CofreError | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur; i++) {
    if (cur instanceof CofreError) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Every URL's query string and userinfo hidden: the Dropbox SDK puts the refresh token and app secret in the token request's query. */
export function redactSecretsInText(text: string): string {
  return redactUrls(text).replace(/([a-z][a-z0-9+.-]*:\/\/[^\s?'"]*)\?[^\s'"]*/gi, `$1?${REDACTED}`);
}

/**
 * What a CofreError keeps of a provider's error as `cause`: its name, message (URLs redacted)
 * and errno code — never the error object itself, which for gaxios or the Dropbox SDK holds
 * the request config (Authorization header, the token request's refresh token and client
 * secret) that util.inspect would print.
 */
export function sanitizedCause(e: unknown): { name: string; message: string; code?: string } {
  const errno = errnoOf(e);
  return {
    name: e instanceof Error ? e.name : typeof e,
    message: redactSecretsInText(describeError(e)),
    ...(errno ? { code: errno } : {}),
  };
}

/**
 * A request that got no HTTP answer (refused, reset, DNS, TLS, timeout) as DESTINATION_NETWORK
 * or DESTINATION_TLS; a CofreError inside it (e.g. a refused redirect wrapped by gaxios) is
 * returned as it is. `provider` names the service in the message; no URL is included (the
 * Dropbox SDK puts the refresh token in the token request's query string), and the cause is
 * a sanitized summary (sanitizedCause).
 */
export function networkFailure(e: unknown, provider: string, details: Record<string, unknown> = {}): CofreError {
  const inner = cofreErrorIn(e);
  if (inner) return inner;
  const errno = errnoOf(e);
  const text = redactSecretsInText(describeError(e));
  const cause = sanitizedCause(e);
  if (errno && TLS_CODES.test(errno)) {
    return new CofreError("DESTINATION_TLS", {
      "pt-BR": `Falha de TLS ao falar com ${provider} (${errno}). Confira a data do sistema e os certificados confiáveis.`,
      en: `TLS failure talking to ${provider} (${errno}). Check the system clock and trusted certificates.`,
    }, { details: { ...details, errno }, cause });
  }
  return new CofreError("DESTINATION_NETWORK", {
    "pt-BR": `Falha de rede ao falar com ${provider} (${errno ?? text}). Confira a conexão com a internet e o firewall e tente novamente.`,
    en: `Network failure talking to ${provider} (${errno ?? text}). Check the internet connection and firewall, and try again.`,
  }, { details: { ...details, ...(errno ? { errno } : {}) }, cause });
}

/** Concatenation-free view of the remaining bytes of a chunk from absolute offset `from`. */
export function tailOf(chunk: UploadChunk, from: number): Uint8Array<ArrayBuffer> {
  return chunk.bytes.subarray(from - chunk.offset);
}

/**
 * The fetch the cloud adapters send every request through: `base` behind the idle timeout of
 * http-timeout.ts (which never follows redirects), and any 3xx answer with a Location refused
 * as DESTINATION_IO — a provider API has no reason to redirect these requests, and following
 * one could reach a host the SSRF guard never vetted with the request's token or client
 * secret. A 3xx without Location is no redirect and is returned as it is (Drive's resumable
 * uploads answer 308 "Resume Incomplete"). Only the target's origin is named in the error.
 */
export function cloudFetch(base: typeof fetch, idleMs: number, provider: string): typeof fetch {
  const send = idleTimeoutFetch(base, idleMs);
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const res = await send(input, init);
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    if (location === null) return res;
    await res.body?.cancel().catch(() => {});
    let target = "?";
    try {
      target = new URL(location, typeof input === "string" ? input : input instanceof URL ? input.href : input.url).origin;
    } catch {
      /* unparseable Location: named as "?" */
    }
    throw new CofreError("DESTINATION_IO", {
      "pt-BR": `${provider} respondeu com um redirecionamento (${res.status}) para ${target}, que o Cofre não segue por segurança. Confira o endereço da API configurado pelo operador.`,
      en: `${provider} answered with a redirect (${res.status}) to ${target}, which Cofre does not follow for security. Check the API address the operator configured.`,
    }, { details: { status: res.status, redirectTo: target } });
  }) as typeof fetch;
}

/** A setting from the operator's credentials file or environment only (see operatorEndpoint). */
export function operatorSetting(ctx: OpenContext, kind: string, url: URL, field: string): string | undefined {
  return findCredential({ ...ctx, credentials: { ...ctx.credentials, explicit: undefined } }, kind, url, field);
}

/**
 * An API address the OPERATOR overrides (the local fakes, a proxy): read from the operator's
 * credentials file or environment only (`COFRE_<KIND>_<FIELD>`, e.g. COFRE_GDRIVE_API_BASE),
 * never from the destination spec nor from the explicit (database-stored, user-supplied)
 * credentials — the token endpoint receives the operator's OAuth client secret, so a hosted
 * user must not be able to move it. Validated as an http(s) URL and vetted by the SSRF guard.
 */
export async function operatorEndpoint(ctx: OpenContext, kind: string, url: URL, field: string, provider: string): Promise<string | undefined> {
  const value = operatorSetting(ctx, kind, url, field);
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error("not http(s)");
  } catch {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": `Endereço inválido para ${provider} em ${credentialEnvName(kind, field)}: ${value}. Use uma URL http(s).`,
      en: `Invalid ${provider} address in ${credentialEnvName(kind, field)}: ${value}. Use an http(s) URL.`,
    }, { details: { field } });
  }
  await guardHost(parsed.hostname, ctx.network);
  return value.replace(/\/+$/, "");
}

/**
 * Refuses the spec parameters that used to re-point a cloud adapter's API (`?api=`, `?token=`,
 * `?content=`): they now come from the operator's environment only (operatorEndpoint).
 */
export function refuseSpecEndpoints(url: URL, kind: string, provider: string, params: readonly string[]): void {
  const found = params.filter((p) => url.searchParams.has(p));
  if (found.length === 0) return;
  const env = found.map((p) => credentialEnvName(kind, p === "api" ? "api_base" : p === "token" ? "token_url" : `${p}_base`)).join(", ");
  throw new CofreError("INVALID_INPUT", {
    "pt-BR": `O destino ${provider} não aceita ${found.map((p) => `?${p}=`).join(", ")} no endereço: o endereço da API só pode ser trocado pelo operador (${env}).`,
    en: `The ${provider} destination does not accept ${found.map((p) => `?${p}=`).join(", ")} in its spec: only the operator can change the API address (${env}).`,
  }, { details: { params: found } });
}

/**
 * A response body whose failures (a reset connection, an idle timeout) surface as typed
 * destination errors, so a reader of `get` sees DESTINATION_NETWORK rather than a raw
 * TypeError from the HTTP client.
 */
export function typedBody(body: ReadableStream<Uint8Array>, provider: string, key: string): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      } catch (e) {
        c.error(networkFailure(e, provider, { key }));
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
