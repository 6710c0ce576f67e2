/**
 * Conformance target for the SFTP adapter against the stack's OpenSSH
 * (scripts/stack/services/sshd.ts).
 */
import { randomUUID } from "node:crypto";
import { open, type SftpDestination } from "@cofre/shared/destinations/sftp.ts";
import { stackEnv } from "../support/stack.ts";
import type { ConformanceOpenOptions, ConformanceTarget } from "./conformance.ts";
import { CLOSED_PORT, ctxWith, ensureParent } from "./ftp-target.ts";

export function sftpServer() {
  const env = stackEnv();
  const spec = new URL(env.DEST_SFTP!);
  return {
    spec,
    host: spec.hostname,
    port: Number(spec.port),
    password: env.COFRE_SFTP_PASSWORD!,
    privateKey: env.COFRE_SFTP_PRIVATE_KEY!,
    passphrase: env.COFRE_SFTP_PRIVATE_KEY_PASSPHRASE!,
    hostKey: env.COFRE_SFTP_HOST_KEY!,
  };
}

/** Key-based credentials with the pinned host key (what .stack/env gives). */
export function keyCreds(): Record<string, string> {
  const s = sftpServer();
  return { private_key: s.privateKey, private_key_passphrase: s.passphrase, host_key: s.hostKey };
}

export async function openSftp(opts: ConformanceOpenOptions & { root?: string; creds?: Record<string, string>; port?: number } = {}): Promise<SftpDestination> {
  const s = sftpServer();
  if (opts.root === undefined) await ensureParent("sftp", () => openSftp({ root: "data/conformance" }));
  const url = new URL(`sftp://${s.spec.username}@${s.host}:${opts.port ?? s.port}/${opts.root ?? `data/conformance/${randomUUID()}`}`);
  return open(url, ctxWith(opts.creds ?? keyCreds(), { ioTimeoutMs: opts.ioTimeoutMs ?? 10_000 }), {
    via: opts.via,
    retry: { baseDelayMs: 50, maxDelayMs: 500 },
  });
}

export function sftpTarget(): ConformanceTarget {
  const s = sftpServer();
  return {
    name: "sftp",
    open: (opts) => openSftp(opts),
    server: { host: s.host, port: s.port },
    failing: {
      authentication: () => openSftp({ creds: { password: "wrong-password", host_key: s.hostKey } }),
      permission: () => openSftp({ root: "readonly/backups" }),
      not_found: () => openSftp({ root: "no-such-dir/backups" }),
      network: () => openSftp({ port: CLOSED_PORT }),
      host_key: () => openSftp({ creds: { ...keyCreds(), host_key: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } }),
    },
    limitations: {
      "testConnection: quota":
        "OpenSSH's sftp-server reports a full disk as the generic SSH_FX_FAILURE, and provoking it for real needs a size-limited filesystem (loop mount or tmpfs), which needs mount privileges the test machine does not grant. Messages naming quota/space map to DESTINATION_QUOTA (unit test of the classifier).",
      "testConnection: tls": "SSH is not TLS; its trust check is the host key (the host_key class).",
      "fault: HTTP 5xx": "not an HTTP protocol.",
      "fault: HTTP 429 with Retry-After": "not an HTTP protocol: SFTP has no rate-limit reply.",
      "fault: HTTP reset mid-body": "not an HTTP protocol; the TCP reset cases cover mid-body resets.",
      "fault: HTTP timeout": "not an HTTP protocol; the TCP stall case covers timeouts.",
    },
  };
}
