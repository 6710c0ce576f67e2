/**
 * ZIP reader over random access (a local file, or ranged GETs from a destination): reads the
 * central directory, then streams one entry at a time, inflating and checking CRC-32 and size.
 *
 * Defensive by contract: every structural problem is a CofreError (CORRUPT_ARCHIVE,
 * TRUNCATED, INTEGRITY_MISMATCH, UNSAFE_PATH), the directory read is capped, and an entry
 * that inflates past its declared size is refused (zip bomb) instead of being read on.
 */
import { ByteReader, utf8Decoder } from "../bytes.ts";
import { Crc32 } from "../crc32.ts";
import { CofreError } from "../../errors.ts";
import { METHOD, SIG, U16_MAX, U32_MAX, ZIP64_EXTRA_ID, type ZipMethod } from "./constants.ts";
import { assertSafeEntryName } from "./writer.ts";
import { createInflater } from "./deflate.ts";

/** Compressed bytes fed to the inflater at a time. */
const INFLATE_STEP = 16 * 1024;

export interface RandomAccess {
  readonly size: number;
  /** Exactly `length` bytes at `offset`; fewer is an error (TRUNCATED). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The bytes [offset, offset+length) as chunks. */
  stream(offset: number, length: number): AsyncIterable<Uint8Array>;
}

export interface ZipEntry {
  name: string;
  method: ZipMethod;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipReaderLimits {
  /** Largest central directory accepted (bytes). */
  maxDirectoryBytes: number;
  /** Largest declared uncompressed/compressed ratio accepted for one entry. */
  maxRatio: number;
}

const DEFAULT_LIMITS: ZipReaderLimits = { maxDirectoryBytes: 64 * 1024 * 1024, maxRatio: 1100 };

function corrupt(why: string, details: Record<string, unknown> = {}): CofreError {
  return new CofreError("CORRUPT_ARCHIVE", {
    "pt-BR": `O arquivo ZIP está corrompido ou não é um volume válido (${why}). Use outra cópia do backup.`,
    en: `The ZIP file is corrupt or not a valid volume (${why}). Use another copy of the backup.`,
  }, { details: { reason: why, ...details } });
}

function methodOf(code: number, name: string): ZipMethod {
  if (code === METHOD.deflate) return "deflate";
  if (code === METHOD.store) return "store";
  throw corrupt(`unsupported compression method ${code}`, { entry: name });
}

export class ZipReader {
  private constructor(readonly source: RandomAccess, readonly entries: readonly ZipEntry[], private readonly limits: ZipReaderLimits) {}

  static async open(source: RandomAccess, limits: Partial<ZipReaderLimits> = {}): Promise<ZipReader> {
    try {
      return await ZipReader.#open(source, { ...DEFAULT_LIMITS, ...limits });
    } catch (e) {
      // Any field that runs past its buffer or beyond 2^53 is a structural lie, not a bug.
      if (e instanceof RangeError || e instanceof TypeError) throw corrupt("headers out of range");
      throw e;
    }
  }

  static async #open(source: RandomAccess, lim: ZipReaderLimits): Promise<ZipReader> {
    if (source.size < 22) throw corrupt("too small");
    // The end record is in the last 22 + 65,535 (comment) bytes.
    const tailLen = Math.min(source.size, 22 + U16_MAX + 20);
    const tailStart = source.size - tailLen;
    const tail = await source.read(tailStart, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 0x05 && tail[i + 3] === 0x06) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw corrupt("end of central directory not found");
    const r = new ByteReader(tail, eocd + 4);
    r.u16(); // disk
    r.u16(); // disk with central directory
    r.u16(); // entries on disk
    let count = r.u16();
    let cdSize = r.u32();
    let cdOffset = r.u32();
    if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
      const locAt = eocd - 20;
      if (locAt < 0) throw corrupt("ZIP64 locator missing");
      const loc = new ByteReader(tail, locAt);
      if (loc.u32() !== SIG.zip64Locator) throw corrupt("ZIP64 locator missing");
      loc.u32();
      const eocd64At = loc.u64();
      if (eocd64At + 56 > source.size) throw corrupt("ZIP64 end record out of range");
      const e64 = new ByteReader(await source.read(eocd64At, 56));
      if (e64.u32() !== SIG.zip64EndOfCentralDir) throw corrupt("ZIP64 end record missing");
      e64.u64();
      e64.u16();
      e64.u16();
      e64.u32();
      e64.u32();
      e64.u64();
      count = e64.u64();
      cdSize = e64.u64();
      cdOffset = e64.u64();
    }
    if (cdSize > lim.maxDirectoryBytes) throw corrupt("central directory too large", { cdSize });
    if (cdOffset + cdSize > source.size) throw corrupt("central directory out of range");
    if (count * 46 > cdSize) throw corrupt("entry count does not fit the directory");
    const cd = new ByteReader(await source.read(cdOffset, cdSize));
    const entries: ZipEntry[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      if (cd.u32() !== SIG.centralFile) throw corrupt("bad central directory record");
      cd.u16(); // made by
      cd.u16(); // needed
      const flags = cd.u16();
      const methodCode = cd.u16();
      cd.u16();
      cd.u16();
      const crc = cd.u32();
      let csize = cd.u32();
      let usize = cd.u32();
      const nameLen = cd.u16();
      const extraLen = cd.u16();
      const commentLen = cd.u16();
      cd.u16();
      cd.u16();
      cd.u32();
      let offset = cd.u32();
      if (flags & 0x1) throw corrupt("encrypted ZIP entries are not part of the format");
      const name = utf8Decoder.decode(cd.take(nameLen));
      const extra = new ByteReader(cd.take(extraLen));
      cd.take(commentLen);
      while (extra.pos + 4 <= extra.bytes.length) {
        const id = extra.u16();
        const len = extra.u16();
        const body = new ByteReader(extra.take(len));
        if (id === ZIP64_EXTRA_ID) {
          if (usize === U32_MAX) usize = body.u64();
          if (csize === U32_MAX) csize = body.u64();
          if (offset === U32_MAX) offset = body.u64();
        }
      }
      assertSafeEntryName(name);
      if (seen.has(name)) throw corrupt("duplicate entry name", { entry: name });
      seen.add(name);
      const method = methodOf(methodCode, name);
      if (offset + 30 + csize > cdOffset) throw corrupt("entry data out of range", { entry: name });
      if (method === "store" && csize !== usize) throw corrupt("stored entry sizes differ", { entry: name });
      if (usize > Math.max(csize, 1) * lim.maxRatio) throw corrupt("compression ratio beyond limit", { entry: name });
      entries.push({ name, method, crc32: crc, compressedSize: csize, size: usize, localHeaderOffset: offset });
    }
    return new ZipReader(source, entries, lim);
  }

  entry(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** Streams an entry's plaintext. Throws INTEGRITY_MISMATCH if its CRC-32 or size is wrong. */
  async *read(entry: ZipEntry): AsyncGenerator<Uint8Array> {
    const head = new ByteReader(await this.source.read(entry.localHeaderOffset, 30));
    if (head.u32() !== SIG.localFile) throw corrupt("bad local header", { entry: entry.name });
    head.pos = 26;
    const dataStart = entry.localHeaderOffset + 30 + head.u16() + head.u16();
    const crc = new Crc32();
    let produced = 0;
    const mismatch = (what: string) =>
      new CofreError("INTEGRITY_MISMATCH", {
        "pt-BR": `A entrada ${entry.name} não confere (${what}): o volume foi alterado ou está corrompido.`,
        en: `Entry ${entry.name} does not match (${what}): the volume was altered or is corrupt.`,
      }, { details: { entry: entry.name, check: what } });
    const account = (chunk: Uint8Array) => {
      produced += chunk.length;
      if (produced > entry.size) throw mismatch("size");
      crc.update(chunk);
    };

    if (entry.method === "store") {
      for await (const chunk of this.source.stream(dataStart, entry.compressedSize)) {
        account(chunk);
        yield chunk;
      }
    } else {
      const inflate = createInflater();
      const emit = function* (out: Uint8Array[]) {
        for (const c of out) {
          account(c);
          yield c;
        }
      };
      try {
        for await (const chunk of this.source.stream(dataStart, entry.compressedSize)) {
          // Small input steps bound what one step can expand to (zip bombs stop at the size check).
          for (let o = 0; o < chunk.length; o += INFLATE_STEP) {
            yield* emit(await inflate.push(chunk.subarray(o, o + INFLATE_STEP)));
          }
        }
        yield* emit(await inflate.finish());
      } catch (e) {
        if (e instanceof CofreError) throw e;
        throw mismatch("deflate stream");
      }
    }
    if (produced !== entry.size) throw mismatch("size");
    if (crc.digest() !== entry.crc32) throw mismatch("crc32");
  }
}
