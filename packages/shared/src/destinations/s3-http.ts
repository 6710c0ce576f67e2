/**
 * The HTTP transport the S3-family adapters give `@aws-sdk/client-s3`: every request goes
 * through a `fetch` (the OpenContext's, so tests can inject faults; `globalThis.fetch`
 * otherwise), which works the same on Node 20 and Deno, wrapped by http-timeout.ts: an idle
 * timeout on the request body, the response headers and every body read, and redirects never
 * followed (a 3xx reaches the SDK as an answer, which it turns into an error; following one
 * could lead past the SSRF guard). The SDK's own retries are off (maxAttempts 1): retrying is
 * withRetry's job alone.
 *
 * Follows the SDK's HttpHandler contract as @smithy/fetch-http-handler implements it
 * (`handle(request, { abortSignal })` → `{ response: { statusCode, headers, body } }`), with
 * the query string built exactly as smithy's buildQueryString does (RFC 3986 escaping), so
 * the bytes sent are the bytes SigV4 signed.
 */

import { idleTimeoutFetch } from "./http-timeout.ts";

export { IdleTimeoutError } from "./http-timeout.ts";

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

/** Builds the SDK `requestHandler` that sends through `fetchFn` with an idle timeout of `ioTimeoutMs`. */
export function fetchRequestHandler(fetchFn: typeof fetch, ioTimeoutMs: number) {
  const send = idleTimeoutFetch(fetchFn, ioTimeoutMs);
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
      const hasBody = request.method !== "GET" && request.method !== "HEAD" && request.body != null;
      const res = await send(url, {
        method: request.method,
        headers,
        body: hasBody ? (request.body as BodyInit) : undefined,
        signal: opts.abortSignal,
      });
      const responseHeaders: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        responseHeaders[k] = v;
      });
      // Only GetObject's body is streamed to the caller. Every other answer is a small XML
      // document (or nothing) that is read here at once: the SDK does not drain the bodies of
      // operations without output (UploadPart, PutObject…), and an undrained fetch keeps its
      // connection and its request body (an 8 MiB part) alive until garbage collection.
      const streamed = request.method === "GET" && request.query?.["x-id"] === "GetObject";
      const responseBody = !res.body ? new Uint8Array(0) : streamed ? res.body : new Uint8Array(await res.arrayBuffer());
      return { response: { statusCode: res.status, reason: res.statusText, headers: responseHeaders, body: responseBody } };
    },
  };
}
