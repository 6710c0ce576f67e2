/**
 * FTP and FTPS destinations (basic-ftp): `ftp://user@host:port/path`, `ftps://user@host:port/path`.
 *
 * - FTPS is explicit TLS (AUTH TLS) by default, `?tls=implicit` for legacy implicit-TLS servers.
 *   The server certificate is verified against the system CAs, or against `ca` (a PEM
 *   credential, COFRE_FTPS_CA), or — for self-signed certificates — pinned by its SHA-256
 *   fingerprint (`?cert_fingerprint=AB:CD:…` or COFRE_FTPS_CERT_FINGERPRINT). A pinned
 *   connection is checked before the password is sent; its data connections trust only that
 *   certificate. Certificate checks are never switched off otherwise.
 * - The password comes from requireCredential (COFRE_FTP_PASSWORD / COFRE_FTPS_PASSWORD).
 * - Passive mode only. Connections come from a small pool, one per operation at a time, so
 *   concurrent operations each get their own.
 * - put uploads to a hidden temporary name, then renames it over the key (vsftpd and most
 *   Unix servers rename atomically). After a broken connection the upload continues where
 *   the server's copy ends (SIZE, then REST+STOR, which rewrites identical bytes at their
 *   offsets) using a bounded replay window (`?resume_window_mib=`, default 8).
 * - get is ranged through REST; stat uses SIZE and MDTM; list walks directories (LIST -a or
 *   MLSD) in key order, one page at a time; directories are created as needed (the root
 *   too, but not its parent: a wrong path is DESTINATION_NOT_FOUND). Empty
 *   directories are left in place after remove (removing them would race concurrent puts).
 */
import { randomUUID } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import type { ConnectionOptions, PeerCertificate, TLSSocket } from "node:tls";
import { Client, FTPError, type FileInfo } from "basic-ftp";
import { CofreError, describeError } from "../errors.ts";
import { Secret } from "../redacted.ts";
import { commitTemp, NETWORK_ERRNOS, pemText, sweepStaleTemps } from "./file-server.ts";
import { assertValidKey, isTempName, TEMP_MARK } from "./keys.ts";
import { guardHost } from "./network-guard.ts";
import { findCredential, ioTimeoutOf, requireCredential, type NetworkPolicy, type OpenContext } from "./open-context.ts";
import { runConnectionProbe } from "./probe.ts";
import { displayRemoteSpec, parseRemoteSpec, remoteDirname, remoteJoin, type RemoteSpec } from "./remote-spec.ts";
import { ReplayWindow } from "./replay-window.ts";
import { resumableRead, type ReadSource } from "./resumable-read.ts";
import { withRetry, type RetryPolicy } from "./retry.ts";
import { listTree, type TreeEntry } from "./tree-list.ts";
import type { ByteRange, Capabilities, Destination, ListPage, ObjectInfo } from "./contract.ts";

const POOL_MAX_IDLE = 4;
const POOL_IDLE_MS = 15_000;
const EMPTY_TLS_UPLOAD_GRACE_MS = 100;
const SHOWN_PARAMS = ["tls", "cert_fingerprint", "resume_window_mib", "profile"] as const;

type Op = "connect" | "get" | "stat" | "put" | "mkdir" | "rename" | "remove" | "list";

export interface FtpOptions {
  spec: RemoteSpec;
  kind: "ftp" | "ftps";
  displaySpec: string;
  /** Prints as **redacted**; revealed only to log in. */
  password: Secret;
  tls: false | "explicit" | "implicit";
  /** Upper-case hex, no separators. */
  certFingerprint: string | null;
  ca: string | null;
  /** Idle limit of the control and data connections (OpenContext.ioTimeoutMs). */
  timeoutMs: number;
  resumeWindowBytes: number;
  /** The SSRF policy (not the whole context: that holds raw credentials). */
  network: NetworkPolicy;
  retry?: Partial<RetryPolicy>;
  /** Connect here instead of spec.host:port (tests: a TCP fault proxy). The control connection only. */
  via?: { host: string; port: number };
}

/** Normalises a certificate fingerprint: hex, any case, with or without colons or "sha256:". */
export function normalizeCertFingerprint(v: string): string {
  return v.replace(/^sha-?256[:=/]?/i, "").replace(/[^0-9a-f]/gi, "").toUpperCase();
}

export async function open(url: URL, ctx: OpenContext, extra: Pick<FtpOptions, "retry" | "via"> = {}): Promise<FtpDestination> {
  const kind = url.protocol === "ftps:" ? "ftps" : "ftp";
  const spec = parseRemoteSpec(url, kind === "ftps" && url.searchParams.get("tls") === "implicit" ? 990 : 21, `COFRE_${kind.toUpperCase()}_PASSWORD`);
  const password = requireCredential(ctx, kind, url, "password");
  const tlsParam = url.searchParams.get("tls");
  if (tlsParam !== null && tlsParam !== "implicit" && tlsParam !== "explicit") {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": `tls=${tlsParam} não é válido: use tls=explicit (padrão) ou tls=implicit.`,
      en: `tls=${tlsParam} is not valid: use tls=explicit (the default) or tls=implicit.`,
    }, { details: { tls: tlsParam } });
  }
  const fp = url.searchParams.get("cert_fingerprint") ?? findCredential(ctx, kind, url, "cert_fingerprint");
  if (kind === "ftp" && fp) {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": "cert_fingerprint só vale para ftps://. Use ftps:// para um servidor com TLS.",
      en: "cert_fingerprint only applies to ftps://. Use ftps:// for a server with TLS.",
    });
  }
  const ca = kind === "ftps" ? findCredential(ctx, kind, url, "ca") : undefined;
  const windowMib = Number(url.searchParams.get("resume_window_mib") ?? 8);
  return new FtpDestination({
    spec,
    kind,
    displaySpec: displayRemoteSpec(url, SHOWN_PARAMS),
    password: new Secret(password),
    tls: kind === "ftp" ? false : tlsParam === "implicit" ? "implicit" : "explicit",
    certFingerprint: fp ? normalizeCertFingerprint(fp) : null,
    ca: ca ? pemText(ca) : null,
    timeoutMs: ioTimeoutOf(ctx),
    resumeWindowBytes: (Number.isFinite(windowMib) && windowMib > 0 ? windowMib : 8) * 1024 * 1024,
    network: ctx.network,
    ...extra,
  });
}

// ---------------------------------------------------------------------------------------
// Error classification

function ftpCode(e: unknown): number | null {
  return e instanceof FTPError ? e.code : null;
}

function isTlsError(e: unknown): boolean {
  const code = String((e as { code?: unknown }).code ?? "");
  const msg = describeError(e);
  return code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_") || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH/.test(code) ||
    /certificate|ssl3?_|tls alert|wrong version number|handshake failure/i.test(msg);
}

/** Maps anything basic-ftp or the socket throws to the destination error family. */
export function classifyFtpError(e: unknown, where: { kind: string; key: string; op: Op; display: string }): CofreError {
  if (e instanceof CofreError) return e;
  const code = ftpCode(e);
  const serverSaid = describeError(e).slice(0, 300);
  const details: Record<string, unknown> = { kind: where.kind, key: where.key, op: where.op, ftpCode: code ?? undefined, server: serverSaid };
  const mk = (c: ConstructorParameters<typeof CofreError>[0], pt: string, en: string) => new CofreError(c, { "pt-BR": pt, en }, { details, cause: e });
  if (code !== null) {
    if (code === 530 || code === 331 || code === 332) {
      return mk("DESTINATION_AUTH",
        `O servidor ${where.display} recusou o usuário ou a senha (${code}). Confira a senha salva (COFRE_${where.kind.toUpperCase()}_PASSWORD) e se a conta está ativa.`,
        `Server ${where.display} rejected the user or password (${code}). Check the saved password (COFRE_${where.kind.toUpperCase()}_PASSWORD) and that the account is active.`);
    }
    if (code === 552 || code === 452) {
      return mk("DESTINATION_QUOTA",
        `O servidor FTP está sem espaço ou a cota acabou (${code}). Libere espaço, reduza a retenção ou amplie a cota.`,
        `The FTP server is out of space or quota (${code}). Free space, shorten retention or raise the quota.`);
    }
    if (code === 550 && (where.op === "get" || where.op === "stat")) {
      return mk("DESTINATION_NOT_FOUND",
        `O objeto ${where.key} não existe em ${where.display}.`,
        `Object ${where.key} does not exist at ${where.display}.`);
    }
    if (code === 550 || code === 553 || code === 532) {
      return mk("DESTINATION_PERMISSION",
        `O servidor FTP negou a operação em ${where.key || "/"} (${code}: ${serverSaid}). Confira se o caminho existe e se o usuário pode gravar, ler e apagar nele.`,
        `The FTP server refused the operation on ${where.key || "/"} (${code}: ${serverSaid}). Check that the path exists and the user may write, read and delete there.`);
    }
    if (code === 425 || code === 426) {
      return mk("DESTINATION_NETWORK",
        `A conexão de dados com o servidor FTP falhou (${code}). Confira o firewall e as portas passivas do servidor.`,
        `The data connection to the FTP server failed (${code}). Check the firewall and the server's passive ports.`);
    }
    if (code >= 400 && code < 500) {
      return mk("DESTINATION_UNAVAILABLE",
        `O servidor FTP está indisponível no momento (${code}: ${serverSaid}). Tente novamente mais tarde.`,
        `The FTP server is unavailable right now (${code}: ${serverSaid}). Try again later.`);
    }
    if (where.op === "connect" && (code === 500 || code === 502 || code === 504 || code === 534)) {
      return mk("DESTINATION_TLS",
        `O servidor ${where.display} não aceitou TLS (${code}). Use ftp:// só se a rede for confiável, ou habilite FTPS no servidor.`,
        `Server ${where.display} did not accept TLS (${code}). Use ftp:// only on a trusted network, or enable FTPS on the server.`);
    }
    return mk("DESTINATION_IO",
      `O servidor FTP recusou a operação (${code}: ${serverSaid}).`,
      `The FTP server refused the operation (${code}: ${serverSaid}).`);
  }
  // A TLS record-layer failure on an established connection is a broken connection (e.g. a
  // dying server session writing a plaintext "500 OOPS" into the TLS stream), not distrust.
  const recordLayer = /WRONG_VERSION_NUMBER|DECRYPTION_FAILED|BAD_RECORD_MAC|UNEXPECTED_EOF|SSLV3_ALERT|TLSV1_ALERT_DECODE/.test(String((e as { code?: unknown }).code ?? ""));
  if (isTlsError(e) && !(recordLayer && where.op !== "connect")) {
    return mk("DESTINATION_TLS",
      `Falha de TLS com ${where.display}: ${serverSaid}. Se o certificado for autoassinado, fixe a impressão digital SHA-256 (cert_fingerprint) ou informe a CA.`,
      `TLS failure with ${where.display}: ${serverSaid}. For a self-signed certificate, pin its SHA-256 fingerprint (cert_fingerprint) or give the CA.`);
  }
  const errno = String((e as { code?: unknown }).code ?? "");
  if (NETWORK_ERRNOS.has(errno) || recordLayer || /timeout|closed|FIN packet|socket|connect/i.test(serverSaid)) {
    return mk("DESTINATION_NETWORK",
      `Falha de rede com ${where.display} (${errno || serverSaid}). Confira o endereço, a porta e o firewall.`,
      `Network failure with ${where.display} (${errno || serverSaid}). Check the host, port and firewall.`);
  }
  return mk("DESTINATION_IO", `Erro no destino FTP: ${serverSaid}`, `FTP destination error: ${serverSaid}`);
}

// ---------------------------------------------------------------------------------------

/** A client that can send REST before STOR (basic-ftp only does so for downloads). */
class FtpClient extends Client {
  /** Stores `source` at `path`, writing from byte `offset` of the file (0: from the start, truncating). */
  async uploadAt(source: Readable, path: string, offset: number) {
    if (offset === 0) return this.uploadFrom(source, path);
    const before = this.prepareTransfer;
    const wrapped = async (ftp: Parameters<typeof before>[0]) => {
      const res = await before(ftp);
      await this.send(`REST ${offset}`);
      return res;
    };
    this.prepareTransfer = wrapped;
    try {
      return await this.uploadFrom(source, path);
    } finally {
      if (this.prepareTransfer === wrapped) this.prepareTransfer = before;
    }
  }
}

export class FtpDestination implements Destination {
  readonly kind: "ftp" | "ftps";
  readonly displaySpec: string;
  readonly capabilities: Capabilities = { rangeReads: true, resumableUploads: true, serverChecksums: [] };
  #idle: { client: FtpClient; timer: ReturnType<typeof setTimeout> }[] = [];
  /** The absolute root, once the login directory is known. */
  #root: string | null;
  /** Directories already swept of stale temporary files by this object. */
  readonly #swept = new Set<string>();

  constructor(private readonly o: FtpOptions) {
    this.kind = o.kind;
    this.displaySpec = o.displaySpec;
    this.#root = o.spec.loginRelative ? null : o.spec.root;
  }

  #classify(e: unknown, key: string, op: Op) {
    return classifyFtpError(e, { kind: this.kind, key, op, display: this.displaySpec });
  }

  #tlsOptions(host: string): ConnectionOptions {
    const o: ConnectionOptions = { servername: /^[\d.:]+$/.test(host) ? undefined : host, minVersion: "TLSv1.2" };
    if (this.o.ca) return { ...o, ca: this.o.ca };
    // Pinned: the chain is checked against the fingerprint right after the handshake (below).
    if (this.o.certFingerprint) return { ...o, rejectUnauthorized: false };
    return o;
  }

  /** Throws DESTINATION_TLS unless the control connection's certificate is the pinned one. */
  #checkPin(client: FtpClient) {
    const want = this.o.certFingerprint;
    if (!want) return;
    const socket = client.ftp.socket as TLSSocket;
    const cert: PeerCertificate | undefined = socket.getPeerCertificate?.();
    const got = cert?.fingerprint256 ? normalizeCertFingerprint(cert.fingerprint256) : "";
    if (got !== want) {
      const shown = got.replace(/(..)(?=.)/g, "$1:");
      throw new CofreError("DESTINATION_TLS", {
        "pt-BR": `O certificado de ${this.displaySpec} não é o esperado. Impressão digital SHA-256 recebida: ${shown || "nenhuma"}. Confira com o administrador do servidor antes de atualizar cert_fingerprint.`,
        en: `The certificate of ${this.displaySpec} is not the expected one. SHA-256 fingerprint received: ${shown || "none"}. Check it with the server's administrator before updating cert_fingerprint.`,
      }, { details: { kind: this.kind, received: shown, expected: want.replace(/(..)(?=.)/g, "$1:") } });
    }
    // Data connections: a resumed TLS session carries the control connection's (unverified)
    // chain result, so OpenSSL cannot check them. A resumed one is the pinned server (only it
    // holds the session's secret); any other is checked against the pin as soon as its
    // handshake completes, before basic-ftp writes or reads a byte (it waits for the same
    // event, registered later).
    const ftp = client.ftp;
    const proto = Object.getPrototypeOf(ftp) as object;
    const accessor = Object.getOwnPropertyDescriptor(proto, "dataSocket")!;
    Object.defineProperty(ftp, "dataSocket", {
      configurable: true,
      get() {
        return accessor.get!.call(ftp);
      },
      set: (socket: unknown) => {
        accessor.set!.call(ftp, socket);
        const tls = socket as TLSSocket | undefined;
        if (tls && typeof tls.getPeerCertificate === "function") {
          tls.once("secureConnect", () => {
            if (tls.isSessionReused()) return;
            const fp = normalizeCertFingerprint(tls.getPeerCertificate()?.fingerprint256 ?? "");
            if (fp !== want) tls.destroy(Object.assign(new Error("certificate fingerprint mismatch on the data connection"), { code: "ERR_TLS_CERT_PIN" }));
          });
        }
      },
    });
  }

  async #connect(): Promise<FtpClient> {
    const { spec } = this.o;
    await guardHost(spec.host, this.o.network);
    const host = this.o.via?.host ?? spec.host;
    const port = this.o.via?.port ?? spec.port;
    const client = new FtpClient(this.o.timeoutMs, { allowSeparateTransferHost: false });
    try {
      const tlsOpts = this.#tlsOptions(spec.host);
      if (this.o.tls === "implicit") {
        await client.connectImplicitTLS(host, port, tlsOpts);
      } else {
        await client.connect(host, port);
        if (this.o.tls === "explicit") await client.useTLS(tlsOpts);
      }
      if (this.o.tls) this.#checkPin(client);
      await client.login(spec.user, this.o.password.reveal());
      await client.useDefaultSettings();
      if (this.#root === null) {
        const home = await client.pwd();
        this.#root = remoteJoin(home, spec.root);
      }
      return client;
    } catch (e) {
      client.close();
      throw this.#classify(e, "", "connect");
    }
  }

  async #acquire(): Promise<FtpClient> {
    for (let slot = this.#idle.pop(); slot; slot = this.#idle.pop()) {
      clearTimeout(slot.timer);
      if (!slot.client.closed) {
        slot.client.ftp.socket.ref();
        return slot.client;
      }
    }
    return this.#connect();
  }

  /** Returns a healthy client to the pool; an idle pooled socket never keeps the process alive. */
  #release(client: FtpClient) {
    if (client.closed || this.#idle.length >= POOL_MAX_IDLE) {
      client.close();
      return;
    }
    client.ftp.socket.unref();
    const timer = setTimeout(() => {
      this.#idle = this.#idle.filter((s) => s.client !== client);
      client.close();
    }, POOL_IDLE_MS);
    (timer as { unref?: () => void }).unref?.();
    this.#idle.push({ client, timer });
  }

  /** Runs `fn` on a pooled connection; a server's reply error keeps it, anything else drops it. */
  async #with<T>(key: string, op: Op, fn: (c: FtpClient) => Promise<T>): Promise<T> {
    const client = await this.#acquire();
    try {
      const r = await fn(client);
      this.#release(client);
      return r;
    } catch (e) {
      if (e instanceof FTPError && !client.closed) this.#release(client);
      else client.close();
      throw this.#classify(e, key, op);
    }
  }

  #retry<T>(op: () => Promise<T>): Promise<T> {
    return withRetry(op, { policy: this.o.retry });
  }

  async #resolvedRoot(): Promise<string> {
    if (this.#root === null) await this.#with("", "connect", async () => {});
    return this.#root!;
  }

  async #path(key: string): Promise<string> {
    assertValidKey(key);
    return remoteJoin(await this.#resolvedRoot(), key);
  }

  /**
   * Creates `dir` and its missing parents up to the destination's root; the root itself is
   * created when missing, but its parent must exist (else DESTINATION_NOT_FOUND: the
   * configured path is wrong). A directory that cannot be created is DESTINATION_PERMISSION.
   */
  async #ensureDir(client: FtpClient, dir: string, key: string): Promise<void> {
    const exists = async (d: string) => {
      try {
        await client.cd(d);
        return true;
      } catch (e) {
        if (ftpCode(e) === 550) return false;
        throw e;
      }
    };
    try {
      if (await exists(dir)) return;
      const root = this.#root!;
      if (dir === root) {
        if (!(await exists(remoteDirname(root) || "."))) {
          throw new CofreError("DESTINATION_NOT_FOUND", {
            "pt-BR": `A pasta que contém o destino (${remoteDirname(root) || "."}) não existe em ${this.displaySpec}. Confira o caminho configurado.`,
            en: `The folder holding the destination (${remoteDirname(root) || "."}) does not exist at ${this.displaySpec}. Check the configured path.`,
          }, { details: { kind: this.kind, path: remoteDirname(root) } });
        }
      } else {
        await this.#ensureDir(client, remoteDirname(dir), key);
      }
      try {
        await client.send(`MKD ${dir}`);
      } catch (e) {
        // A concurrent put may have created it meanwhile.
        if (!(ftpCode(e) === 550 && (await exists(dir)))) throw e;
      }
    } catch (e) {
      throw this.#classify(e, key, "mkdir");
    }
  }


  async #remoteSize(client: FtpClient, path: string): Promise<number | null> {
    try {
      return await client.size(path);
    } catch (e) {
      if (ftpCode(e) === 550) return null;
      throw e;
    }
  }

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<ObjectInfo> {
    const reader = body.getReader();
    let tempPath: string | null = null;
    try {
      const path = await this.#path(key);
      const dir = remoteDirname(path);
      const temp = remoteJoin(dir, `${TEMP_MARK}${randomUUID()}`);
      tempPath = temp;
      const replay = new ReplayWindow(reader, this.o.resumeWindowBytes);
      let dirReady = false;
      await this.#retry(async () => {
        const client = await this.#acquire();
        let source: Readable | null = null;
        try {
          let offset = 0;
          if (!dirReady) {
            await this.#ensureDir(client, dir, key);
            dirReady = true;
            await this.#sweep(client, dir);
          } else {
            // An earlier attempt broke: continue where the server's copy ends.
            offset = (await this.#remoteSize(client, temp)) ?? 0;
          }
          if (offset > replay.taken) offset = replay.taken;
          let pos = offset;
          const tlsData = this.o.tls !== false;
          source = new Readable({
            highWaterMark: 256 * 1024,
            read() {
              replay.at(pos).then((chunk) => {
                if (chunk === null && pos === 0 && tlsData) {
                  // vsftpd answers a TLS data connection that closes right after its handshake
                  // with a decode_error alert; an empty upload therefore ends a moment later.
                  setTimeout(() => this.push(null), EMPTY_TLS_UPLOAD_GRACE_MS);
                  return;
                }
                if (chunk === null) return void this.push(null);
                pos += chunk.length;
                this.push(chunk);
              }, (e) => this.destroy(e as Error));
            },
          });
          await client.uploadAt(source, temp, offset);
          this.#release(client);
        } catch (e) {
          source?.destroy();
          if (e instanceof FTPError && !client.closed) this.#release(client);
          else client.close();
          throw this.#classify(e, key, "put");
        }
      });
      const size = replay.taken;
      await this.#retry(() => this.#commit(temp, path, size, key));
      return { key, size, modifiedAt: new Date() };
    } catch (e) {
      const err = e instanceof CofreError ? e : this.#classify(e, key, "put");
      await reader.cancel(err).catch(() => {});
      if (tempPath !== null) await this.#removeTemp(tempPath, key);
      throw err;
    }
  }

  /** Checks the temporary file's size, then renames it over the key. Safe to repeat. */
  #commit(temp: string, path: string, size: number, key: string) {
    return this.#with(key, "rename", (c) =>
      commitTemp({ size: (p) => this.#remoteSize(c, p), rename: (from, to) => c.rename(from, to).then(() => {}) }, temp, path, size, key, "FTP"));
  }

  /**
   * Removes a crash's stale temporary files from `dir` (file-server.ts), once per directory
   * per destination object, on the connection the put is about to use.
   */
  async #sweep(client: FtpClient, dir: string): Promise<void> {
    if (this.#swept.has(dir)) return;
    this.#swept.add(dir);
    const entries = await client.list(dir).catch(() => [] as FileInfo[]);
    await sweepStaleTemps(entries.filter((f) => f.isFile), {
      modifiedAt: (name) => client.lastMod(remoteJoin(dir, name)),
      remove: (name) => client.remove(remoteJoin(dir, name)).then(() => {}),
    });
  }

  /** Best effort after a failed put (the server may be unreachable; the name is hidden from list anyway). */
  async #removeTemp(temp: string, key: string): Promise<void> {
    await this.#with(key, "remove", (c) => c.remove(temp, true)).catch(() => {});
  }

  async get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    const path = await this.#path(key);
    const size = await this.#retry(() => this.#with(key, "get", (c) => c.size(path)));
    const start = Math.min(range?.offset ?? 0, size);
    const end = range?.length === undefined ? size : Math.min(size, start + range.length);
    // Each transfer is REST <at> + RETR on a pooled connection (a fresh login costs ~50 ms
    // per small get); a broken one is reopened where it stopped (resumable-read.ts).
    const open = async (at: number): Promise<ReadSource> => {
      const c = await this.#acquire();
      const sink = new PassThrough({ highWaterMark: 512 * 1024 });
      const transfer = c.downloadTo(sink, path, at).catch((e) => {
        sink.destroy(this.#classify(e, key, "get"));
      });
      const iter: AsyncIterator<Buffer> = sink[Symbol.asyncIterator]();
      return {
        read: async () => {
          const r = await iter.next();
          return r.done ? null : new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.length);
        },
        close: async (completed) => {
          if (completed && end === size && !c.closed) {
            // The whole tail was read: let the transfer finish and keep the connection.
            await transfer;
            if (!c.closed) this.#release(c);
            return;
          }
          c.close();
        },
      };
    };
    return resumableRead({
      start,
      end,
      exactEnd: true,
      open,
      classify: (e) => this.#classify(e, key, "get"),
      endedEarly: (pos, stop) => new CofreError("DESTINATION_NETWORK", {
        "pt-BR": `A leitura de ${key} em ${this.displaySpec} terminou antes do fim (${pos} de ${stop} bytes). Confira o firewall e as portas passivas do servidor.`,
        en: `Reading ${key} from ${this.displaySpec} ended early (${pos} of ${stop} bytes). Check the firewall and the server's passive ports.`,
      }, { details: { kind: this.kind, key, pos, end: stop } }),
      policy: this.o.retry,
    });
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const path = await this.#path(key);
    return this.#retry(() => this.#with(key, "stat", async (c) => {
      const size = await this.#remoteSize(c, path);
      if (size === null) return null;
      const modifiedAt = await c.lastMod(path).catch(() => null);
      return { key, size, modifiedAt };
    }));
  }

  async list(prefix: string, opts: { cursor?: string | null; limit?: number } = {}): Promise<ListPage> {
    const root = await this.#resolvedRoot();
    return this.#retry(() => this.#with(prefix, "list", (c) => {
      const readDir = async (dirKey: string): Promise<TreeEntry[] | null> => {
        try {
          await c.cd(remoteJoin(root, dirKey));
        } catch (e) {
          if (ftpCode(e) === 550) return null;
          throw e;
        }
        const entries: FileInfo[] = await c.list();
        return entries
          .filter((f) => f.isFile || f.isDirectory)
          .map((f) => ({ name: f.name, dir: f.isDirectory, size: f.size, modifiedAt: f.modifiedAt ?? null }));
      };
      return listTree(readDir, prefix, { ...opts, hidden: isTempName });
    }));
  }

  async remove(key: string): Promise<void> {
    const path = await this.#path(key);
    await this.#retry(() => this.#with(key, "remove", async (c) => {
      try {
        await c.remove(path);
      } catch (e) {
        // 550 also answers a missing file, which is not an error here.
        if (ftpCode(e) === 550 && (await this.#remoteSize(c, path)) === null) return;
        throw e;
      }
    }));
  }

  testConnection() {
    return runConnectionProbe(this, (e) => this.#classify(e, ".cofre-probe", "put"));
  }
}
