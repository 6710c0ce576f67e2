/**
 * The fault injectors themselves: the TCP proxy really cuts connections where it says, and the
 * faulty fetch delivers each fault once. (The conformance suite relies on both.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { faultyFetch, startFaultProxy, type FaultProxy } from "../support/fault-proxy.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A TCP sink on 127.0.0.1 that counts bytes and answers "ok <n>\n" when the client ends. */
async function sink(): Promise<{ port: number; received: () => number }> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on("data", (c) => (received += c.length));
    s.on("end", () => s.end(`ok ${received}\n`));
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { port: (server.address() as AddressInfo).port, received: () => received };
}

async function proxied(port: number, opts?: { ftp?: boolean }): Promise<FaultProxy> {
  const p = await startFaultProxy({ host: "127.0.0.1", port }, opts);
  closers.push(() => p.close());
  return p;
}

/** Sends `bytes` through the proxy and ends; resolves with the reply or the socket error code. */
function send(port: number, bytes: number): Promise<{ reply?: string; error?: string }> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    let reply = "";
    s.on("data", (c) => (reply += c));
    s.on("end", () => resolve({ reply }));
    s.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code }));
    s.end(Buffer.alloc(bytes, 7));
  });
}

describe("TCP fault proxy", () => {
  it("passes bytes through when not armed", async () => {
    const srv = await sink();
    const p = await proxied(srv.port);
    expect(await send(p.port, 300_000)).toEqual({ reply: "ok 300000\n" });
    expect(p.connections).toBe(1);
    expect(p.fired).toBe(0);
  });

  it("resets a connection after exactly N upstream bytes, once", async () => {
    const srv = await sink();
    const p = await proxied(srv.port);
    p.arm({ kind: "reset", afterBytes: 100_000 });
    const r = await send(p.port, 1_000_000);
    expect(r.error).toBe("ECONNRESET");
    expect(p.fired).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(srv.received()).toBe(100_000);
    // Disarmed after one hit: the next connection passes.
    expect(await send(p.port, 5000)).toEqual({ reply: `ok ${100_000 + 5000}\n` });
  });

  it("stalls a connection: nothing more is forwarded and the socket stays open", async () => {
    const srv = await sink();
    const p = await proxied(srv.port);
    p.arm({ kind: "stall", afterBytes: 50_000 });
    const outcome = await Promise.race([
      send(p.port, 200_000),
      new Promise<string>((r) => setTimeout(() => r("still open"), 500)),
    ]);
    expect(outcome).toBe("still open");
    expect(p.fired).toBe(1);
    expect(srv.received()).toBe(50_000);
  });

  it("rewrites FTP passive replies so data connections pass the proxy too", async () => {
    // A data listener and a control server that only answers EPSV and PASV, as vsftpd does.
    const data = await sink();
    const control = createServer((s) => {
      s.write("220 ready\r\n");
      s.on("data", (c) => {
        const cmd = c.toString().trim();
        if (cmd === "EPSV") s.write(`229 Entering Extended Passive Mode (|||${data.port}|)\r\n`);
        if (cmd === "PASV") s.write(`227 Entering Passive Mode (127,0,0,1,${data.port >> 8},${data.port & 255}).\r\n`);
      });
      s.on("error", () => {});
    });
    await new Promise<void>((r) => control.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => control.close(() => r())));
    const p = await proxied((control.address() as AddressInfo).port, { ftp: true });
    const s = connect(p.port, "127.0.0.1");
    closers.push(async () => void s.destroy());
    const lines: string[] = [];
    s.on("data", (c) => lines.push(...c.toString().split("\r\n").filter(Boolean)));
    const next = async (n: number) => {
      while (lines.length < n) await new Promise((r) => setTimeout(r, 10));
      return lines[n - 1]!;
    };
    await next(1);
    s.write("EPSV\r\n");
    const epsv = Number(/\|\|\|(\d+)\|/.exec(await next(2))![1]);
    s.write("PASV\r\n");
    const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(await next(3))!;
    const pasv = Number(m[5]) * 256 + Number(m[6]);
    expect([epsv, pasv]).not.toContain(data.port);
    p.arm({ kind: "reset", afterBytes: 1000 });
    expect((await send(epsv, 10_000)).error).toBe("ECONNRESET");
    expect(p.fired).toBe(1);
    expect(await send(pasv, 2000)).toEqual({ reply: "ok 3000\n" });
    expect(p.connections).toBe(3);
  });
});

describe("faulty fetch", () => {
  let server: HttpServer;
  async function echo(): Promise<string> {
    server = createHttpServer(async (req, res) => {
      let n = 0;
      for await (const c of req) n += (c as Buffer).length;
      if (req.method === "GET") res.end(Buffer.alloc(500_000, 1));
      else res.end(`got ${n}`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  }

  it("answers the next requests with a status and Retry-After, then passes", async () => {
    const url = await echo();
    const f = faultyFetch();
    f.arm({ kind: "status", status: 429, retryAfter: "1" }, { times: 2 });
    const a = await f.fetch(url, { method: "POST", body: "abc" });
    expect([a.status, a.headers.get("retry-after")]).toEqual([429, "1"]);
    expect((await f.fetch(url, { method: "POST", body: "abc" })).status).toBe(429);
    expect(await (await f.fetch(url, { method: "POST", body: "abc" })).text()).toBe("got 3");
    expect(f.fired).toBe(2);
  });

  it("cuts an upload body and a download body mid-stream", async () => {
    const url = await echo();
    const f = faultyFetch();
    f.arm({ kind: "reset-upload", afterBytes: 10_000 });
    await expect(f.fetch(url, { method: "PUT", body: new Uint8Array(100_000) })).rejects.toThrow();
    expect(f.fired).toBe(1);
    f.arm({ kind: "reset-download", afterBytes: 10_000 });
    const res = await f.fetch(url);
    await expect(res.arrayBuffer()).rejects.toThrow(/terminated/);
    expect(f.fired).toBe(2);
    expect((await (await f.fetch(url)).arrayBuffer()).byteLength).toBe(500_000);
  });

  it("holds a request until its AbortSignal fires, and counts clients without a timeout", async () => {
    const url = await echo();
    const f = faultyFetch();
    f.arm({ kind: "timeout" });
    const t0 = Date.now();
    await expect(f.fetch(url, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: "TimeoutError" });
    expect(Date.now() - t0).toBeLessThan(2000);
    f.arm({ kind: "timeout", holdMs: 100 });
    await expect(f.fetch(url)).rejects.toThrow(/without the client timing out/);
    expect(f.unhonouredTimeouts).toBe(1);
  });
});
