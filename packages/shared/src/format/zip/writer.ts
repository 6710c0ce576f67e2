/**
 * Streaming ZIP writer: entries are written as they come (local header, data, data
 * descriptor), the central directory at `finish()`. Never holds an entry in memory.
 *
 * Limits of this writer, by design: one entry at a time; an entry's sizes stay below 4 GiB
 * (callers split large tables into parts); archives past 4 GiB or 65,535 entries get ZIP64
 * end records and ZIP64 offsets in the central directory, as APPNOTE 4.3.14–4.3.16 allow.
 */
import { ByteBuilder, concatBytes, utf8 } from "../bytes.ts";
import { Crc32 } from "../crc32.ts";
import { sha256Hasher } from "../checksum.ts";
import { createDeflater, type DeflateEngineName, type Deflater } from "./deflate.ts";
import { looksCompressed } from "./sniff.ts";

/** Bytes of an `auto` entry looked at before choosing store or deflate. */
const SNIFF_BYTES = 64 * 1024;
import { CofreError } from "../../errors.ts";
import {
  FILE_MODE, FLAGS, METHOD, SIG, U16_MAX, U32_MAX, VERSION_MADE_BY, VERSION_NEEDED,
  VERSION_NEEDED_ZIP64, ZIP64_EXTRA_ID, type ZipMethod,
} from "./constants.ts";

/** Where archive bytes go. `write` resolves when the chunk is accepted (backpressure). */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

export interface EntryInfo {
  name: string;
  method: ZipMethod;
  /** Uncompressed (plaintext) size. */
  size: number;
  compressedSize: number;
  crc32: number;
  /** SHA-256 of the plaintext, hex. */
  sha256: string;
}

interface CentralRecord extends EntryInfo {
  nameBytes: Uint8Array;
  offset: number;
  dosTime: number;
  dosDate: number;
}

export interface EntryOptions {
  /** `auto` (default): deflate unless the first bytes show already-compressed content. */
  method?: ZipMethod | "auto";
  /** Deflate level 1–9 (default 6). */
  level?: number;
  /** Deflate implementation; default one node:zlib stream (`zlib`); `zlib-blocks` uses every core (deflate.ts). */
  engine?: DeflateEngineName;
  /** Blocks deflated at once by `zlib-blocks`; default every core (at most 4). */
  threads?: number;
  modified?: Date;
}

export interface EntryWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<EntryInfo>;
}

/** MS-DOS date and time (2-second resolution) of `d` in UTC; ZIP carries no time zone. */
export function dosDateTime(d: Date): { dosTime: number; dosDate: number } {
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return {
    dosTime: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    dosDate: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** Entry names: relative, `/`-separated, no `..`, no NUL — what every unzip accepts safely. */
export function assertSafeEntryName(name: string): void {
  const bad =
    name.length === 0 || name.startsWith("/") || name.includes("\\") || name.includes("\0") ||
    /^[A-Za-z]:/.test(name) || name.split("/").some((p) => p === ".." || p === "." || p === "");
  if (bad) {
    throw new CofreError("UNSAFE_PATH", {
      "pt-BR": `Nome de entrada inválido no arquivo ZIP: ${JSON.stringify(name)}.`,
      en: `Unsafe entry name in ZIP archive: ${JSON.stringify(name)}.`,
    }, { details: { name } });
  }
}

export class ZipWriter {
  readonly #sink: ByteSink;
  readonly #records: CentralRecord[] = [];
  readonly #names = new Set<string>();
  #offset = 0;
  #open = false;
  #finished = false;

  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  /** Bytes written so far (the archive's size once `finish` resolves). */
  get bytesWritten(): number {
    return this.#offset;
  }

  get entryCount(): number {
    return this.#records.length;
  }

  async #emit(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.#offset += chunk.length;
    await this.#sink.write(chunk);
  }

  /** Starts an entry; write its plaintext with `write`, then `close` it before the next one. */
  async openEntry(name: string, opts: EntryOptions = {}): Promise<EntryWriter> {
    if (this.#open || this.#finished) throw new Error("ZipWriter: an entry is open or the archive is finished");
    assertSafeEntryName(name);
    if (this.#names.has(name)) throw new Error(`ZipWriter: duplicate entry ${name}`);
    this.#names.add(name);
    this.#open = true;

    const nameBytes = utf8.encode(name);
    const { dosTime, dosDate } = dosDateTime(opts.modified ?? new Date());
    const offset = this.#offset;
    const crc = new Crc32();
    const sha = sha256Hasher();
    let size = 0;
    let compressedSize = 0;
    // With `auto`, the method is chosen from the first SNIFF_BYTES of content, so the local
    // header (which names the method) waits until then.
    let method: ZipMethod | null = opts.method === "auto" || opts.method === undefined ? null : opts.method;
    let held: Uint8Array[] = [];
    let heldBytes = 0;
    let deflate: Deflater | null = null;

    const start = async (m: ZipMethod) => {
      method = m;
      deflate = m === "deflate" ? createDeflater(opts.level ?? 6, { engine: opts.engine, threads: opts.threads }) : null;
      await this.#emit(
        new ByteBuilder(30 + nameBytes.length)
          .u32(SIG.localFile).u16(VERSION_NEEDED).u16(FLAGS).u16(METHOD[m])
          .u16(dosTime).u16(dosDate).u32(0).u32(0).u32(0)
          .u16(nameBytes.length).u16(0).bytes(nameBytes).done(),
      );
    };
    const compress = async (chunk: Uint8Array) => {
      if (deflate) {
        for (const c of await deflate.push(chunk)) {
          compressedSize += c.length;
          await this.#emit(c);
        }
      } else {
        compressedSize += chunk.length;
        await this.#emit(chunk);
      }
    };
    const release = async () => {
      const sample = concatBytes(held);
      held = [];
      heldBytes = 0;
      await start(looksCompressed(sample) ? "store" : "deflate");
      if (sample.length) await compress(sample);
    };
    const tooBig = (n: number) => {
      if (n >= U32_MAX) {
        throw new CofreError("INVALID_INPUT", {
          "pt-BR": `A entrada ${name} chegou a 4 GiB, o limite de uma entrada neste formato. Divida os dados em partes menores (o Cofre divide tabelas em partes de 64 MiB; se isto aconteceu num backup, relate o problema).`,
          en: `Entry ${name} reached 4 GiB, the limit of one entry in this format. Split the data into smaller parts (Cofre splits tables into 64 MiB parts; if a backup hit this, report it).`,
        }, { details: { name, bytes: n } });
      }
    };
    if (method !== null) await start(method);

    return {
      write: async (chunk: Uint8Array) => {
        if (chunk.length === 0) return;
        crc.update(chunk);
        sha.update(chunk);
        size += chunk.length;
        tooBig(size);
        if (method === null) {
          held.push(chunk.slice());
          heldBytes += chunk.length;
          if (heldBytes >= SNIFF_BYTES) await release();
          return;
        }
        await compress(chunk);
      },
      close: async () => {
        if (method === null) await release();
        const d = deflate as Deflater | null;
        if (d) {
          for (const c of await d.finish()) {
            compressedSize += c.length;
            await this.#emit(c);
          }
        }
        tooBig(compressedSize);
        const info: EntryInfo = {
          name, method: method!, size, compressedSize, crc32: crc.digest(), sha256: sha.digest("hex"),
        };
        await this.#emit(
          new ByteBuilder(16).u32(SIG.dataDescriptor).u32(info.crc32).u32(compressedSize).u32(size).done(),
        );
        this.#records.push({ ...info, nameBytes, offset, dosTime, dosDate });
        this.#open = false;
        return info;
      },
    };
  }

  /** Convenience for small entries (manifests, schema files). */
  async addEntry(name: string, data: Uint8Array, opts: EntryOptions = {}): Promise<EntryInfo> {
    const w = await this.openEntry(name, opts);
    await w.write(data);
    return w.close();
  }

  /** Writes the central directory and end records. The archive is complete when this resolves. */
  async finish(): Promise<number> {
    if (this.#open) throw new Error("ZipWriter: close the open entry before finish()");
    if (this.#finished) return this.#offset;
    this.#finished = true;
    const cdStart = this.#offset;
    for (const r of this.#records) {
      const needs64 = r.offset >= U32_MAX;
      const extra = needs64 ? new ByteBuilder(12).u16(ZIP64_EXTRA_ID).u16(8).u64(r.offset).done() : new Uint8Array(0);
      await this.#emit(
        new ByteBuilder(46 + r.nameBytes.length + extra.length)
          .u32(SIG.centralFile).u16(VERSION_MADE_BY).u16(needs64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED)
          .u16(FLAGS).u16(METHOD[r.method]).u16(r.dosTime).u16(r.dosDate)
          .u32(r.crc32).u32(r.compressedSize).u32(r.size)
          .u16(r.nameBytes.length).u16(extra.length).u16(0).u16(0).u16(0)
          .u32((FILE_MODE << 16) >>> 0).u32(needs64 ? U32_MAX : r.offset)
          .bytes(r.nameBytes).bytes(extra).done(),
      );
    }
    const cdSize = this.#offset - cdStart;
    const count = this.#records.length;
    const needs64 = count >= U16_MAX || cdStart >= U32_MAX || cdSize >= U32_MAX;
    if (needs64) {
      const eocd64At = this.#offset;
      await this.#emit(
        new ByteBuilder(56)
          .u32(SIG.zip64EndOfCentralDir).u64(44).u16(VERSION_MADE_BY).u16(VERSION_NEEDED_ZIP64)
          .u32(0).u32(0).u64(count).u64(count).u64(cdSize).u64(cdStart).done(),
      );
      await this.#emit(new ByteBuilder(20).u32(SIG.zip64Locator).u32(0).u64(eocd64At).u32(1).done());
    }
    await this.#emit(
      new ByteBuilder(22)
        .u32(SIG.endOfCentralDir).u16(0).u16(0)
        .u16(needs64 ? U16_MAX : count).u16(needs64 ? U16_MAX : count)
        .u32(needs64 ? U32_MAX : cdSize).u32(needs64 ? U32_MAX : cdStart).u16(0).done(),
    );
    return this.#offset;
  }
}
