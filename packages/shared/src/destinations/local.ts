/**
 * Local filesystem destination (`file:///var/backups/orthoplus`). Directories 0700, files
 * 0600 (the seed's "Permissões: 700"); a put writes a hidden temporary file, fsyncs it and
 * renames it into place, then fsyncs the directory — so a crash never leaves a partial
 * object under its final name. A crash's temporary file is never listed, and the first put
 * into a directory (per destination object) removes the stale ones there (keys.ts). list
 * walks the tree in key order and stats only the page's files (tree-list.ts).
 */
import { constants as fsc } from "node:fs";
import { mkdir, open as openFile, readdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import { CofreError, describeError } from "../errors.ts";
import { assertValidKey, isStaleTemp, isTempName, TEMP_MARK } from "./keys.ts";
import { runConnectionProbe } from "./probe.ts";
import { listTree, type TreeEntry } from "./tree-list.ts";
import type { ByteRange, Capabilities, Destination, ListPage, ObjectInfo } from "./contract.ts";
import type { OpenContext } from "./open-context.ts";

const READ_CHUNK = 256 * 1024;

/** Maps a filesystem error to the destination error family. */
export function classifyFsError(e: unknown, key: string): CofreError {
  const code = (e as { code?: string }).code;
  const detail = { key, errno: code };
  if (code === "ENOENT") {
    return new CofreError("DESTINATION_NOT_FOUND", {
      "pt-BR": `O objeto ${key} não existe no destino local.`,
      en: `Object ${key} does not exist at the local destination.`,
    }, { details: detail, cause: e });
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new CofreError("DESTINATION_PERMISSION", {
      "pt-BR": `Sem permissão para gravar ou ler no diretório de backup (${code}). Verifique o dono e as permissões (700) do diretório.`,
      en: `No permission to read or write the backup directory (${code}). Check the directory's owner and mode (700).`,
    }, { details: detail, cause: e });
  }
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new CofreError("DESTINATION_QUOTA", {
      "pt-BR": "Sem espaço no disco de backup. Libere espaço, reduza a retenção ou use backups incrementais e um destino na nuvem.",
      en: "The backup disk is full. Free space, shorten retention, or use incremental backups and a cloud destination.",
    }, { details: detail, cause: e });
  }
  return new CofreError("DESTINATION_IO", {
    "pt-BR": `Erro de E/S no destino local: ${describeError(e)}`,
    en: `I/O error at the local destination: ${describeError(e)}`,
  }, { details: detail, cause: e });
}

/** Opens `file:///absolute/path` (no host, no query: nothing else configures a directory). */
export function open(url: URL, _ctx: OpenContext): Promise<LocalDestination> {
  const spec = `file://${url.host}${url.pathname}${url.search}`;
  const invalid = (pt: string, en: string) =>
    new CofreError("INVALID_INPUT", {
      "pt-BR": `Destino inválido: ${spec}. ${pt}`,
      en: `Invalid destination: ${spec}. ${en}`,
    }, { details: { spec } });
  if (url.host !== "" && url.host !== "localhost") {
    return Promise.reject(invalid("URLs file:// nomeiam um caminho local: file:///var/backups/orthoplus",
      "file:// URLs name a local path: file:///var/backups/orthoplus"));
  }
  if (url.search !== "" || url.username !== "") {
    return Promise.reject(invalid("Um destino local não tem usuário nem parâmetros.", "A local destination takes no user or parameters."));
  }
  return Promise.resolve(new LocalDestination(fileURLToPath(url)));
}

export class LocalDestination implements Destination {
  readonly kind = "local";
  readonly capabilities: Capabilities = { rangeReads: true, resumableUploads: false, serverChecksums: [] };

  /** Directories already swept of stale temporary files by this object. */
  readonly #swept = new Set<string>();

  constructor(readonly root: string) {}

  get displaySpec() {
    return `file://${this.root}`;
  }

  #path(key: string) {
    assertValidKey(key);
    return join(this.root, ...key.split("/"));
  }

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<ObjectInfo> {
    const path = this.#path(key);
    const dir = dirname(path);
    const temp = join(dir, `${TEMP_MARK}${randomUUID()}`);
    let size = 0;
    const reader = body.getReader();
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await this.#sweep(dir);
      const fh = await openFile(temp, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, 0o600);
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          let off = 0;
          while (off < value.length) {
            const { bytesWritten } = await fh.write(value, off, value.length - off);
            off += bytesWritten;
          }
          size += value.length;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(temp, path);
      await syncDir(dir);
    } catch (e) {
      const err = e instanceof CofreError ? e : classifyFsError(e, key);
      await reader.cancel(err).catch(() => {});
      await rm(temp, { force: true }).catch(() => {});
      throw err;
    }
    return { key, size, modifiedAt: new Date() };
  }

  /** Removes the stale temporary files of `dir` (see keys.ts), once per directory; best effort. */
  async #sweep(dir: string): Promise<void> {
    if (this.#swept.has(dir)) return;
    this.#swept.add(dir);
    try {
      for (const d of await readdir(dir, { withFileTypes: true })) {
        if (!d.isFile() || !isTempName(d.name)) continue;
        const p = join(dir, d.name);
        const s = await stat(p).catch(() => null);
        if (s && isStaleTemp(d.name, s.mtime)) await rm(p, { force: true }).catch(() => {});
      }
    } catch {
      /* a sweep never fails a put */
    }
  }

  async get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    const path = this.#path(key);
    let fh: Awaited<ReturnType<typeof openFile>>;
    try {
      fh = await openFile(path, "r");
    } catch (e) {
      throw classifyFsError(e, key);
    }
    let pos = range?.offset ?? 0;
    const end = range?.length === undefined ? Infinity : pos + range.length;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const want = Math.min(READ_CHUNK, end - pos);
          if (want <= 0) {
            await fh.close();
            controller.close();
            return;
          }
          const buf = new Uint8Array(want);
          const { bytesRead } = await fh.read(buf, 0, want, pos);
          if (bytesRead === 0) {
            await fh.close();
            controller.close();
            return;
          }
          pos += bytesRead;
          controller.enqueue(buf.subarray(0, bytesRead));
        } catch (e) {
          await fh.close().catch(() => {});
          controller.error(classifyFsError(e, key));
        }
      },
      async cancel() {
        await fh.close().catch(() => {});
      },
    });
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(this.#path(key));
      return s.isFile() ? { key, size: s.size, modifiedAt: s.mtime } : null;
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return null;
      throw classifyFsError(e, key);
    }
  }

  async list(prefix: string, opts: { cursor?: string | null; limit?: number } = {}): Promise<ListPage> {
    const readDir = async (dirKey: string): Promise<TreeEntry[] | null> => {
      try {
        const entries = await readdir(dirKey ? join(this.root, ...dirKey.split("/")) : this.root, { withFileTypes: true });
        return entries
          .filter((d) => d.isFile() || d.isDirectory())
          .map((d) => ({ name: d.name, dir: d.isDirectory(), size: 0, modifiedAt: null }));
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "ENOENT" || code === "ENOTDIR") return null;
        throw e;
      }
    };
    try {
      return await listTree(readDir, prefix, {
        ...opts,
        hidden: isTempName,
        describe: async (key) => {
          const info = await this.stat(key);
          return info && { size: info.size, modifiedAt: info.modifiedAt };
        },
      });
    } catch (e) {
      throw e instanceof CofreError ? e : classifyFsError(e, prefix);
    }
  }

  async remove(key: string): Promise<void> {
    const path = this.#path(key);
    try {
      await rm(path, { force: true });
    } catch (e) {
      throw classifyFsError(e, key);
    }
    // Tidy now-empty directories up to the root; a non-empty one stops the walk.
    let dir = dirname(path);
    while (dir.startsWith(this.root + sep) && dir !== this.root) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
      dir = dirname(dir);
    }
  }

  testConnection() {
    return runConnectionProbe(this, (e) => (e instanceof CofreError ? e : classifyFsError(e, ".probe")));
  }
}

async function syncDir(dir: string) {
  // Directory fsync makes the rename durable; some filesystems refuse it, which is harmless.
  try {
    const fh = await openFile(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* not supported here */
  }
}
