/**
 * Breaking a real upload mid-way: vsftpd and sshd serve each connection in a child of their
 * listening process, so killing those children cuts every open session at once (the client
 * sees its connection reset), while the server keeps accepting new ones.
 */
import { spawnSync } from "node:child_process";
import { readPid } from "../../scripts/stack/proc.ts";

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
