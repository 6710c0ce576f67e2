/**
 * What the Google Drive and Dropbox fakes share: OAuth2 accounts with refresh tokens and
 * short-lived access tokens, a per-account storage quota, and a test-only admin API that
 * injects faults (HTTP statuses with Retry-After, a connection reset mid-body, a dropped
 * response, expired access tokens, a revoked refresh token, a full quota).
 *
 * Faults and quotas belong to one account, so tests running in parallel against the same
 * daemon (each with its own account from POST /__fake/accounts) never see each other's faults.
 *
 * Admin API (127.0.0.1 only, JSON):
 *   GET  /__fake/health                          → { ok: true, provider }
 *   POST /__fake/accounts        { quotaBytes? }  → { client_id, client_secret, refresh_token }
 *   POST /__fake/accounts/<client_id>/faults      one Fault (below), queued
 *   POST /__fake/accounts/<client_id>/expire-tokens   every access token issued so far expires now
 *   POST /__fake/accounts/<client_id>/revoke      the refresh token stops working (invalid_grant)
 *   POST /__fake/accounts/<client_id>/quota { bytes }  null = unlimited
 *   GET  /__fake/accounts/<client_id>/stats       → counters (requests per op, refreshes, faults fired…)
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";

export type Fault =
  /** Answer with this status (the fake builds the provider's error body). */
  | { kind: "status"; status: number; op?: string; times?: number; retryAfter?: number; reason?: string }
  /** Destroy the connection after reading `afterBytes` of the request body (0: at once). */
  | { kind: "reset"; op?: string; times?: number; afterBytes?: number }
  /** Carry out the request fully, then destroy the connection instead of answering (Drive session PUTs and files.create, Dropbox upload/session calls). */
  | { kind: "drop-response"; op?: string; times?: number };

export interface Account {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  revoked: boolean;
  quotaBytes: number | null;
  /** Access tokens issued before this instant are expired (expire-tokens). */
  tokensValidAfter: number;
}

export interface AccountStats {
  requests: Record<string, number>;
  refreshes: number;
  faultsFired: number;
  expiredTokenRejections: number;
}

interface TokenInfo {
  clientId: string;
  issuedAt: number;
  expiresAt: number;
}

const newSecret = (n = 24) => randomBytes(n).toString("base64url");

/** Accounts, tokens, faults and counters of one fake; persisted (except tokens) under `dir`. */
export class FakeAccounts {
  readonly accounts = new Map<string, Account>();
  readonly #tokens = new Map<string, TokenInfo>();
  readonly #faults = new Map<string, Fault[]>();
  readonly #stats = new Map<string, AccountStats>();
  readonly #file: string;

  constructor(dir: string, readonly provider: string, readonly tokenTtlSec: number) {
    mkdirSync(dir, { recursive: true });
    this.#file = join(dir, "accounts.json");
    if (existsSync(this.#file)) {
      for (const a of JSON.parse(readFileSync(this.#file, "utf8")) as Account[]) this.accounts.set(a.clientId, a);
    }
  }

  #save() {
    const tmp = `${this.#file}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.accounts.values()]));
    renameSync(tmp, this.#file);
  }

  /** Creates an account; fixed credentials (the stack's default account) are reused if present. */
  create(opts: { quotaBytes?: number | null; clientId?: string; clientSecret?: string; refreshToken?: string } = {}): Account {
    const existing = opts.clientId ? this.accounts.get(opts.clientId) : undefined;
    if (existing) return existing;
    const a: Account = {
      clientId: opts.clientId ?? `fake-client-${newSecret(9)}`,
      clientSecret: opts.clientSecret ?? newSecret(),
      refreshToken: opts.refreshToken ?? `fake-refresh-${newSecret()}`,
      revoked: false,
      quotaBytes: opts.quotaBytes ?? null,
      tokensValidAfter: 0,
    };
    this.accounts.set(a.clientId, a);
    this.#save();
    return a;
  }

  stats(clientId: string): AccountStats {
    let s = this.#stats.get(clientId);
    if (!s) this.#stats.set(clientId, (s = { requests: {}, refreshes: 0, faultsFired: 0, expiredTokenRejections: 0 }));
    return s;
  }

  count(clientId: string, op: string) {
    const s = this.stats(clientId);
    s.requests[op] = (s.requests[op] ?? 0) + 1;
  }

  /** Issues an access token for a refresh grant; null when the grant is not valid. */
  refresh(clientId: string, clientSecret: string | null, refreshToken: string):
    | { ok: true; accessToken: string; expiresIn: number }
    | { ok: false; error: "invalid_client" | "invalid_grant" } {
    const a = this.accounts.get(clientId);
    if (!a || (clientSecret !== null && clientSecret !== a.clientSecret)) return { ok: false, error: "invalid_client" };
    if (a.revoked || refreshToken !== a.refreshToken) return { ok: false, error: "invalid_grant" };
    const accessToken = `fake-access-${newSecret()}`;
    const now = Date.now();
    this.#tokens.set(accessToken, { clientId, issuedAt: now, expiresAt: now + this.tokenTtlSec * 1000 });
    this.stats(clientId).refreshes++;
    return { ok: true, accessToken, expiresIn: this.tokenTtlSec };
  }

  /** The account behind a bearer token: "invalid" (unknown) or "expired" when it cannot be used. */
  authenticate(authorization: string | undefined): Account | "invalid" | "expired" {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    const t = m ? this.#tokens.get(m[1]!) : undefined;
    if (!t) return "invalid";
    const a = this.accounts.get(t.clientId);
    if (!a) return "invalid";
    if (Date.now() >= t.expiresAt || t.issuedAt < a.tokensValidAfter) {
      this.stats(a.clientId).expiredTokenRejections++;
      return "expired";
    }
    return a;
  }

  /** The next queued fault for `op`, consumed. */
  takeFault(clientId: string, op: string): Fault | null {
    const list = this.#faults.get(clientId);
    if (!list) return null;
    const i = list.findIndex((f) => f.op === undefined || f.op === op);
    if (i < 0) return null;
    const f = list[i]!;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) list.splice(i, 1);
    else list[i] = { ...f, times: left };
    this.stats(clientId).faultsFired++;
    return f;
  }

  /**
   * Serves /__fake/* admin requests; returns false when `path` is not an admin path.
   * `usedBytes(clientId)` reports what the account stores (for stats).
   */
  async admin(req: IncomingMessage, res: ServerResponse, path: string, usedBytes: (clientId: string) => number): Promise<boolean> {
    if (!path.startsWith("/__fake/")) return false;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const body = req.method === "POST" ? await readJson(req) : {};
    if (path === "/__fake/health") return send(200, { ok: true, provider: this.provider }), true;
    if (path === "/__fake/accounts" && req.method === "POST") {
      const a = this.create({ quotaBytes: typeof body.quotaBytes === "number" ? body.quotaBytes : null });
      return send(200, { client_id: a.clientId, client_secret: a.clientSecret, refresh_token: a.refreshToken }), true;
    }
    const m = /^\/__fake\/accounts\/([^/]+)\/([a-z-]+)$/.exec(path);
    const a = m ? this.accounts.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !a) return send(404, { error: "no such account or admin path" }), true;
    switch (m[2]) {
      case "faults": {
        const list = this.#faults.get(a.clientId) ?? [];
        list.push(body as unknown as Fault);
        this.#faults.set(a.clientId, list);
        return send(200, { queued: list.length }), true;
      }
      case "expire-tokens":
        a.tokensValidAfter = Date.now() + 1;
        await new Promise((r) => setTimeout(r, 2));
        return send(200, { ok: true }), true;
      case "revoke":
        a.revoked = true;
        this.#save();
        return send(200, { ok: true }), true;
      case "quota":
        a.quotaBytes = typeof body.bytes === "number" ? body.bytes : null;
        this.#save();
        return send(200, { ok: true }), true;
      case "stats":
        return send(200, { ...this.stats(a.clientId), usedBytes: usedBytes(a.clientId), quotaBytes: a.quotaBytes }), true;
    }
    return send(404, { error: "unknown admin action" }), true;
  }
}

/** Reads a small JSON request body (admin and metadata requests; never file content). */
export async function readJson(req: IncomingMessage, limit = 1024 * 1024): Promise<Record<string, unknown>> {
  const text = await readText(req, limit);
  if (text.trim() === "") return {};
  return JSON.parse(text) as Record<string, unknown>;
}

export async function readText(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new Error("request body too large for a metadata request");
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Resets the client's connection (a TCP RST, as a dropped network path looks). */
export function resetConnection(req: IncomingMessage) {
  const s = req.socket;
  if (!s.destroyed) s.resetAndDestroy();
}

/** Random opaque ids for files and sessions. */
export const newId = (n = 16) => randomBytes(n).toString("base64url");

/** `--port N --dir D` of a fake started as a daemon. */
export function daemonArgs(argv: string[]): { port: number; dir: string } {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = Number(get("--port"));
  const dir = get("--dir");
  if (!Number.isInteger(port) || !dir) throw new Error("usage: --port N --dir DIR");
  return { port, dir };
}
