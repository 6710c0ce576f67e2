/**
 * System users and secrets for the stack's real servers (vsftpd, OpenSSH), which log users in
 * through the system's account database. Root only; every call is idempotent.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { mustRunAs, runAs } from "./proc.ts";

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

function lookupUser(name: string): SystemUser | null {
  const r = runAs(null, "getent", ["passwd", name]);
  if (r.status !== 0) return null;
  const [, , uid, gid] = String(r.stdout).trim().split(":");
  return { name, uid: Number(uid), gid: Number(gid) };
}

/**
 * A login-less system user (shell nologin) with `home` as its home directory. Created when
 * missing; an existing one is kept (its home is updated, so a moved checkout still works).
 */
export function ensureSystemUser(name: string, home: string): SystemUser {
  if (process.getuid?.() !== 0) {
    throw new Error(`creating the system user ${name} needs root: run the stack as root (as npm run setup does)`);
  }
  if (!lookupUser(name)) {
    mustRunAs(null, "useradd", ["--system", "--no-create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin", name]);
  } else {
    mustRunAs(null, "usermod", ["--home", home, name]);
  }
  return lookupUser(name)!;
}

/** Sets `user`'s password (idempotent: the same password again is harmless). */
export function setPassword(user: string, password: string): void {
  mustRunAs(null, "chpasswd", [], { input: `${user}:${password}\n` });
}

/** A random secret kept in `file` (0600): created on first use, the same on every later call. */
export function persistentSecret(file: string, bytes = 24): string {
  if (existsSync(file)) {
    const v = readFileSync(file, "utf8").trim();
    if (v) return v;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const v = randomBytes(bytes).toString("base64url");
  writeFileSync(file, `${v}\n`, { mode: 0o600 });
  return v;
}
