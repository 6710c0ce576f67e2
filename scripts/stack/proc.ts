import { spawn, spawnSync, type SpawnSyncOptions } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOG_DIR, PID_DIR } from "./paths.ts";

const isRoot = process.getuid?.() === 0;

/** Runs a command as `user` when we are root (PostgreSQL refuses to run as root), else as ourselves. */
export function runAs(user: string | null, cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const [c, a] = user && isRoot ? ["runuser", ["-u", user, "--", cmd, ...args]] : [cmd, args];
  const r = spawnSync(c, a, { encoding: "utf8", ...opts });
  if (r.error) throw r.error;
  return r;
}

export function mustRunAs(user: string | null, cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = runAs(user, cmd, args, opts);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr ?? ""}${r.stdout ?? ""}`);
  }
  return r;
}

export function pidFile(service: string) {
  return join(PID_DIR, `${service}.pid`);
}

export function readPid(service: string): number | null {
  const f = pidFile(service);
  if (!existsSync(f)) return null;
  const pid = Number(readFileSync(f, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function writePid(service: string, pid: number) {
  mkdirSync(PID_DIR, { recursive: true });
  writeFileSync(pidFile(service), `${pid}\n`);
}

export function isAlive(pid: number | null): pid is number {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a long-running process detached, output to `.stack/logs/<service>.log`; returns its real PID. */
export function startDaemon(service: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  // Logs may quote request lines of the fakes and servers: private to the stack's owner.
  mkdirSync(LOG_DIR, { recursive: true, mode: 0o700 });
  chmodSync(LOG_DIR, 0o700);
  const logFile = join(LOG_DIR, `${service}.log`);
  const log = openSync(logFile, "a", 0o600);
  chmodSync(logFile, 0o600);
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, ...env },
  });
  if (child.pid === undefined) throw new Error(`could not start ${service}`);
  child.unref();
  writePid(service, child.pid);
  return child.pid;
}

/** Stops the process recorded for `service` (and only that one), waiting up to `ms`. */
export async function stopByPid(service: string, signal: NodeJS.Signals = "SIGTERM", ms = 15_000) {
  const pid = readPid(service);
  if (isAlive(pid)) {
    process.kill(pid, signal);
    const deadline = Date.now() + ms;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) process.kill(pid, "SIGKILL");
  }
  rmSync(pidFile(service), { force: true });
  return pid;
}

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it resolves true or `ms` pass. */
export async function waitFor(what: string, probe: () => Promise<boolean>, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${what}`);
}
