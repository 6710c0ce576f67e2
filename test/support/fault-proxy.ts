/**
 * Fault injection for destination tests (Kopia's FaultyStorage idea, moved to the wire so the
 * real client library meets the fault):
 *
 * - `startFaultProxy(target)`: a TCP proxy on 127.0.0.1 in front of a real server. Armed with a
 *   fault, the first connection that carries more than `afterBytes` bytes (in the chosen
 *   direction, counted from the moment of arming) is cut exactly there: `reset` sends a TCP RST
 *   to both sides; `stall` stops forwarding both ways and keeps the sockets open, as a dead
 *   middlebox would. With `ftp: true` it also rewrites plain-FTP PASV/EPSV replies so passive
 *   data connections pass through the proxy (and meet the same faults).
 * - `faultyFetch(base)`: a `fetch` for HTTP adapters that answers the next requests with a
 *   status (5xx, 429 + Retry-After) without reaching the server, cuts an upload or download
 *   body mid-stream, or holds a request until the caller's AbortSignal fires (timeout).
 *
 * Both count what they did (`fired`), so a test can assert that its fault really happened.
 */
import { createServer, Socket, type AddressInfo, type Server } from "node:net";

export type TcpFault = {
  kind: "reset" | "stall";
  /** Bytes a connection may carry (since arming) before the fault hits it. */
  afterBytes: number;
  /** "up": client → server (uploads, the default); "down": server → client (downloads). */
  direction?: "up" | "down";
  /** How many connections to hit before disarming (default 1). */
  times?: number;
};

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** Replaces the current fault; byte counts start from now. */
  arm(fault: TcpFault): void;
  /** Back to pass-through (stalled connections stay stalled). */
  clear(): void;
  /** Connections the fault has hit so far. */
  readonly fired: number;
  /** Connections accepted so far (control and data). */
  readonly connections: number;
  /** Resets every open connection now. */
  severAll(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  up: number;
  down: number;
  /** Hit by the fault: nothing is forwarded any more (then reset, or left hanging). */
  stalled: boolean;
}

const LOCAL = "127.0.0.1";

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOCAL, () => resolve((server.address() as AddressInfo).port));
  });
}

function reset(s: Socket) {
  if (!s.destroyed) s.resetAndDestroy();
}

/** Starts a proxy on an ephemeral 127.0.0.1 port forwarding to `target`. */
export async function startFaultProxy(
  target: { host: string; port: number },
  opts: { ftp?: boolean } = {},
): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  const servers = new Set<Server>();
  let fault: TcpFault | null = null;
  let remaining = 0;
  let fired = 0;
  let connections = 0;

  /** Forwards `chunk` from one side to the other, applying the armed fault to this pair. */
  function forward(p: Pair, dir: "up" | "down", chunk: Buffer, to: Socket, rewrite?: (b: Buffer) => Promise<Buffer>) {
    if (p.stalled) return;
    const f = fault;
    const counted = dir === "up" ? p.up : p.down;
    if (f && remaining > 0 && (f.direction ?? "up") === dir && counted + chunk.length > f.afterBytes) {
      const head = chunk.subarray(0, Math.max(0, f.afterBytes - counted));
      if (head.length > 0) to.write(head);
      remaining--;
      fired++;
      if (remaining === 0) fault = null;
      if (f.kind === "reset") {
        // Let the head reach the wire before the RST, so the cut really is mid-stream.
        setImmediate(() => {
          reset(p.client);
          reset(p.upstream);
        });
      }
      // From here nothing more passes this pair, whether it is about to be reset or stalls.
      p.stalled = true;
      return;
    }
    if (dir === "up") p.up += chunk.length;
    else p.down += chunk.length;
    if (rewrite) {
      // Control replies are small; pause while a passive listener is prepared, keeping order.
      p.upstream.pause();
      void rewrite(chunk).then((b) => {
        if (!p.stalled) to.write(b);
        p.upstream.resume();
      });
    } else if (!to.write(chunk)) {
      // Back-pressure: stop reading the other side until this one drains.
      const from = dir === "up" ? p.client : p.upstream;
      from.pause();
      to.once("drain", () => from.resume());
    }
  }

  async function serve(to: { host: string; port: number }, ftpControl: boolean): Promise<Server> {
    // Half-open allowed both ways, so a client's FIN reaches the server and its reply comes back.
    const server = createServer({ allowHalfOpen: true }, (client) => {
      connections++;
      const upstream = new Socket({ allowHalfOpen: true });
      const p: Pair = { client, upstream, up: 0, down: 0, stalled: false };
      pairs.add(p);
      client.pause();
      upstream.connect(to.port, to.host, () => client.resume());
      const rewrite = ftpControl ? rewritePassive : undefined;
      client.on("data", (c: Buffer) => forward(p, "up", c, upstream));
      upstream.on("data", (c: Buffer) => forward(p, "down", c, client, rewrite));
      const end = (other: Socket) => () => {
        if (!p.stalled && !other.destroyed) other.end();
      };
      client.on("end", end(upstream));
      upstream.on("end", end(client));
      const gone = () => {
        pairs.delete(p);
        reset(client);
        reset(upstream);
      };
      client.on("close", gone);
      upstream.on("close", gone);
      client.on("error", () => {});
      upstream.on("error", () => {});
    });
    servers.add(server);
    await listen(server);
    return server;
  }

  /** PASV `227 … (h1,h2,h3,h4,p1,p2)` and EPSV `229 … (|||port|)` replies → a proxied port. */
  async function rewritePassive(chunk: Buffer): Promise<Buffer> {
    let text = chunk.toString("latin1");
    const pasv = /^227 [^\n]*?\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/m.exec(text);
    if (pasv) {
      const port = Number(pasv[5]) * 256 + Number(pasv[6]);
      const local = await passiveListener(port);
      text = text.replace(pasv[0], pasv[0].replace(/\([^)]*\)/, `(127,0,0,1,${local >> 8},${local & 255})`));
    }
    const epsv = /^229 [^\n]*?\(\|\|\|(\d+)\|\)/m.exec(text);
    if (epsv) {
      const local = await passiveListener(Number(epsv[1]));
      text = text.replace(epsv[0], epsv[0].replace(/\(\|\|\|\d+\|\)/, `(|||${local}|)`));
    }
    return Buffer.from(text, "latin1");
  }

  async function passiveListener(port: number): Promise<number> {
    const server = await serve({ host: target.host, port }, false);
    return (server.address() as AddressInfo).port;
  }

  const main = await serve(target, opts.ftp === true);
  const port = (main.address() as AddressInfo).port;

  return {
    host: LOCAL,
    port,
    arm(f) {
      fault = f;
      remaining = f.times ?? 1;
      for (const p of pairs) {
        p.up = 0;
        p.down = 0;
      }
    },
    clear() {
      fault = null;
      remaining = 0;
    },
    get fired() {
      return fired;
    },
    get connections() {
      return connections;
    },
    severAll() {
      for (const p of pairs) {
        reset(p.client);
        reset(p.upstream);
      }
    },
    async close() {
      for (const p of pairs) {
        reset(p.client);
        reset(p.upstream);
      }
      await Promise.all([...servers].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

export type HttpFault =
  /** Answer with this status without reaching the server (a 503 from a load balancer, a 429). */
  | { kind: "status"; status: number; retryAfter?: string; body?: string; contentType?: string }
  /** Send the request body's first `afterBytes` bytes, then break the connection. */
  | { kind: "reset-upload"; afterBytes: number }
  /** Deliver the response body's first `afterBytes` bytes, then break the connection. */
  | { kind: "reset-download"; afterBytes: number }
  /** Never answer: wait for the caller's AbortSignal (a client without a timeout waits `holdMs`). */
  | { kind: "timeout"; holdMs?: number };

export interface FaultyFetch {
  readonly fetch: typeof fetch;
  /**
   * Arms `fault` for the next `times` (default 1) requests `match` accepts (default: all;
   * reset-upload only ever matches requests that carry a body, reset-download only GETs).
   */
  arm(fault: HttpFault, opts?: { times?: number; match?: (method: string, url: string) => boolean }): void;
  clear(): void;
  /** Faults delivered so far. */
  readonly fired: number;
  /** Timeout faults whose request carried no AbortSignal that fired within holdMs. */
  readonly unhonouredTimeouts: number;
  /** Every request seen: method, URL, and what happened. */
  readonly log: ReadonlyArray<{ method: string; url: string; outcome: string }>;
}

function requestMethod(input: Parameters<typeof fetch>[0], init?: RequestInit): string {
  if (init?.method) return init.method.toUpperCase();
  return input instanceof Request ? input.method.toUpperCase() : "GET";
}

function requestUrl(input: Parameters<typeof fetch>[0]): string {
  return input instanceof Request ? input.url : String(input);
}

/** A stream that yields `source`'s first `limit` bytes, then errors as a dropped socket does. */
function cutAfter(source: ReadableStream<Uint8Array>, limit: number, onCut: () => void): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const { done, value } = await reader.read();
      if (done) {
        c.close();
        return;
      }
      if (sent + value.length > limit) {
        const head = value.subarray(0, limit - sent);
        if (head.length > 0) c.enqueue(head);
        sent = limit;
        onCut();
        await reader.cancel().catch(() => {});
        c.error(new TypeError("terminated", { cause: Object.assign(new Error("other side closed"), { code: "ECONNRESET" }) }));
        return;
      }
      sent += value.length;
      c.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** Wraps `base` (default: the global fetch) with armable HTTP faults. */
export function faultyFetch(base: typeof fetch = globalThis.fetch): FaultyFetch {
  let fault: HttpFault | null = null;
  let remaining = 0;
  let match: (method: string, url: string) => boolean = () => true;
  let fired = 0;
  let unhonoured = 0;
  const log: { method: string; url: string; outcome: string }[] = [];

  const take = () => {
    remaining--;
    if (remaining <= 0) fault = null;
  };

  const wrapped = (async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const method = requestMethod(input, init);
    const url = requestUrl(input);
    const entry = { method, url, outcome: "passed" };
    log.push(entry);
    const f = fault;
    if (!f || remaining <= 0 || !match(method, url)) return base(input, init);

    if (f.kind === "status") {
      take();
      fired++;
      entry.outcome = `status ${f.status}`;
      const body = init?.body ?? (input instanceof Request ? input.body : null);
      if (body instanceof ReadableStream) await body.cancel().catch(() => {});
      const headers = new Headers({ "content-type": f.contentType ?? "application/json" });
      if (f.retryAfter !== undefined) headers.set("retry-after", f.retryAfter);
      return new Response(f.body ?? JSON.stringify({ error: { code: f.status, message: "fault injected" } }), {
        status: f.status,
        headers,
      });
    }

    if (f.kind === "timeout") {
      take();
      fired++;
      entry.outcome = "held (timeout)";
      const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
      return new Promise<Response>((_, reject) => {
        const timer = setTimeout(() => {
          unhonoured++;
          reject(new TypeError(`fault-proxy: request held ${f.holdMs ?? 20_000} ms without the client timing out`));
        }, f.holdMs ?? 20_000);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason);
        }, { once: true });
        if (signal?.aborted) {
          clearTimeout(timer);
          reject(signal.reason);
        }
      });
    }

    if (f.kind === "reset-upload") {
      const req = new Request(input, { ...init, duplex: "half" } as RequestInit);
      if (!req.body) return base(input, init);
      // Consumed only when it cuts: a small body before the big one (a JSON request that opens
      // an upload session) must not use the fault up without firing it.
      const body = cutAfter(req.body, f.afterBytes, () => {
        take();
        fired++;
        entry.outcome = `upload cut after ${f.afterBytes} bytes`;
      });
      return base(req.url, {
        method: req.method,
        headers: req.headers,
        body,
        signal: req.signal,
        duplex: "half",
      } as RequestInit);
    }

    // reset-download
    if (method !== "GET") return base(input, init);
    const res = await base(input, init);
    if (!res.body) return res;
    // As for uploads: consumed only when it cuts (a small listing answer may come first).
    return new Response(cutAfter(res.body, f.afterBytes, () => {
      take();
      fired++;
      entry.outcome = `download cut after ${f.afterBytes} bytes`;
    }), { status: res.status, statusText: res.statusText, headers: res.headers });
  }) as typeof fetch;

  return {
    fetch: wrapped,
    arm(f, opts = {}) {
      fault = f;
      remaining = opts.times ?? 1;
      match = opts.match ?? (() => true);
    },
    clear() {
      fault = null;
      remaining = 0;
    },
    get fired() {
      return fired;
    },
    get unhonouredTimeouts() {
      return unhonoured;
    },
    log,
  };
}
