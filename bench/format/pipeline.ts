/**
 * Cofre's write pipeline as the engine runs it, without the database: ZIP entries
 * (`ZipWriter`: CRC-32, per-entry SHA-256, deflate or store) → [segmented AES-256-GCM when
 * `format/crypto/mod.ts` is there and a key is given] → SHA-256 + MD5 of the stored bytes
 * (`StoredObjectHasher`, in a TransformStream as `VolumeSetWriter` does) → a sink that counts
 * or writes a file. Runtime-neutral (Node and Deno).
 */
import { createReadStream, existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ZipWriter, type EntryOptions } from "../../packages/shared/src/format/zip/writer.ts";
import { StoredObjectHasher } from "../../packages/shared/src/format/checksum.ts";
import { streamChunks } from "../../packages/shared/src/format/streams.ts";
import { CHUNK } from "./lib.ts";

export type Chunks = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
export interface PipelineEntry {
  name: string;
  chunks: () => Chunks;
}

/** The colleague's encryption module, if it exists yet (API: docs/format.md, issue 3). */
export interface CryptoModule {
  createBackupKey(passphrase: string, opts: { iterations: number }): Promise<unknown> | unknown;
  encryptStream(key: unknown, opts: { segmentSize: number }): TransformStream<Uint8Array, Uint8Array>;
}

export const CRYPTO_MOD_PATH = fileURLToPath(new URL("../../packages/shared/src/format/crypto/mod.ts", import.meta.url));

let cryptoMod: CryptoModule | null | undefined;
export async function loadCrypto(): Promise<CryptoModule | null> {
  if (cryptoMod !== undefined) return cryptoMod;
  cryptoMod = null;
  if (existsSync(CRYPTO_MOD_PATH)) {
    const m = await import(new URL("../../packages/shared/src/format/crypto/mod.ts", import.meta.url).href) as Partial<CryptoModule>;
    if (typeof m.createBackupKey === "function" && typeof m.encryptStream === "function") cryptoMod = m as CryptoModule;
  }
  return cryptoMod;
}

export interface PipelineOptions {
  entry: EntryOptions;
  /** Encrypt with this key (from `createBackupKey`) in segments of `segmentSize`. */
  encrypt?: { key: unknown; segmentSize: number } | null;
  /** Write the volume to this path; default: count the bytes only. */
  outPath?: string;
}

export interface PipelineResult {
  bytesIn: number;
  bytesOut: number;
  stored: { sha256: string; md5: string; size: number };
  methods: Record<string, number>;
}

/** Writes one volume holding `entries`, through the whole pipeline. */
export async function writeVolume(entries: PipelineEntry[], opts: PipelineOptions): Promise<PipelineResult> {
  const hasher = new StoredObjectHasher();
  const hash = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hasher.update(chunk);
      controller.enqueue(chunk);
    },
  });
  let head: WritableStream<Uint8Array>;
  let tail: ReadableStream<Uint8Array>;
  if (opts.encrypt) {
    const crypto = await loadCrypto();
    if (!crypto) throw new Error("encryption requested but format/crypto/mod.ts is missing");
    const enc = crypto.encryptStream(opts.encrypt.key, { segmentSize: opts.encrypt.segmentSize });
    head = enc.writable;
    tail = enc.readable.pipeThrough(hash);
  } else {
    head = hash.writable;
    tail = hash.readable;
  }

  const file = opts.outPath ? await open(opts.outPath, "w") : null;
  const consume = (async () => {
    let n = 0;
    for await (const value of streamChunks(tail)) {
      n += value.length;
      if (file) {
        let off = 0;
        while (off < value.length) off += (await file.write(value, off, value.length - off)).bytesWritten;
      }
    }
    return n;
  })();

  const writer = head.getWriter();
  const zip = new ZipWriter({ write: (chunk) => writer.write(chunk) });
  let bytesIn = 0;
  const methods: Record<string, number> = {};
  try {
    for (const e of entries) {
      const w = await zip.openEntry(e.name, opts.entry);
      for await (const c of e.chunks()) await w.write(c);
      const info = await w.close();
      bytesIn += info.size;
      methods[info.method] = (methods[info.method] ?? 0) + 1;
    }
    await zip.finish();
    await writer.close();
    const bytesOut = await consume;
    // Durable like LocalDestination's put (and like restic, which syncs its pack files).
    await file?.sync();
    return { bytesIn, bytesOut, stored: hasher.digest(), methods };
  } catch (e) {
    await writer.abort(e).catch(() => {});
    await consume.catch(() => {});
    throw e;
  } finally {
    await file?.close();
  }
}

/** Entries read from files with fresh CHUNK-sized buffers (what the engine's readers hand over). */
export function fileEntries(paths: string[]): PipelineEntry[] {
  return paths.map((p) => ({
    name: p.split("/").pop()!,
    chunks: () => createReadStream(p, { highWaterMark: CHUNK }) as AsyncIterable<Uint8Array>,
  }));
}
