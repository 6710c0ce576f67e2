/**
 * What the FTP and SFTP adapters share (both store files on a login server, under a
 * temporary name first): the socket errnos that mean a network failure, PEM text given on
 * one line, committing a temporary file over its key, and sweeping a crash's stale
 * temporary files (keys.ts: TEMP_MARK, STALE_TEMP_MS).
 */
import { CofreError } from "../errors.ts";
import { isStaleTemp, isTempName } from "./keys.ts";

/** Socket/DNS errnos (Node's `code`) that mean the network failed, not the server. */
export const NETWORK_ERRNOS: ReadonlySet<string> = new Set([
  "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND",
  "EAI_AGAIN", "ECONNABORTED", "ENETDOWN", "EHOSTDOWN",
]);

/** PEM text (a key, a CA) from a credential: `\n` escapes accepted so it fits one line. */
export function pemText(v: string): string {
  return v.includes("\\n") ? v.replaceAll("\\n", "\n") : v;
}

/** The few file operations a commit needs, on one server session. */
export interface CommitIo {
  /** The size of `path`, or null when it does not exist. */
  size(path: string): Promise<number | null>;
  /** Renames `from` over `to` (replacing it). */
  rename(from: string, to: string): Promise<void>;
}

/**
 * Checks the temporary file holds exactly `size` bytes, then renames it over the key. Safe
 * to repeat after a lost reply: a missing temporary file with `size` bytes under the key
 * means the rename already happened. `label` names the server kind in messages ("FTP").
 */
export async function commitTemp(io: CommitIo, temp: string, path: string, size: number, key: string, label: string): Promise<void> {
  const got = await io.size(temp);
  if (got === null) {
    if ((await io.size(path)) === size) return;
    throw new CofreError("DESTINATION_IO", {
      "pt-BR": `O arquivo temporário do envio de ${key} sumiu do servidor ${label}. Tente o backup novamente.`,
      en: `The temporary upload file of ${key} vanished from the ${label} server. Run the backup again.`,
    }, { details: { key } });
  }
  if (got !== size) {
    throw new CofreError("DESTINATION_IO", {
      "pt-BR": `O servidor ${label} guardou ${got} bytes de ${key}, mas foram enviados ${size}. Tente o backup novamente.`,
      en: `The ${label} server stored ${got} bytes of ${key}, but ${size} were sent. Run the backup again.`,
    }, { details: { key, stored: got, sent: size } });
  }
  await io.rename(temp, path);
}

/**
 * Removes the stale temporary files among a directory's `entries` (a crashed put's; live
 * puts keep theirs fresh). `modifiedAt` may be looked up lazily (FTP's MDTM) and is asked
 * only for temporary names. Best effort: a failure never fails the put that swept.
 */
export async function sweepStaleTemps(
  entries: Array<{ name: string; modifiedAt?: Date | null }>,
  ops: { modifiedAt?(name: string): Promise<Date | null>; remove(name: string): Promise<void> },
  now = Date.now(),
): Promise<string[]> {
  const removed: string[] = [];
  for (const e of entries) {
    if (!isTempName(e.name)) continue;
    try {
      const at = e.modifiedAt ?? (ops.modifiedAt ? await ops.modifiedAt(e.name) : null);
      if (!isStaleTemp(e.name, at ?? null, now)) continue;
      await ops.remove(e.name);
      removed.push(e.name);
    } catch {
      /* left for the next sweep */
    }
  }
  return removed;
}
