import net from "node:net";
import postgres from "postgres";
import { CofreError, describeError } from "../../errors.ts";
import { redactUrls } from "../../redacted.ts";

/** `host:port/database` of a connection URL — how a database is shown; never credentials. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}`;
  } catch {
    return "(invalid database URL)";
  }
}

interface SocketFactoryOptions {
  host: string[];
  port: number[];
  /** Unix socket path, set by postgres.js when the host is a directory. */
  path?: string | false;
}

/**
 * A TCP socket with Nagle's algorithm off. postgres.js 3.4.9 leaves Nagle on, so the small
 * CopyDone after the last CopyData waits for the server's delayed ACK: ~80 ms per COPY on
 * loopback (0.9 ms without). postgres.js accepts a `socket` factory (its README, "Custom
 * socket"; absent from its typings). TLS, if the URL asks for it, is negotiated on top.
 */
function noDelaySocket(o: SocketFactoryOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = o.path ? net.connect(o.path) : net.connect(o.port[0] ?? 5432, o.host[0] ?? "localhost");
    s.setNoDelay(true);
    s.once("error", reject);
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
  });
}

/** One connection for a backup, restore or seed; notices are dropped, the app name says who we are. */
export function connect(url: string, applicationName = "cofre"): postgres.Sql {
  const options: postgres.Options<{}> = {
    max: 1,
    onnotice: () => {},
    connection: { application_name: applicationName },
    // COPY and DDL are sent as simple statements; nothing benefits from prepared statements.
    prepare: false,
  };
  try {
    return postgres(url, Object.assign(options, { socket: noDelaySocket }));
  } catch (e) {
    throw connectionError(url, e);
  }
}

/** A driver or network failure reaching the database, as a CofreError that names no secret. */
export function connectionError(url: string, e: unknown): CofreError {
  const db = describeDatabase(url);
  const why = redactUrls(describeError(e));
  return new CofreError("SOURCE_CONNECTION", {
    "pt-BR": `Não foi possível conectar ao banco ${db}: ${why}. Confira endereço, porta, usuário e senha.`,
    en: `Could not connect to database ${db}: ${why}. Check host, port, user and password.`,
  }, { details: { database: db } });
}

/** True for errors raised while connecting (as opposed to a failing statement). */
export function isConnectionFailure(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? "";
  return ["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "CONNECT_TIMEOUT", "28P01", "28000", "3D000"].includes(code);
}
