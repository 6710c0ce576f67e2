/**
 * What every local HTTP fake of test/fakes shares: listening on 127.0.0.1 (a port, or an
 * ephemeral one) with a close that drops open connections, a private data directory, and the
 * `--port N --dir D` daemon entry point the stack services and startFakeProcess use.
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { daemonArgs } from "./fake-accounts.ts";

export interface ListeningFake {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts `server` on `host`:`port` (127.0.0.1; port 0: ephemeral); `close` ends open connections too. */
export async function listenOnLoopback(server: Server, port = 0, host = "127.0.0.1"): Promise<ListeningFake> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/**
 * Makes `dir` (the fake's data: accounts with client secrets and refresh tokens, uploaded
 * backups) readable by its owner only: the directory tree 0700 and every file 0600, including
 * what an older run left with looser modes.
 */
export function privateDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fix = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      chmodSync(p, 0o700);
      for (const name of readdirSync(p)) fix(join(p, name));
    } else if (st.isFile()) chmodSync(p, 0o600);
  };
  fix(dir);
}

/**
 * When the module at `moduleUrl` is the process's entry point: reads `--port N --dir D`, makes
 * every file the process creates private (umask 077), starts the fake and stops it on
 * SIGTERM/SIGINT. Prints "<label> listening on <url>" (startFakeProcess waits for it).
 */
export async function runAsDaemon(moduleUrl: string, label: string, start: (o: { dir: string; port: number }) => Promise<ListeningFake>): Promise<void> {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const { port, dir } = daemonArgs(process.argv);
  process.umask(0o077);
  privateDataDir(dir);
  const fake = await start({ dir, port });
  console.log(`${label} listening on ${fake.url} (data in ${dir})`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
