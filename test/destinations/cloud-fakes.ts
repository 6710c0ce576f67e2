/**
 * The admin side of the Google Drive and Dropbox fakes (test/fakes/fake-accounts.ts) for the
 * gdrive and dropbox tests: a fresh account per test, faults, token expiry, revocation, stats.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Fault } from "../fakes/fake-accounts.ts";

export interface FakeAccount {
  client_id: string;
  client_secret: string;
  refresh_token: string;
}

export interface FakeStats {
  requests: Record<string, number>;
  refreshes: number;
  faultsFired: number;
  expiredTokenRejections: number;
  usedBytes: number;
}

export function adminFor(base: string) {
  const post = async (path: string, body: unknown = {}) => {
    const res = await fetch(`${base}/__fake${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`fake admin ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };
  const at = (a: FakeAccount, action: string) => `/accounts/${encodeURIComponent(a.client_id)}/${action}`;
  return {
    account: (opts: { quotaBytes?: number } = {}) => post("/accounts", opts) as Promise<FakeAccount>,
    fault: (a: FakeAccount, f: Fault) => post(at(a, "faults"), f),
    expireTokens: (a: FakeAccount) => post(at(a, "expire-tokens")),
    revoke: (a: FakeAccount) => post(at(a, "revoke")),
    quota: (a: FakeAccount, bytes: number | null) => post(at(a, "quota"), { bytes }),
    stats: async (a: FakeAccount) => (await (await fetch(`${base}/__fake${at(a, "stats")}`)).json()) as FakeStats,
  };
}

/**
 * Starts test/fakes/<name>.ts in its own process on an ephemeral 127.0.0.1 port with its data
 * in `dir` — a separate process so the conformance suite's memory figures measure the adapter,
 * not the fake — and stops it (by its PID) on `close`.
 */
export async function startFakeProcess(name: "gdrive" | "dropbox", dir: string): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const loader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
  const child = spawn(process.execPath, ["--import", loader, join(root, "test", "fakes", `${name}.ts`), "--port", "0", "--dir", dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`fake ${name} did not start: ${out}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString("utf8");
      const m = /listening on (http:\/\/[0-9.:]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => reject(new Error(`fake ${name} exited (${code}): ${out}`)));
  });
  child.stdout!.resume();
  return {
    url,
    port: Number(new URL(url).port),
    close: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
  };
}
