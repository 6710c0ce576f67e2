/**
 * SFTP destination (ssh2): `sftp://user@host:port/path` (absolute path; `/~/sub` is below the
 * login directory).
 *
 * - Authentication: a password (COFRE_SFTP_PASSWORD) and/or a private key
 *   (COFRE_SFTP_PRIVATE_KEY, OpenSSH or PEM text; `\n` escapes accepted so it fits one line,
 *   plus COFRE_SFTP_PRIVATE_KEY_PASSPHRASE when it is encrypted).
 * - Host-key pinning is REQUIRED: `?host_key=SHA256:…` or COFRE_SFTP_HOST_KEY, as
 *   `ssh-keygen -lf` prints it. A missing, unknown or changed key is refused with
 *   DESTINATION_HOST_KEY, and the message shows the fingerprint the server presented so the
 *   user can check it with the server's administrator — nothing is sent to an unverified host.
 * - One SSH connection per destination, shared by concurrent operations, opened lazily and
 *   again after a failure; its socket never keeps the process alive while idle.
 * - put streams to a hidden temporary name (0600), fsyncs it (fsync@openssh.com, when
 *   offered), then renames it over the key (posix-rename@openssh.com; without it the old key
 *   is removed first, which is not atomic — said in the docs). After a broken connection the
 *   upload continues from the last byte the server acknowledged, through a bounded replay
 *   window (`?resume_window_mib=`, default 8). Directories are created 0700.
 * - get streams (ranged, 8 reads of 64 KiB in flight) and continues from where it stopped
 *   after a broken connection. The root is created when missing, but not its parent (a wrong
 *   path is DESTINATION_NOT_FOUND).
 */
import { createHash, randomUUID } from "node:crypto";
import { connect as netConnect, type Socket } from "node:net";
import ssh2 from "ssh2";
import type { ConnectConfig, PasswordAuthMethod, PublicKeyAuthMethod, SFTPWrapper, Stats } from "ssh2";
import { CofreError, describeError } from "../errors.ts";
import { Secret } from "../redacted.ts";
import { commitTemp, NETWORK_ERRNOS, pemText, sweepStaleTemps } from "./file-server.ts";
import { assertValidKey, isTempName, TEMP_MARK } from "./keys.ts";
import { guardHost } from "./network-guard.ts";
import { findCredential, ioTimeoutOf, type NetworkPolicy, type OpenContext } from "./open-context.ts";
import { runConnectionProbe } from "./probe.ts";
import { displayRemoteSpec, parseRemoteSpec, remoteDirname, remoteJoin, type RemoteSpec } from "./remote-spec.ts";
import { ReplayWindow } from "./replay-window.ts";
import { withRetry, type RetryPolicy } from "./retry.ts";
import { listTree, type TreeEntry } from "./tree-list.ts";
import type { ByteRange, Capabilities, Destination, ListPage, ObjectInfo } from "./contract.ts";

const { Client, utils } = ssh2;
type SshClient = InstanceType<typeof Client>;

const WRITE_CHUNK = 64 * 1024;
const WRITES_IN_FLIGHT = 8;
const READ_CHUNK = 64 * 1024;
const READS_IN_FLIGHT = 8;
const IDLE_CLOSE_MS = 15_000;
const SHOWN_PARAMS = ["host_key", "resume_window_mib", "profile"] as const;
/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02 §7). */
const FX = { NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, NO_CONNECTION: 6, CONNECTION_LOST: 7, OP_UNSUPPORTED: 8 } as const;

type Op = "connect" | "get" | "stat" | "put" | "mkdir" | "rename" | "remove" | "list";

export interface SftpOptions {
  spec: RemoteSpec;
  displaySpec: string;
  /** Secrets print as **redacted**; revealed only to the SSH client. */
  password: Secret | null;
  privateKey: Secret | null;
  passphrase: Secret | null;
  /** `SHA256:<base64 without padding>`, or null when none was given (then every connection is refused). */
  hostKey: string | null;
  ioTimeoutMs: number;
  resumeWindowBytes: number;
  /** The SSRF policy (not the whole context: that holds raw credentials). */
  network: NetworkPolicy;
  retry?: Partial<RetryPolicy>;
  /** Connect here instead of spec.host:port (tests: a TCP fault proxy). */
  via?: { host: string; port: number };
}

/** `SHA256:…` of a raw SSH public key blob, as OpenSSH prints it. */
export function sshFingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** Accepts `SHA256:abc…`, `sha256:abc…=` or the bare base64. */
export function normalizeHostKey(v: string): string {
  return `SHA256:${v.trim().replace(/^sha256:/i, "").replace(/=+$/, "")}`;
}

/**
 * Parsed private keys by a hash of (key, passphrase): decrypting an OpenSSH key runs bcrypt,
 * about a second of CPU, which must not be paid per connection. Holds at most a few keys.
 */
const PARSED_KEYS = new Map<string, ssh2.ParsedKey>();

function parsePrivateKey(keyText: string, passphrase: string | null): ssh2.ParsedKey | Error {
  const id = createHash("sha256").update(keyText).update("\0").update(passphrase ?? "").digest("hex");
  const hit = PARSED_KEYS.get(id);
  if (hit) return hit;
  const parsed = utils.parseKey(keyText, passphrase ?? undefined);
  if (parsed instanceof Error) return parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (PARSED_KEYS.size >= 8) PARSED_KEYS.delete(PARSED_KEYS.keys().next().value!);
  PARSED_KEYS.set(id, key);
  return key;
}

function secretOrNull(v: string | undefined): Secret | null {
  return v === undefined ? null : new Secret(v);
}

export async function open(url: URL, ctx: OpenContext, extra: Pick<SftpOptions, "retry" | "via"> = {}): Promise<SftpDestination> {
  const spec = parseRemoteSpec(url, 22, "COFRE_SFTP_PASSWORD");
  const password = findCredential(ctx, "sftp", url, "password") ?? null;
  const privateKey = findCredential(ctx, "sftp", url, "private_key") ?? null;
  if (password === null && privateKey === null) {
    throw new CofreError("DESTINATION_CREDENTIALS_MISSING", {
      "pt-BR": "Falta a credencial do destino SFTP: defina COFRE_SFTP_PASSWORD ou COFRE_SFTP_PRIVATE_KEY (e COFRE_SFTP_PRIVATE_KEY_PASSPHRASE se a chave for protegida), no ambiente, no arquivo de configuração ou nas configurações do destino.",
      en: "The SFTP destination has no credential: set COFRE_SFTP_PASSWORD or COFRE_SFTP_PRIVATE_KEY (plus COFRE_SFTP_PRIVATE_KEY_PASSPHRASE for an encrypted key) in the environment, the config file or the destination's settings.",
    }, { details: { kind: "sftp", fields: ["password", "private_key"] } });
  }
  const hostKey = url.searchParams.get("host_key") ?? findCredential(ctx, "sftp", url, "host_key") ?? null;
  const windowMib = Number(url.searchParams.get("resume_window_mib") ?? 8);
  return new SftpDestination({
    spec,
    displaySpec: displayRemoteSpec(url, SHOWN_PARAMS),
    password: password === null ? null : new Secret(password),
    privateKey: privateKey === null ? null : new Secret(pemText(privateKey)),
    passphrase: secretOrNull(findCredential(ctx, "sftp", url, "private_key_passphrase")),
    hostKey: hostKey === null ? null : normalizeHostKey(hostKey),
    ioTimeoutMs: ioTimeoutOf(ctx),
    resumeWindowBytes: (Number.isFinite(windowMib) && windowMib > 0 ? windowMib : 8) * 1024 * 1024,
    network: ctx.network,
    ...extra,
  });
}

// ---------------------------------------------------------------------------------------
// Error classification

/** Maps ssh2 and SFTP status errors to the destination error family. */
export function classifySftpError(e: unknown, where: { key: string; op: Op; display: string }): CofreError {
  if (e instanceof CofreError) return e;
  const err = e as { code?: unknown; level?: unknown };
  const msg = describeError(e).slice(0, 300);
  const details: Record<string, unknown> = { kind: "sftp", key: where.key, op: where.op, sshLevel: err.level, sftpStatus: typeof err.code === "number" ? err.code : undefined, server: msg };
  const mk = (c: ConstructorParameters<typeof CofreError>[0], pt: string, en: string) => new CofreError(c, { "pt-BR": pt, en }, { details, cause: e });
  if (err.level === "client-authentication") {
    return mk("DESTINATION_AUTH",
      `O servidor ${where.display} recusou o login (senha ou chave). Confira COFRE_SFTP_PASSWORD / COFRE_SFTP_PRIVATE_KEY e se a chave pública está em authorized_keys.`,
      `Server ${where.display} rejected the login (password or key). Check COFRE_SFTP_PASSWORD / COFRE_SFTP_PRIVATE_KEY and that the public key is in authorized_keys.`);
  }
  if (typeof err.code === "number") {
    if (err.code === FX.NO_SUCH_FILE) {
      return where.op === "get" || where.op === "stat"
        ? mk("DESTINATION_NOT_FOUND", `O objeto ${where.key} não existe em ${where.display}.`, `Object ${where.key} does not exist at ${where.display}.`)
        : mk("DESTINATION_NOT_FOUND", `O caminho de ${where.key || "/"} não existe em ${where.display}. Confira o caminho do destino.`, `The path of ${where.key || "/"} does not exist at ${where.display}. Check the destination's path.`);
    }
    if (err.code === FX.PERMISSION_DENIED) {
      return mk("DESTINATION_PERMISSION",
        `O servidor SFTP negou acesso a ${where.key || "/"}. Confira se o usuário pode gravar, ler e apagar nesse caminho.`,
        `The SFTP server denied access to ${where.key || "/"}. Check that the user may write, read and delete there.`);
    }
    if (/quota|no space|disk full/i.test(msg)) {
      return mk("DESTINATION_QUOTA",
        "O servidor SFTP está sem espaço ou a cota acabou. Libere espaço, reduza a retenção ou amplie a cota.",
        "The SFTP server is out of space or quota. Free space, shorten retention or raise the quota.");
    }
    if (err.code === FX.NO_CONNECTION || err.code === FX.CONNECTION_LOST) {
      return mk("DESTINATION_NETWORK", `A conexão SFTP caiu (${msg}).`, `The SFTP connection was lost (${msg}).`);
    }
    return mk("DESTINATION_IO", `O servidor SFTP recusou a operação (${msg}).`, `The SFTP server refused the operation (${msg}).`);
  }
  const errno = typeof err.code === "string" ? err.code : "";
  if (NETWORK_ERRNOS.has(errno) || err.level === "client-socket" || err.level === "client-timeout" || err.level === "client-dns" ||
    /no response from server|not connected|connection (lost|closed|reset)|timed? ?out|channel/i.test(msg)) {
    return mk("DESTINATION_NETWORK",
      `Falha de rede com ${where.display} (${errno || msg}). Confira o endereço, a porta e o firewall.`,
      `Network failure with ${where.display} (${errno || msg}). Check the host, port and firewall.`);
  }
  return mk("DESTINATION_IO", `Erro no destino SFTP: ${msg}`, `SFTP destination error: ${msg}`);
}

function hostKeyError(display: string, seen: string | null, expected: string | null): CofreError {
  const shown = seen ?? "(nenhuma / none)";
  if (expected === null) {
    return new CofreError("DESTINATION_HOST_KEY", {
      "pt-BR": `A chave do servidor ${display} ainda não foi confirmada. Impressão digital apresentada: ${shown}. Confira-a com o administrador do servidor (ssh-keygen -lf) e salve-a em COFRE_SFTP_HOST_KEY ou ?host_key=.`,
      en: `The host key of ${display} has not been confirmed yet. Fingerprint presented: ${shown}. Check it with the server's administrator (ssh-keygen -lf) and save it as COFRE_SFTP_HOST_KEY or ?host_key=.`,
    }, { details: { kind: "sftp", presented: seen, expected: null } });
  }
  return new CofreError("DESTINATION_HOST_KEY", {
    "pt-BR": `A chave do servidor ${display} MUDOU ou é desconhecida: apresentada ${shown}, esperada ${expected}. Pode ser uma troca legítima de servidor ou um ataque; confirme com o administrador antes de atualizar COFRE_SFTP_HOST_KEY.`,
    en: `The host key of ${display} CHANGED or is unknown: presented ${shown}, expected ${expected}. It may be a legitimate server change or an attack; confirm with the administrator before updating COFRE_SFTP_HOST_KEY.`,
  }, { details: { kind: "sftp", presented: seen, expected } });
}

// ---------------------------------------------------------------------------------------

interface Session {
  client: SshClient;
  socket: Socket;
  sftp: SFTPWrapper;
  closed: boolean;
  /** Rejecters of the requests in flight: a lost connection fails them all at once. */
  pending: Set<(e: Error) => void>;
  /** One SFTP request on this session; fails at once when the session is (or becomes) closed. */
  call<T>(fn: (cb: (err: Error | undefined | null, v: T) => void) => void): Promise<T>;
}

function lostError(): Error {
  return Object.assign(new Error("SSH connection lost"), { code: "ECONNRESET" });
}

function call<T>(fn: (cb: (err: Error | undefined | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

export class SftpDestination implements Destination {
  readonly kind = "sftp";
  readonly displaySpec: string;
  readonly capabilities: Capabilities = { rangeReads: true, resumableUploads: true, serverChecksums: [] };
  #session: Promise<Session> | null = null;
  #active = 0;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #root: string | null;
  /** Directories already swept of stale temporary files by this object. */
  readonly #swept = new Set<string>();

  constructor(private readonly o: SftpOptions) {
    this.displaySpec = o.displaySpec;
    this.#root = o.spec.loginRelative ? null : o.spec.root;
  }

  #classify(e: unknown, key: string, op: Op) {
    return classifySftpError(e, { key, op, display: this.displaySpec });
  }

  #retry<T>(op: () => Promise<T>): Promise<T> {
    return withRetry(op, { policy: this.o.retry });
  }

  async #connect(): Promise<Session> {
    const { spec } = this.o;
    await guardHost(spec.host, this.o.network);
    let parsedKey: ssh2.ParsedKey | null = null;
    if (this.o.privateKey !== null) {
      const parsed = parsePrivateKey(this.o.privateKey.reveal(), this.o.passphrase?.reveal() ?? null);
      parsedKey = parsed instanceof Error ? null : parsed;
      if (parsed instanceof Error) {
        throw new CofreError("DESTINATION_AUTH", {
          "pt-BR": `A chave privada do destino SFTP não pôde ser lida (${parsed.message}). Confira COFRE_SFTP_PRIVATE_KEY e a frase-senha COFRE_SFTP_PRIVATE_KEY_PASSPHRASE.`,
          en: `The SFTP destination's private key could not be read (${parsed.message}). Check COFRE_SFTP_PRIVATE_KEY and its passphrase COFRE_SFTP_PRIVATE_KEY_PASSPHRASE.`,
        }, { details: { kind: "sftp" } });
      }
    }
    const socket = netConnect({ host: this.o.via?.host ?? spec.host, port: this.o.via?.port ?? spec.port });
    // No progress for ioTimeoutMs (a dead peer, a stalled middlebox) ends the connection;
    // pending requests then fail with a network error and withRetry decides.
    socket.setTimeout(this.o.ioTimeoutMs, () => socket.destroy(Object.assign(new Error("SSH connection idle timeout"), { code: "ETIMEDOUT" })));
    const client = new Client();
    let seen: string | null = null;
    let hostKeyRefused = false;
    const cfg: ConnectConfig = {
      sock: socket,
      username: spec.user,
      readyTimeout: this.o.ioTimeoutMs,
      // No SSH keepalive: its interval timer would keep an idle process alive; the socket's
      // idle timeout above detects a dead peer instead.
      keepaliveInterval: 0,
      hostVerifier: (key: Buffer) => {
        seen = sshFingerprint(key);
        hostKeyRefused = this.o.hostKey === null || seen !== this.o.hostKey;
        return !hostKeyRefused;
      },
    };
    // Explicit methods: the key first (already parsed, see PARSED_KEYS), then the password.
    const methods: Array<PublicKeyAuthMethod | PasswordAuthMethod> = [];
    if (parsedKey !== null) methods.push({ type: "publickey", username: spec.user, key: parsedKey });
    if (this.o.password !== null) methods.push({ type: "password", username: spec.user, password: this.o.password.reveal() });
    cfg.authHandler = methods;
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("ready", () => resolve());
        client.once("error", reject);
        client.once("close", () => reject(Object.assign(new Error("connection closed during the SSH handshake"), { level: "client-socket" })));
        client.connect(cfg);
      });
    } catch (e) {
      client.end();
      socket.destroy();
      if (hostKeyRefused) throw hostKeyError(this.displaySpec, seen, this.o.hostKey);
      throw this.#classify(e, "", "connect");
    }
    const session: Session = {
      client,
      socket,
      sftp: null as unknown as SFTPWrapper,
      closed: false,
      pending: new Set(),
      call<T>(fn: (cb: (err: Error | undefined | null, v: T) => void) => void): Promise<T> {
        if (session.closed) return Promise.reject(lostError());
        return new Promise<T>((resolve, reject) => {
          session.pending.add(reject);
          fn((err, v) => {
            session.pending.delete(reject);
            if (err) reject(err);
            else resolve(v);
          });
        });
      },
    };
    // ssh2 does not always answer requests made on (or cut off by) a dead connection.
    const drop = () => {
      session.closed = true;
      for (const reject of session.pending) reject(lostError());
      session.pending.clear();
    };
    client.on("error", drop);
    client.on("close", drop);
    try {
      session.sftp = await call<SFTPWrapper>((cb) => client.sftp(cb));
      if (this.#root === null) {
        const home = await call<string>((cb) => session.sftp.realpath(".", cb));
        this.#root = remoteJoin(home, this.o.spec.root);
      }
    } catch (e) {
      client.end();
      throw this.#classify(e, "", "connect");
    }
    return session;
  }

  #current: Session | null = null;

  /** The shared session, (re)opened when needed; holds the process alive only while in use. */
  async #use<T>(key: string, op: Op, fn: (ss: Session) => Promise<T>): Promise<T> {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    this.#active++;
    try {
      if (this.#current?.closed) {
        this.#session = null;
        this.#current = null;
      }
      if (!this.#session) {
        const p = this.#connect();
        this.#session = p;
        p.catch(() => {
          if (this.#session === p) this.#session = null;
        });
      }
      const s = await this.#session;
      this.#current = s;
      s.socket.ref();
      return await fn(s);
    } catch (e) {
      throw this.#classify(e, key, op);
    } finally {
      this.#active--;
      if (this.#active === 0) this.#idle();
    }
  }

  #idle() {
    const s = this.#current;
    if (!s || s.closed) return;
    s.socket.unref();
    this.#idleTimer = setTimeout(() => {
      if (this.#active === 0 && this.#current === s) {
        this.#session = null;
        this.#current = null;
        s.client.end();
      }
    }, IDLE_CLOSE_MS);
    (this.#idleTimer as { unref?: () => void }).unref?.();
  }

  async #resolvedRoot(): Promise<string> {
    if (this.#root === null) await this.#use("", "connect", async () => {});
    return this.#root!;
  }

  async #path(key: string): Promise<string> {
    assertValidKey(key);
    return remoteJoin(await this.#resolvedRoot(), key);
  }

  async #statOrNull(ss: Session, path: string): Promise<Stats | null> {
    try {
      return await ss.call<Stats>((cb) => ss.sftp.stat(path, cb));
    } catch (e) {
      if ((e as { code?: unknown }).code === FX.NO_SUCH_FILE) return null;
      throw e;
    }
  }

  /**
   * Creates `dir` (0700) and its missing parents up to the destination's root; the root itself
   * is created when missing, but its parent must exist (else DESTINATION_NOT_FOUND: the
   * configured path is wrong).
   */
  async #ensureDir(ss: Session, dir: string, key: string): Promise<void> {
    const st = await this.#statOrNull(ss, dir);
    if (st?.isDirectory()) return;
    const root = this.#root!;
    if (dir === root || root.startsWith(`${dir}/`) || dir === "" || dir === "/") {
      const parent = remoteDirname(root);
      if (dir !== root || !(await this.#statOrNull(ss, parent === "" ? "." : parent))?.isDirectory()) {
        throw this.#classify(Object.assign(new Error("no such directory"), { code: FX.NO_SUCH_FILE }), key, "mkdir");
      }
    } else {
      await this.#ensureDir(ss, remoteDirname(dir), key);
    }
    try {
      await ss.call<void>((cb) => ss.sftp.mkdir(dir, { mode: 0o700 }, cb as () => void));
    } catch (e) {
      // A concurrent put may have created it meanwhile.
      if (!(await this.#statOrNull(ss, dir))?.isDirectory()) throw e;
    }
  }

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<ObjectInfo> {
    const reader = body.getReader();
    let temp: string | null = null;
    try {
      const path = await this.#path(key);
      const dir = remoteDirname(path);
      const tempPath = remoteJoin(dir, `${TEMP_MARK}${randomUUID()}`);
      temp = tempPath;
      const replay = new ReplayWindow(reader, this.o.resumeWindowBytes);
      let dirReady = false;
      /** Every byte before this offset was acknowledged by the server. */
      let acked = 0;
      await this.#retry(() => this.#use(key, "put", async (ss) => {
        if (!dirReady) {
          await this.#ensureDir(ss, dir, key);
          dirReady = true;
          await this.#sweep(ss, dir);
        }
        // After a broken connection, continue from the last acknowledged byte (rewriting
        // bytes the server may already hold, at their own offsets, is harmless).
        const handle = await ss.call<Buffer>((cb) => ss.sftp.open(tempPath, acked === 0 ? "w" : "r+", { mode: 0o600 }, cb));
        try {
          let pos = acked;
          // Writes in issue order; `acked` advances over the completed prefix only.
          const queue: { end: number; done: boolean; p: Promise<void> }[] = [];
          for (;;) {
            const chunk = await replay.at(pos, WRITE_CHUNK);
            if (chunk === null) break;
            if (ss.closed) throw Object.assign(new Error("connection lost during the upload"), { code: "ECONNRESET" });
            const at = pos;
            const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
            pos += chunk.length;
            const w = { end: pos, done: false, p: Promise.resolve() };
            w.p = ss.call<void>((cb) => ss.sftp.write(handle, bytes, 0, bytes.length, at, cb as () => void)).then(() => {
              w.done = true;
              while (queue[0]?.done) acked = queue.shift()!.end;
            });
            w.p.catch(() => {}); // awaited below; a failure must not go unhandled meanwhile
            queue.push(w);
            if (queue.length >= WRITES_IN_FLIGHT) await queue[0]!.p;
          }
          await Promise.all(queue.map((w) => w.p));
          acked = pos;
          if ((ss.sftp as unknown as { _extensions: Record<string, string> })._extensions["fsync@openssh.com"]) {
            await ss.call<unknown>((cb) => ss.sftp.ext_openssh_fsync(handle, cb));
          }
        } finally {
          await ss.call<void>((cb) => ss.sftp.close(handle, cb as () => void)).catch(() => {});
        }
      }));
      const size = replay.taken;
      await this.#retry(() => this.#use(key, "rename", (ss) => this.#commit(ss, tempPath, path, size, key)));
      return { key, size, modifiedAt: new Date() };
    } catch (e) {
      const err = this.#classify(e, key, "put");
      await reader.cancel(err).catch(() => {});
      if (temp !== null) {
        const t = temp;
        await this.#use(key, "remove", (ss) => ss.call<void>((cb) => ss.sftp.unlink(t, cb as () => void))).catch(() => {});
      }
      throw err;
    }
  }

  /** Checks the temporary file's size, then renames it over the key (file-server.ts). Safe to repeat. */
  #commit(ss: Session, temp: string, path: string, size: number, key: string) {
    const ext = (ss.sftp as unknown as { _extensions: Record<string, string> })._extensions;
    return commitTemp({
      size: async (p) => (await this.#statOrNull(ss, p))?.size ?? null,
      rename: async (from, to) => {
        if (ext["posix-rename@openssh.com"]) {
          await ss.call<void>((cb) => ss.sftp.ext_openssh_rename(from, to, cb as () => void));
        } else {
          // SFTP v3 rename refuses an existing target: remove it first (not atomic; see docs).
          await ss.call<void>((cb) => ss.sftp.unlink(to, cb as () => void)).catch(() => {});
          await ss.call<void>((cb) => ss.sftp.rename(from, to, cb as () => void));
        }
      },
    }, temp, path, size, key, "SFTP");
  }

  /** Removes a crash's stale temporary files from `dir` (file-server.ts), once per directory per destination object. */
  async #sweep(ss: Session, dir: string): Promise<void> {
    if (this.#swept.has(dir)) return;
    this.#swept.add(dir);
    const entries = await ss.call<Array<{ filename: string; attrs: Stats }>>((cb) => ss.sftp.readdir(dir, cb)).catch(() => []);
    await sweepStaleTemps(
      entries.filter((e) => e.attrs.isFile()).map((e) => ({ name: e.filename, modifiedAt: new Date(e.attrs.mtime * 1000) })),
      { remove: (name) => ss.call<void>((cb) => ss.sftp.unlink(remoteJoin(dir, name), cb as () => void)) },
    );
  }

  async get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    const path = await this.#path(key);
    const st = await this.#retry(() => this.#use(key, "get", (ss) => ss.call<Stats>((cb) => ss.sftp.stat(path, cb))));
    if (!st.isFile()) throw this.#classify(Object.assign(new Error("not a file"), { code: FX.NO_SUCH_FILE }), key, "get");
    const start = Math.min(range?.offset ?? 0, st.size);
    let end = range?.length === undefined ? st.size : Math.min(st.size, start + range.length);
    let pos = start;
    let handle: { h: Buffer; ss: Session } | null = null;
    /** Reads ahead of `pos`, in offset order (positional, so independent of each other). */
    let ahead: { at: number; len: number; p: Promise<Buffer> }[] = [];
    let nextAt = pos;
    const forget = () => {
      ahead = [];
      nextAt = pos;
    };
    const close = async () => {
      const h = handle;
      handle = null;
      forget();
      // Through #use, so the connection counts as busy (and keeps the process alive) meanwhile.
      if (h) await this.#use(key, "get", (ss) => (ss === h.ss ? ss.call<void>((cb) => ss.sftp.close(h.h, cb as () => void)) : Promise.resolve())).catch(() => {});
    };
    const readAhead = (ss: Session, h: Buffer) => {
      while (ahead.length < READS_IN_FLIGHT && nextAt < end) {
        const at = nextAt;
        const len = Math.min(READ_CHUNK, end - at);
        nextAt += len;
        const buf = Buffer.allocUnsafe(len);
        const p = ss.call<number>((cb) => ss.sftp.read(h, buf, 0, len, at, (err: Error | undefined, n: number) => cb(err, n))).then((n) => buf.subarray(0, n));
        p.catch(() => {}); // awaited in order; a failure must not go unhandled meanwhile
        ahead.push({ at, len, p });
      }
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          if (pos >= end) {
            await close();
            controller.close();
            return;
          }
          // A broken connection reopens the file and continues at `pos` (through withRetry).
          const chunk = await this.#retry(() => this.#use(key, "get", async (ss) => {
            if (!handle || handle.ss !== ss) {
              forget();
              handle = { h: await ss.call<Buffer>((cb) => ss.sftp.open(path, "r", cb)), ss };
            }
            readAhead(ss, handle.h);
            const next = ahead.shift()!;
            const got = await next.p;
            // A short read (allowed by SFTP) leaves a gap: read again from where it stopped.
            if (got.length < next.len) forget();
            return got;
          }).catch((e) => {
            handle = null;
            forget();
            throw e;
          }));
          if (chunk.length === 0) end = pos; // the object shrank meanwhile
          pos += chunk.length;
          if (ahead.length === 0) nextAt = pos;
          if (chunk.length > 0) controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
          if (pos >= end) {
            await close();
            controller.close();
          }
        } catch (e) {
          await close();
          controller.error(this.#classify(e, key, "get"));
        }
      },
      cancel: () => close(),
    });
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const path = await this.#path(key);
    return this.#retry(() => this.#use(key, "stat", async (ss) => {
      const st = await this.#statOrNull(ss, path);
      if (!st || !st.isFile()) return null;
      return { key, size: st.size, modifiedAt: new Date(st.mtime * 1000) };
    }));
  }

  async list(prefix: string, opts: { cursor?: string | null; limit?: number } = {}): Promise<ListPage> {
    const root = await this.#resolvedRoot();
    return this.#retry(() => this.#use(prefix, "list", (ss) => {
      const readDir = async (dirKey: string): Promise<TreeEntry[] | null> => {
        try {
          const entries = await ss.call<Array<{ filename: string; attrs: Stats }>>((cb) => ss.sftp.readdir(remoteJoin(root, dirKey), cb));
          return entries
            .filter((e) => e.attrs.isFile() || e.attrs.isDirectory())
            .map((e) => ({ name: e.filename, dir: e.attrs.isDirectory(), size: e.attrs.size, modifiedAt: new Date(e.attrs.mtime * 1000) }));
        } catch (e) {
          if ((e as { code?: unknown }).code === FX.NO_SUCH_FILE) return null;
          throw e;
        }
      };
      return listTree(readDir, prefix, { ...opts, hidden: isTempName });
    }));
  }

  async remove(key: string): Promise<void> {
    const path = await this.#path(key);
    await this.#retry(() => this.#use(key, "remove", async (ss) => {
      try {
        await ss.call<void>((cb) => ss.sftp.unlink(path, cb as () => void));
      } catch (e) {
        if ((e as { code?: unknown }).code === FX.NO_SUCH_FILE) return;
        throw e;
      }
    }));
  }

  testConnection() {
    return runConnectionProbe(this, (e) => this.#classify(e, ".cofre-probe", "put"));
  }
}
