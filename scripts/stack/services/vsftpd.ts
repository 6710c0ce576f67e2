/**
 * vsftpd for the FTP and FTPS destinations (issue 5): two instances on 127.0.0.1, plain FTP on
 * PORTS.ftp and explicit FTPS on PORTS.ftps with a self-signed certificate made here. Both log
 * in the system user `cofre-ftp` (random password kept in .stack/vsftpd/password) through a
 * PAM service of their own, chrooted to .stack/vsftpd/data. Everything is generated under
 * .stack/vsftpd/ at `up`, idempotently; the daemons run in the foreground and are stopped by PID.
 *
 * Adds DEST_FTP, DEST_FTPS, COFRE_FTP_PASSWORD, COFRE_FTPS_PASSWORD and
 * COFRE_FTPS_CERT_FINGERPRINT (the certificate's SHA-256, which the adapter pins) to .stack/env.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOST, PORTS } from "../ports.ts";
import { STACK_DIR } from "../paths.ts";
import { isAlive, mustRunAs, readPid, startDaemon, stopByPid, waitFor } from "../proc.ts";
import { ensureSystemUser, persistentSecret, setPassword } from "../system-user.ts";
import { greets } from "../tcp-banner.ts";
import type { ServiceStatus, StackService } from "./contract.ts";

export const FTP_USER = "cofre-ftp";
const DIR = join(STACK_DIR, "vsftpd");
const DATA = join(DIR, "data");
/** vsftpd's secure_chroot_dir: empty, root-owned, not writable. */
const EMPTY = join(DIR, "empty");
const CERT = join(DIR, "cert.pem");
const KEY = join(DIR, "key.pem");
/** Our own PAM service: Debian's `vsftpd` one requires a login shell (pam_shells). */
const PAM_SERVICE = "cofre-vsftpd";
const PAM_FILE = `/etc/pam.d/${PAM_SERVICE}`;

interface Instance {
  name: string;
  port: number;
  tls: boolean;
  passive: { min: number; max: number };
}

// The passive range is split so the two instances never race for the same port.
const mid = Math.floor((PORTS.ftpPassive.min + PORTS.ftpPassive.max) / 2);
const INSTANCES: Instance[] = [
  { name: "vsftpd-ftp", port: PORTS.ftp, tls: false, passive: { min: PORTS.ftpPassive.min, max: mid } },
  { name: "vsftpd-ftps", port: PORTS.ftps, tls: true, passive: { min: mid + 1, max: PORTS.ftpPassive.max } },
];

function vsftpdBin(): string {
  for (const p of ["/usr/sbin/vsftpd", "/usr/bin/vsftpd"]) if (existsSync(p)) return p;
  throw new Error("vsftpd is not installed: run `npm run setup` (installs vsftpd)");
}

function ensureCertificate() {
  if (existsSync(CERT) && existsSync(KEY)) return;
  mustRunAs(null, "openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-sha256",
    "-keyout", KEY, "-out", CERT, "-subj", "/CN=127.0.0.1/O=Cofre local stack",
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ]);
  chmodSync(KEY, 0o600);
}

/** The certificate's SHA-256 fingerprint as Node prints it (`AB:CD:…`). */
function certFingerprint(): string {
  const out = String(mustRunAs(null, "openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", CERT]).stdout);
  return out.trim().replace(/^.*=/, "").toUpperCase();
}

function config(i: Instance): string {
  const lines = [
    "listen=YES",
    "listen_ipv6=NO",
    `listen_address=${HOST}`,
    `listen_port=${i.port}`,
    "background=NO",
    "anonymous_enable=NO",
    "local_enable=YES",
    "write_enable=YES",
    // Directories 0700, files 0600, as every destination.
    "local_umask=077",
    "file_open_mode=0600",
    "chroot_local_user=YES",
    "allow_writeable_chroot=YES",
    `local_root=${DATA}`,
    `secure_chroot_dir=${EMPTY}`,
    `pam_service_name=${PAM_SERVICE}`,
    "userlist_enable=NO",
    "pasv_enable=YES",
    `pasv_address=${HOST}`,
    `pasv_min_port=${i.passive.min}`,
    `pasv_max_port=${i.passive.max}`,
    "port_enable=NO",
    "use_localtime=NO",
    // Containers often forbid the namespaces and seccomp filter vsftpd uses for its sandbox.
    "isolate=NO",
    "isolate_network=NO",
    "seccomp_sandbox=NO",
    // Tests provoke failed logins on purpose; no penalty delay.
    "delay_failed_login=0",
    "max_clients=0",
    "max_per_ip=0",
    "idle_session_timeout=120",
    "data_connection_timeout=60",
    // Partial uploads stay so the adapter can resume them (SIZE, then REST+STOR at that offset —
    // not APPE); its temporary names hide them from list.
    "delete_failed_uploads=NO",
    // vsftpd locks a file while a session uploads it; a session stuck on a dead data connection
    // would then keep the resumed upload waiting until data_connection_timeout.
    "lock_upload_files=NO",
    "xferlog_enable=YES",
    `vsftpd_log_file=${join(DIR, `${i.name}-xfer.log`)}`,
    "ftpd_banner=Cofre local stack FTP",
  ];
  if (i.tls) {
    lines.push(
      "ssl_enable=YES",
      `rsa_cert_file=${CERT}`,
      `rsa_private_key_file=${KEY}`,
      "force_local_logins_ssl=YES",
      "force_local_data_ssl=YES",
      "ssl_request_cert=NO",
      "require_ssl_reuse=YES",
      "ssl_ciphers=HIGH",
    );
  }
  return `${lines.join("\n")}\n`;
}

function prepare(): string {
  vsftpdBin();
  mkdirSync(DIR, { recursive: true });
  chmodSync(DIR, 0o755);
  mkdirSync(EMPTY, { recursive: true });
  chmodSync(EMPTY, 0o755);
  const user = ensureSystemUser(FTP_USER, DATA);
  const password = persistentSecret(join(DIR, "password"));
  setPassword(FTP_USER, password);
  writeFileSync(PAM_FILE, "# Written by Cofre's local stack (scripts/stack/services/vsftpd.ts).\nauth required pam_unix.so nodelay\naccount required pam_unix.so\n");
  mkdirSync(DATA, { recursive: true });
  chownSync(DATA, user.uid, user.gid);
  chmodSync(DATA, 0o700);
  // A directory the user may not write to: the tests' "permission" case.
  const readonly = join(DATA, "readonly");
  mkdirSync(readonly, { recursive: true });
  writeFileSync(join(readonly, "KEEP"), "root-owned: keeps this directory from being removed\n");
  chmodSync(readonly, 0o555);
  ensureCertificate();
  for (const i of INSTANCES) writeFileSync(join(DIR, `${i.name}.conf`), config(i), { mode: 0o600 });
  return password;
}

export const service: StackService = {
  order: 10,
  status(): ServiceStatus[] {
    return INSTANCES.map((i) => {
      const pid = readPid(i.name);
      return { name: i.name, pid, alive: isAlive(pid), url: `${i.tls ? "ftps" : "ftp"}://${HOST}:${i.port}` };
    });
  },
  async up() {
    const password = prepare();
    for (const i of INSTANCES) {
      if (!isAlive(readPid(i.name))) startDaemon(i.name, vsftpdBin(), [join(DIR, `${i.name}.conf`)]);
    }
    for (const i of INSTANCES) await waitFor(i.name, () => greets(i.port, "220"));
    return {
      DEST_FTP: `ftp://${FTP_USER}@${HOST}:${PORTS.ftp}/backups`,
      DEST_FTPS: `ftps://${FTP_USER}@${HOST}:${PORTS.ftps}/backups`,
      COFRE_FTP_PASSWORD: password,
      COFRE_FTPS_PASSWORD: password,
      COFRE_FTPS_CERT_FINGERPRINT: certFingerprint(),
    };
  },
  async down(wanted) {
    for (const i of INSTANCES) if (wanted(i.name)) await stopByPid(i.name);
  },
};
