/**
 * OpenSSH for the SFTP destination (issue 5): its own sshd on 127.0.0.1:PORTS.sftp with its own
 * host key and config under .stack/sshd/, serving internal-sftp only to the system user
 * `cofre-sftp`, chrooted to .stack/sshd/root (writable area: /data; see SECURE_DIR for
 * checkouts under a world-writable directory such as /tmp). The user logs in with a
 * password (random, .stack/sshd/password) or an ed25519 key pair whose private half is
 * encrypted with a random passphrase. Generated idempotently at `up`; sshd runs in the
 * foreground (-D) and is stopped by PID.
 *
 * Adds DEST_SFTP and COFRE_SFTP_{PASSWORD,PRIVATE_KEY,PRIVATE_KEY_PASSPHRASE,HOST_KEY} to
 * .stack/env. The private key is one line with `\n` escapes (.stack/env is line-based); the
 * adapter accepts that form. HOST_KEY is the server's SHA-256 fingerprint, which the adapter pins.
 */
import { createHash } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { HOST, PORTS } from "../ports.ts";
import { ROOT, STACK_DIR } from "../paths.ts";
import { isAlive, mustRunAs, readPid, startDaemon, stopByPid, waitFor } from "../proc.ts";
import { ensureSystemUser, persistentSecret, setPassword } from "../system-user.ts";
import { greets } from "../tcp-banner.ts";
import type { ServiceStatus, StackService } from "./contract.ts";

export const SFTP_USER = "cofre-sftp";
const NAME = "sshd-sftp";
const SSHD = "/usr/sbin/sshd";
const DIR = join(STACK_DIR, "sshd");

/** True when `path` and every directory above it are root-owned and not group/other-writable. */
function rootOwnedPath(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    const st = statSync(p);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
    if (p === dirname(p)) return true;
  }
}

/**
 * Where the chroot and the authorized keys live. sshd refuses a ChrootDirectory or an
 * AuthorizedKeysFile any of whose path components is not root-owned or is group/other-writable
 * ("bad ownership or modes for directory /tmp" for a checkout under /tmp, whose mode is 1777).
 * A checkout whose path qualifies keeps them in .stack/sshd; any other gets a root-owned
 * directory of its own under /var/lib/cofre-stack, named by a hash of the checkout's path.
 */
const SECURE_DIR = rootOwnedPath(ROOT)
  ? DIR
  : join("/var/lib/cofre-stack", createHash("sha256").update(ROOT).digest("hex").slice(0, 12), "sshd");
/** ChrootDirectory: sshd demands it and its parents be root-owned and not group/other-writable. */
export const SFTP_CHROOT = join(SECURE_DIR, "root");
const CHROOT = SFTP_CHROOT;
const HOST_KEY = join(DIR, "ssh_host_ed25519_key");
const CLIENT_KEY = join(DIR, "client_ed25519");
const AUTHORIZED = join(SECURE_DIR, "authorized_keys");
const CONFIG = join(DIR, "sshd_config");
/** sshd's privilege-separation directory (compiled into Debian's build). */
const PRIVSEP_DIR = "/run/sshd";

function keygen(file: string, passphrase: string, comment: string) {
  if (existsSync(file) && existsSync(`${file}.pub`)) return;
  mustRunAs(null, "ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", file]);
}

/** `SHA256:…` as `ssh-keygen -l` prints it (and the adapter computes it). */
function fingerprint(pubFile: string): string {
  const out = String(mustRunAs(null, "ssh-keygen", ["-l", "-E", "sha256", "-f", pubFile]).stdout);
  const m = /(SHA256:[A-Za-z0-9+/]+)/.exec(out);
  if (!m) throw new Error(`unexpected ssh-keygen output: ${out}`);
  return m[1]!;
}

function config(): string {
  return [
    `Port ${PORTS.sftp}`,
    `ListenAddress ${HOST}`,
    `HostKey ${HOST_KEY}`,
    `PidFile ${join(DIR, "sshd.pid")}`,
    `AuthorizedKeysFile ${AUTHORIZED}/%u`,
    "UsePAM no",
    "PasswordAuthentication yes",
    "PubkeyAuthentication yes",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin no",
    `AllowUsers ${SFTP_USER}`,
    "AllowTcpForwarding no",
    "AllowAgentForwarding no",
    "X11Forwarding no",
    "PermitTTY no",
    // The conformance suite opens several sessions at once.
    "MaxStartups 64:30:128",
    "MaxSessions 32",
    "LoginGraceTime 30",
    "LogLevel INFO",
    "Subsystem sftp internal-sftp",
    `Match User ${SFTP_USER}`,
    `  ChrootDirectory ${CHROOT}`,
    // -u 077: files 0600 and directories 0700 whatever mode the client asks for.
    "  ForceCommand internal-sftp -d /data -u 077",
    "",
  ].join("\n");
}

function prepare() {
  if (!existsSync(SSHD)) throw new Error("sshd is not installed: run `npm run setup` (installs openssh-server)");
  mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
  for (const d of [DIR, SECURE_DIR, CHROOT, AUTHORIZED]) {
    mkdirSync(d, { recursive: true, mode: 0o755 });
    chownSync(d, 0, 0);
    chmodSync(d, 0o755);
  }
  const user = ensureSystemUser(SFTP_USER, "/data");
  const password = persistentSecret(join(DIR, "password"));
  setPassword(SFTP_USER, password);
  const data = join(CHROOT, "data");
  mkdirSync(data, { recursive: true });
  chownSync(data, user.uid, user.gid);
  chmodSync(data, 0o700);
  // A directory the user may not write to: the tests' "permission" case.
  const readonly = join(CHROOT, "readonly");
  mkdirSync(readonly, { recursive: true });
  chmodSync(readonly, 0o555);
  keygen(HOST_KEY, "", "cofre-stack-host");
  const passphrase = persistentSecret(join(DIR, "client_passphrase"));
  keygen(CLIENT_KEY, passphrase, "cofre-stack-client");
  writeFileSync(join(AUTHORIZED, SFTP_USER), readFileSync(`${CLIENT_KEY}.pub`), { mode: 0o644 });
  writeFileSync(CONFIG, config(), { mode: 0o600 });
  mustRunAs(null, SSHD, ["-t", "-f", CONFIG]);
  return { password, passphrase };
}

export const service: StackService = {
  order: 10,
  status(): ServiceStatus[] {
    const pid = readPid(NAME);
    return [{ name: NAME, pid, alive: isAlive(pid), url: `sftp://${HOST}:${PORTS.sftp}` }];
  },
  async up() {
    const { password, passphrase } = prepare();
    if (!isAlive(readPid(NAME))) startDaemon(NAME, SSHD, ["-D", "-e", "-f", CONFIG]);
    await waitFor(NAME, () => greets(PORTS.sftp, "SSH-2.0-"));
    return {
      DEST_SFTP: `sftp://${SFTP_USER}@${HOST}:${PORTS.sftp}/data/backups`,
      COFRE_SFTP_PASSWORD: password,
      COFRE_SFTP_PRIVATE_KEY: readFileSync(CLIENT_KEY, "utf8").trim().replaceAll("\n", "\\n"),
      COFRE_SFTP_PRIVATE_KEY_PASSPHRASE: passphrase,
      COFRE_SFTP_HOST_KEY: fingerprint(`${HOST_KEY}.pub`),
    };
  },
  async down(wanted) {
    if (wanted(NAME)) await stopByPid(NAME);
  },
};
