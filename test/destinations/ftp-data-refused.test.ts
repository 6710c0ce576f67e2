/**
 * An FTP server whose data connections never open (a firewall dropping the passive ports, a
 * server answering 425): the control connection works, every transfer fails. A get must
 * end with a typed error after the retry policy's attempts, in bounded time — not reconnect
 * forever (it once made 5,316 control connections in 8 s).
 *
 * The control connection goes through a small proxy in front of the stack's vsftpd that
 * rewrites the PASV/EPSV replies (RFC 959 §4.2 "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)",
 * RFC 2428 §3 "229 Entering Extended Passive Mode (|||port|)"): either to a port nothing
 * listens on (refused), or to a relay that reaches vsftpd's passive port and cuts both ends at
 * once (the server then answers 425/426 for every transfer — the case that looped forever).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { randomUUID } from "node:crypto";
import { bytesStream } from "@cofre/shared/destinations/contract.ts";
import { isCofreError, type CofreError } from "@cofre/shared/errors.ts";
import { CLOSED_PORT, ftpServer, openFtp } from "./ftp-target.ts";

let mode: "refuse" | "cut" = "refuse";
const relays = new Set<Server>();

/** A one-shot listener that connects to vsftpd's passive `port`, then drops both sides. */
async function cuttingRelay(port: number): Promise<number> {
  const relay = createServer((client) => {
    const upstream = connect(port, ftpServer("ftp").host, () => {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    relay.close();
  });
  relays.add(relay);
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
  return (relay.address() as AddressInfo).port;
}

async function rewritePassive(line: string): Promise<string> {
  const to = async (p: number) => (mode === "refuse" ? CLOSED_PORT : await cuttingRelay(p));
  const epsv = /\(\|\|\|(\d+)\|\)/.exec(line);
  if (line.startsWith("229 ") && epsv) return line.replace(epsv[0], `(|||${await to(Number(epsv[1]))}|)`);
  const pasv = /\((\d+,\d+,\d+,\d+),(\d+),(\d+)\)/.exec(line);
  if (line.startsWith("227 ") && pasv) {
    const p = await to(Number(pasv[2]) * 256 + Number(pasv[3]));
    return line.replace(pasv[0], `(${pasv[1]},${p >> 8},${p & 255})`);
  }
  return line;
}

let server: Server;
let controlConnections = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  const { host, port } = ftpServer("ftp");
  server = createServer((client) => {
    controlConnections++;
    const upstream = connect(port, host);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let pending = "";
    let order = Promise.resolve();
    upstream.on("data", (b: Buffer) => {
      pending += b.toString("latin1");
      const lines = pending.split("\r\n");
      pending = lines.pop()!;
      for (const l of lines) order = order.then(async () => void client.write(`${await rewritePassive(l)}\r\n`));
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const r of relays) r.close();
  await new Promise<void>((r) => server.close(() => r()));
});

describe("ftp get when no data connection ever works", () => {
  it.each(["refuse", "cut"] as const)("data connection %s: fails typed after the retry policy's attempts, in bounded time", async (m) => {
    mode = m;
    const root = `conformance/refused-${randomUUID()}`;
    const direct = await openFtp("ftp", { root });
    await direct.put("x.bin", bytesStream(new Uint8Array(64 * 1024).fill(7)));
    try {
      const { port } = server.address() as AddressInfo;
      const d = await openFtp("ftp", { root, via: { host: "127.0.0.1", port }, ioTimeoutMs: 3_000 });
      const before = controlConnections;
      const t0 = Date.now();
      const err = await d.get("x.bin").then((s) => new Response(s).arrayBuffer()).then(() => null, (e: unknown) => e);
      const elapsed = Date.now() - t0;
      expect(isCofreError(err), `expected a typed error, got ${String(err)}`).toBe(true);
      expect((err as CofreError).code, (err as CofreError).messages.en).toBe("DESTINATION_NETWORK");
      // openFtp's policy: 5 attempts, 50–500 ms backoff. One connection per attempt at most.
      expect((err as CofreError).details.attempts).toBe(5);
      expect(controlConnections - before).toBeLessThanOrEqual(6);
      expect(elapsed).toBeLessThan(20_000);
    } finally {
      await direct.remove("x.bin");
    }
  }, 30_000);
});
