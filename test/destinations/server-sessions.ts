/**
 * Breaking a real upload mid-way: vsftpd and sshd serve each connection in a child of their
 * listening process, so killing those children cuts every open session at once (the client
 * sees its connection reset), while the server keeps accepting new ones.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { bytesStream, type Destination } from "@cofre/shared/destinations/contract.ts";
import { STALE_TEMP_MS, TEMP_MARK } from "@cofre/shared/destinations/keys.ts";
import { readPid } from "../../scripts/stack/proc.ts";
import { generatedBody, hashStream } from "./conformance.ts";

/** SIGKILLs every child of the stack service's recorded process; returns how many. */
export function killSessions(service: string): number {
  const master = readPid(service);
  if (master === null) throw new Error(`${service} is not running (no PID file): npm run stack:up`);
  const out = spawnSync("pgrep", ["-P", String(master)], { encoding: "utf8" }).stdout.trim();
  const pids = out ? out.split("\n").map(Number) : [];
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  return pids.length;
}

/** Passes `stream` through, calling `hook` once (and waiting for it) when `atBytes` have passed. */
export function onBytes(stream: ReadableStream<Uint8Array>, atBytes: number, hook: () => Promise<void>): ReadableStream<Uint8Array> {
  let seen = 0;
  let fired = false;
  return stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, c) {
      seen += chunk.length;
      if (!fired && seen >= atBytes) {
        fired = true;
        await hook();
      }
      c.enqueue(chunk);
    },
  }));
}

/**
 * Puts a generated body of `size` bytes (seed `seed`) as "resumed.bin", SIGKILLing every
 * session of the stack `service` once `killAt` bytes have passed: the put must resume and the
 * object arrive whole and alone in the listing. Removes it afterwards.
 */
export async function expectPutResumesAfterSessionsKilled(d: Destination, service: string, o: { size: number; seed: number; killAt: number }): Promise<void> {
  const body = generatedBody(o.size, o.seed, { chunk: 64 * 1024 });
  let killed = 0;
  const info = await d.put("resumed.bin", onBytes(body.stream, o.killAt, async () => {
    await new Promise((r) => setTimeout(r, 200)); // let the server write what it has received
    killed = killSessions(service);
  }));
  expect(killed, "no server session was killed").toBeGreaterThan(0);
  expect(info.size).toBe(body.size);
  expect(await hashStream(await d.get("resumed.bin"))).toEqual({ sha256: body.sha256, size: body.size });
  expect((await d.list("")).objects.map((o) => o.key)).toEqual(["resumed.bin"]);
  await d.remove("resumed.bin");
}

/**
 * A crash's temporary file (older than STALE_TEMP_MS) in a directory is removed by the next
 * destination object's first put there; a fresh one (a put in progress elsewhere) stays, and
 * list shows neither. `dataDir` is where the server keeps `root` on this machine.
 */
export async function expectStaleTempsSwept(openAt: (root: string) => Promise<Destination>, root: string, dataDir: string): Promise<void> {
  const first = await openAt(root);
  await first.put("v/a.bin", bytesStream(new Uint8Array([1])));
  const dir = join(dataDir, "v");
  const stale = join(dir, `${TEMP_MARK}crashed`);
  writeFileSync(stale, "half a volume");
  writeFileSync(join(dir, `${TEMP_MARK}live`), "a put in progress");
  const old = (Date.now() - STALE_TEMP_MS - 3_600_000) / 1000;
  utimesSync(stale, old, old);
  const second = await openAt(root);
  expect((await second.list("")).objects.map((o) => o.key)).toEqual(["v/a.bin"]);
  await second.put("v/b.bin", bytesStream(new Uint8Array([2])));
  expect(readdirSync(dir).sort()).toEqual([`${TEMP_MARK}live`, "a.bin", "b.bin"]);
  expect((await second.list("")).objects.map((o) => o.key)).toEqual(["v/a.bin", "v/b.bin"]);
  rmSync(join(dir, `${TEMP_MARK}live`));
  await second.remove("v/a.bin");
  await second.remove("v/b.bin");
}
