/**
 * Conformance targets for the FTP and FTPS adapters against the stack's vsftpd
 * (scripts/stack/services/vsftpd.ts), shared by ftp.test.ts and ftps.test.ts.
 */
import { randomUUID } from "node:crypto";
import { open, type FtpDestination } from "@cofre/shared/destinations/ftp.ts";
import type { OpenContext } from "@cofre/shared/destinations/open-context.ts";
import { bytesStream, type Destination } from "@cofre/shared/destinations/contract.ts";
import { stackEnv } from "../support/stack.ts";
import type { ConformanceOpenOptions, ConformanceTarget } from "./conformance.ts";

export const LOOPBACK = { allowPrivateHosts: ["127.0.0.1"] } as const;
/** A TCP port on 127.0.0.1 that nothing listens on (the "network" class). */
export const CLOSED_PORT = 55489;

/** Context with explicit credentials (as a config file or the secret store gives them). */
export function ctxWith(explicit: Record<string, string>, extra: Partial<OpenContext> = {}): OpenContext {
  return { credentials: { explicit }, network: LOOPBACK, ...extra };
}

export function ftpServer(kind: "ftp" | "ftps") {
  const env = stackEnv();
  const spec = new URL(kind === "ftp" ? env.DEST_FTP! : env.DEST_FTPS!);
  const password = kind === "ftp" ? env.COFRE_FTP_PASSWORD! : env.COFRE_FTPS_PASSWORD!;
  const fingerprint = env.COFRE_FTPS_CERT_FINGERPRINT!;
  const creds: Record<string, string> = kind === "ftps" ? { password, cert_fingerprint: fingerprint } : { password };
  return { spec, password, fingerprint, creds, host: spec.hostname, port: Number(spec.port) };
}

/** `kind://user@host:port/<root>` with `params`. */
export function ftpUrl(kind: "ftp" | "ftps", root: string, params: Record<string, string> = {}, port?: number): URL {
  const s = ftpServer(kind);
  const u = new URL(`${kind}://${s.spec.username}@${s.host}:${port ?? s.port}/${root}`);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u;
}

/**
 * The adapters create a destination's root but not its missing parents (a wrong path is
 * DESTINATION_NOT_FOUND), so the shared parent of the tests' fresh roots is made once, by
 * putting (and removing) a marker through a destination rooted at it.
 */
const parents = new Map<string, Promise<void>>();
export function ensureParent(id: string, make: () => Promise<Destination>): Promise<void> {
  let p = parents.get(id);
  if (!p) {
    p = make().then(async (d) => {
      await d.put(".parent", bytesStream(new Uint8Array(0)));
      await d.remove(".parent");
    });
    parents.set(id, p);
  }
  return p;
}

export async function openFtp(kind: "ftp" | "ftps", opts: ConformanceOpenOptions & { root?: string; creds?: Record<string, string>; port?: number } = {}): Promise<FtpDestination> {
  const s = ftpServer(kind);
  if (opts.root === undefined) await ensureParent(kind, () => openFtp(kind, { root: "conformance" }));
  const url = ftpUrl(kind, opts.root ?? `conformance/${randomUUID()}`, {}, opts.port);
  return open(url, ctxWith(opts.creds ?? s.creds, { ioTimeoutMs: opts.ioTimeoutMs ?? 10_000 }), {
    via: opts.via,
    retry: { baseDelayMs: 50, maxDelayMs: 500 },
  });
}

export function ftpTarget(kind: "ftp" | "ftps"): ConformanceTarget {
  const s = ftpServer(kind);
  const failing: ConformanceTarget["failing"] = {
    authentication: () => openFtp(kind, { creds: { ...s.creds, password: "wrong-password" } }),
    permission: () => openFtp(kind, { root: "readonly/backups" }),
    not_found: () => openFtp(kind, { root: "no-such-dir/backups" }),
    network: () => openFtp(kind, { port: CLOSED_PORT }),
  };
  if (kind === "ftps") {
    failing.tls = () => openFtp(kind, { creds: { ...s.creds, cert_fingerprint: "00".repeat(32) } });
  }
  const limitations: Record<string, string> = {
    "testConnection: quota":
      "vsftpd has no quota of its own; provoking 552 for real needs a full filesystem (a loop-mounted or size-limited tmpfs), which needs mount privileges the test machine does not grant. 552/452 → DESTINATION_QUOTA is covered by a unit test of the classifier.",
    "testConnection: host_key": "host keys are SSH's; FTP/FTPS have no host key (FTPS pins a certificate: the tls class).",
    "fault: HTTP 5xx": "not an HTTP protocol; server 4xx replies (421 …) are classified UNAVAILABLE and retried (unit test of the classifier).",
    "fault: HTTP 429 with Retry-After": "not an HTTP protocol: FTP has no rate-limit reply with a delay.",
    "fault: HTTP reset mid-body": "not an HTTP protocol; the TCP reset cases cover mid-body resets.",
    "fault: HTTP timeout": "not an HTTP protocol; the TCP stall case covers timeouts.",
  };
  if (kind === "ftp") limitations["testConnection: tls"] = "plain FTP has no TLS; the ftps target covers this class.";
  if (kind === "ftps") {
    const reason = "TLS encrypts the PASV/EPSV replies, so the fault proxy cannot route FTPS data connections through itself; the same resume code runs in the ftp target's TCP fault cases, and ftps.test.ts breaks a real FTPS upload mid-way by killing the server's session process.";
    limitations["fault: connection reset mid-upload"] = reason;
    limitations["fault: connection reset mid-download"] = reason;
    limitations["fault: stalled connection times out"] = reason;
  }
  return {
    name: kind,
    open: (opts) => openFtp(kind, opts),
    server: kind === "ftp" ? { host: s.host, port: s.port, ftp: true } : { host: s.host, port: s.port },
    limitations,
    failing,
  };
}
