/**
 * Pieces the HTTP cloud adapters (Google Drive, Dropbox) share: cutting a streamed body into
 * fixed-size upload chunks with bounded memory, an idle-timeout fetch, and classifying a
 * failed `fetch` (no HTTP answer at all) into the destination error family.
 */
import { CofreError, describeError } from "../errors.ts";
import { IdleTimeoutError } from "./s3-http.ts";

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

/**
 * A request that got no HTTP answer (refused, reset, DNS, TLS, timeout) as DESTINATION_NETWORK
 * or DESTINATION_TLS. `provider` names the service in the message; no URL is included (the
 * Dropbox SDK puts the refresh token in the token request's query string).
 */
export function networkFailure(e: unknown, provider: string, details: Record<string, unknown> = {}): CofreError {
  if (e instanceof CofreError) return e;
  const errno = errnoOf(e);
  const text = describeError(e);
  if (errno && TLS_CODES.test(errno)) {
    return new CofreError("DESTINATION_TLS", {
      "pt-BR": `Falha de TLS ao falar com ${provider} (${errno}). Confira a data do sistema e os certificados confiáveis.`,
      en: `TLS failure talking to ${provider} (${errno}). Check the system clock and trusted certificates.`,
    }, { details: { ...details, errno }, cause: e });
  }
  return new CofreError("DESTINATION_NETWORK", {
    "pt-BR": `Falha de rede ao falar com ${provider} (${errno ?? text}). Confira a conexão com a internet e o firewall e tente novamente.`,
    en: `Network failure talking to ${provider} (${errno ?? text}). Check the internet connection and firewall, and try again.`,
  }, { details: { ...details, ...(errno ? { errno } : {}) }, cause: e });
}

/** Concatenation-free view of the remaining bytes of a chunk from absolute offset `from`. */
export function tailOf(chunk: UploadChunk, from: number): Uint8Array<ArrayBuffer> {
  return chunk.bytes.subarray(from - chunk.offset);
}

/** Request bodies are handed to fetch in slices of this size, so upload progress is observable. */
const SLICE = 64 * 1024;

/**
 * Wraps `base` so that a request which makes no progress for `idleMs` — no request-body slice
 * taken by the connection, no response headers, no response-body chunk while one is awaited —
 * is aborted with IdleTimeoutError (a DESTINATION_NETWORK failure for the adapters; withRetry
 * then decides). An idle timer, not a total one: an 8 MiB chunk on a slow clinic uplink may
 * take minutes and must not time out while bytes flow. A caller's own signal still aborts.
 * Byte bodies are streamed in slices with their Content-Length kept (duplex "half").
 */
export function timedFetch(base: typeof fetch, idleMs: number): typeof fetch {
  return (async (input: Parameters<typeof fetch>[0], init: RequestInit = {}) => {
    const ctl = new AbortController();
    const outer = init.signal ?? (input instanceof Request ? input.signal : null);
    const onOuter = () => ctl.abort(outer!.reason);
    if (outer?.aborted) onOuter();
    else outer?.addEventListener("abort", onOuter, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (what: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => ctl.abort(new IdleTimeoutError(idleMs, what)), idleMs);
    };
    const disarm = () => clearTimeout(timer);
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    let body = init.body;
    let duplex: { duplex?: "half" } = {};
    if (body instanceof Uint8Array && body.length > SLICE) {
      const bytes = body;
      let off = 0;
      headers.set("content-length", String(bytes.length));
      body = new ReadableStream<Uint8Array>({
        pull(c) {
          arm("sending the request body");
          if (off >= bytes.length) return c.close();
          c.enqueue(bytes.subarray(off, Math.min(bytes.length, off + SLICE)));
          off += SLICE;
        },
      }, { highWaterMark: 0 });
      duplex = { duplex: "half" };
    }
    arm("waiting for the response");
    let res: Response;
    try {
      res = await base(input, { ...init, headers, body, signal: ctl.signal, ...duplex } as RequestInit);
    } catch (e) {
      disarm();
      outer?.removeEventListener("abort", onOuter);
      const reason: unknown = ctl.signal.reason;
      throw reason instanceof IdleTimeoutError ? reason : e;
    }
    disarm();
    if (!res.body) return res;
    const reader = res.body.getReader();
    const wrapped = new ReadableStream<Uint8Array>({
      async pull(c) {
        arm("reading the response body");
        try {
          const r = await reader.read();
          disarm();
          if (r.done) {
            outer?.removeEventListener("abort", onOuter);
            c.close();
          } else c.enqueue(r.value);
        } catch (e) {
          disarm();
          const reason: unknown = ctl.signal.reason;
          c.error(reason instanceof IdleTimeoutError ? reason : e);
        }
      },
      cancel(reason) {
        disarm();
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    return new Response(wrapped, { status: res.status, statusText: res.statusText, headers: res.headers });
  }) as typeof fetch;
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
