/**
 * The HTTP transport the S3-family adapters give `@aws-sdk/client-s3`: every request goes
 * through a `fetch` (the OpenContext's, so tests can inject faults; `globalThis.fetch`
 * otherwise), which works the same on Node 20 and Deno, with an idle timeout on the response
 * headers and on every body read. The SDK's own retries are off (maxAttempts 1): retrying is
 * withRetry's job alone.
 *
 * Follows the SDK's HttpHandler contract as @smithy/fetch-http-handler implements it
 * (`handle(request, { abortSignal })` → `{ response: { statusCode, headers, body } }`), with
 * the query string built exactly as smithy's buildQueryString does (RFC 3986 escaping), so
 * the bytes sent are the bytes SigV4 signed.
 *
 * The timeout counts from sending a request to its response headers, so it must cover one
 * part's upload on the slowest link: 8 MiB in the default 60 s needs about 140 KB/s.
 */

/** A request that made no progress for `ms`: a dead connection or a stalled server. */
export class IdleTimeoutError extends Error {
  override readonly name = "IdleTimeoutError";
  readonly code = "ETIMEDOUT";
  constructor(readonly ms: number, what: string) {
    super(`no progress for ${ms} ms while ${what}`);
  }
}

/** Headers fetch computes itself or refuses (undici rejects `expect`; `host` comes from the URL). */
const DROPPED_HEADERS = new Set(["host", "content-length", "expect", "connection", "transfer-encoding"]);

function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function queryString(query: Record<string, string | string[] | null | undefined> | undefined): string {
  const parts: string[] = [];
  for (const key of Object.keys(query ?? {}).sort()) {
    const value = query![key];
    const k = escapeUri(key);
    if (Array.isArray(value)) for (const v of value) parts.push(`${k}=${escapeUri(v)}`);
    else if (value === null || value === undefined) parts.push(k);
    else parts.push(`${k}=${escapeUri(value)}`);
  }
  return parts.join("&");
}

interface SdkRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * A body stream that fails with IdleTimeoutError (and aborts the request) when no chunk
 * arrives for `ms`; cancelling it cancels the underlying body.
 */
function idleBody(body: ReadableStream<Uint8Array>, ms: number, abort: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new IdleTimeoutError(ms, "reading the response body")), ms);
      });
      try {
        const r = await Promise.race([reader.read(), timeout]);
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      } catch (e) {
        if (e instanceof IdleTimeoutError) {
          abort();
          reader.cancel(e).catch(() => {});
        }
        controller.error(e);
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      abort();
      return reader.cancel(reason);
    },
  });
}

const STREAM_BODY_ABOVE = 256 * 1024;
const STREAM_CHUNK = 256 * 1024;

/** `bytes` as a stream of subarray views (no copies), one chunk per pull. */
function viewStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const n = Math.min(STREAM_CHUNK, bytes.length - offset);
      controller.enqueue(bytes.subarray(offset, offset + n));
      offset += n;
    },
  }, { highWaterMark: 0 });
}

/** Builds the SDK `requestHandler` that sends through `fetchFn` with an idle timeout of `ioTimeoutMs`. */
export function fetchRequestHandler(fetchFn: typeof fetch, ioTimeoutMs: number) {
  return {
    metadata: { handlerProtocol: "http/1.1" },
    destroy() {},
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    async handle(request: SdkRequest, opts: { abortSignal?: AbortSignal } = {}) {
      const qs = queryString(request.query);
      const url = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ""}${request.path}${qs ? `?${qs}` : ""}`;
      const headers = new Headers();
      for (const [k, v] of Object.entries(request.headers)) if (!DROPPED_HEADERS.has(k.toLowerCase())) headers.set(k, v);
      const controller = new AbortController();
      const onAbort = () => controller.abort(opts.abortSignal?.reason);
      if (opts.abortSignal?.aborted) onAbort();
      opts.abortSignal?.addEventListener("abort", onAbort, { once: true });
      const hasBody = request.method !== "GET" && request.method !== "HEAD" && request.body != null;
      // fetch copies a byte-array body several times on its way to the socket (~6× the body in
      // Node 20's undici), so a large one is handed over as a stream of views instead, with the
      // Content-Length the SDK signed (S3 refuses chunked uploads without it).
      let body = hasBody ? (request.body as BodyInit) : undefined;
      let duplex: "half" | undefined;
      if (request.body instanceof Uint8Array && request.body.length > STREAM_BODY_ABOVE) {
        headers.set("content-length", String(request.body.length));
        body = viewStream(request.body);
        duplex = "half";
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const e = new IdleTimeoutError(ioTimeoutMs, `waiting for ${request.method} ${request.hostname}`);
          controller.abort(e);
          reject(e);
        }, ioTimeoutMs);
      });
      try {
        const res = await Promise.race([
          fetchFn(url, {
            method: request.method,
            headers,
            body,
            signal: controller.signal,
            redirect: "manual",
            ...(duplex ? { duplex } : {}),
          } as RequestInit),
          timedOut,
        ]);
        const responseHeaders: Record<string, string> = {};
        res.headers.forEach((v, k) => {
          responseHeaders[k] = v;
        });
        // Only GetObject's body is streamed to the caller. Every other answer is a small XML
        // document (or nothing) that is read here at once: the SDK does not drain the bodies of
        // operations without output (UploadPart, PutObject…), and an undrained fetch keeps its
        // connection and its request body (an 8 MiB part) alive until garbage collection.
        const streamed = request.method === "GET" && request.query?.["x-id"] === "GetObject";
        const responseBody = !res.body
          ? new Uint8Array(0)
          : streamed
          ? idleBody(res.body, ioTimeoutMs, () => controller.abort())
          : new Uint8Array(await new Response(idleBody(res.body, ioTimeoutMs, () => controller.abort())).arrayBuffer());
        return { response: { statusCode: res.status, reason: res.statusText, headers: responseHeaders, body: responseBody } };
      } finally {
        clearTimeout(timer);
        opts.abortSignal?.removeEventListener("abort", onAbort);
      }
    },
  };
}
