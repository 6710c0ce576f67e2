/**
 * CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as ZIP requires. Native
 * `zlib.crc32` where the runtime has it (Node ≥ 20.15, Deno 2: 5–20 GB/s), else this file's
 * slicing-by-8 (≈ 1 GB/s); both give the same values (docs/benchmarks.md).
 */
import zlib from "node:zlib";

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const TABLES = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/** Incremental CRC-32: `update` with each chunk, then `digest()`. */
export class Crc32 {
  #crc = 0xffffffff;

  update(data: Uint8Array): this {
    if (nativeCrc32) {
      // The native function takes and returns the finished value; keep ours pre-inverted.
      this.#crc = (nativeCrc32(data, (this.#crc ^ 0xffffffff) >>> 0) ^ 0xffffffff) >>> 0;
      return this;
    }
    return this.updatePortable(data);
  }

  /** The pure-JavaScript path (also what runtimes without zlib.crc32 use). */
  updatePortable(data: Uint8Array): this {
    const t = TABLES;
    let crc = this.#crc;
    let i = 0;
    const n = data.length;
    for (; i + 8 <= n; i += 8) {
      const a = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ crc;
      crc =
        t[7 * 256 + (a & 0xff)]! ^ t[6 * 256 + ((a >>> 8) & 0xff)]! ^
        t[5 * 256 + ((a >>> 16) & 0xff)]! ^ t[4 * 256 + (a >>> 24)]! ^
        t[3 * 256 + data[i + 4]!]! ^ t[2 * 256 + data[i + 5]!]! ^
        t[256 + data[i + 6]!]! ^ t[data[i + 7]!]!;
    }
    for (; i < n; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    this.#crc = crc;
    return this;
  }

  digest(): number {
    return (this.#crc ^ 0xffffffff) >>> 0;
  }
}

export function crc32(data: Uint8Array): number {
  return new Crc32().update(data).digest();
}
