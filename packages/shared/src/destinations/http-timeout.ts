/**
 * The one HTTP transport wrapper every HTTP destination adapter sends through (S3 family via
 * s3-http.ts, Google Drive and Dropbox via cloud-http.ts): an idle timeout on every phase of a
 * request, and redirects never followed.
 *
 * Redirects: every request goes out with `redirect: "manual"`, so a 3xx answer comes back as
 * it is instead of being followed. An adapter must never let the HTTP client follow one: a
 * 307 from an allowed host to an internal one would bypass the SSRF guard (network-guard.ts
 * vets only the hosts the adapter was configured with), and would carry the request's
 * credentials (tokens, OAuth client secrets) to that host. Callers decide what a 3xx means
 * (cloud-http.ts refuses any with a Location; the S3 SDK turns them into its own errors).
 */

/** A request that made no progress for `ms`: a dead connection or a stalled server. */
export class IdleTimeoutError extends Error {
  override readonly name = "IdleTimeoutError";
  readonly code = "ETIMEDOUT";
  constructor(readonly ms: number, what: string) {
    super(`no progress for ${ms} ms while ${what}`);
  }
}

/** Byte bodies larger than this are handed to fetch in slices of this size (progress is observable). */
const SLICE = 64 * 1024;

/**
 * Wraps `base` so that a request which makes no progress for `idleMs` — no request-body slice
 * taken by the connection, no response headers, no response-body chunk while one is awaited —
 * is aborted with IdleTimeoutError (the adapters classify it as DESTINATION_NETWORK; withRetry
 * then decides). An idle timer, not a total one: an 8 MiB part on a slow clinic uplink may take
 * minutes and must not time out while bytes flow. A caller's own signal still aborts.
 *
 * Byte bodies are streamed as subarray views (no copies: fetch would otherwise copy a byte
 * body several times on its way to the socket) with their Content-Length kept (duplex "half";
 * S3 refuses chunked uploads without it). Redirects are never followed (see the module note).
 */
export function idleTimeoutFetch(base: typeof fetch, idleMs: number): typeof fetch {
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
      res = await base(input, { ...init, headers, body, signal: ctl.signal, redirect: "manual", ...duplex } as RequestInit);
    } catch (e) {
      disarm();
      outer?.removeEventListener("abort", onOuter);
      const reason: unknown = ctl.signal.reason;
      throw reason instanceof IdleTimeoutError ? reason : e;
    }
    disarm();
    if (!res.body) {
      outer?.removeEventListener("abort", onOuter);
      return res;
    }
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
        outer?.removeEventListener("abort", onOuter);
        ctl.abort(reason);
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    return new Response(wrapped, { status: res.status, statusText: res.statusText, headers: res.headers });
  }) as typeof fetch;
}
