/** Little-endian byte assembly for binary headers (ZIP). */
export class ByteBuilder {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos = 0;

  constructor(size: number) {
    this.#buf = new Uint8Array(size);
    this.#view = new DataView(this.#buf.buffer);
  }
  u16(v: number): this {
    this.#view.setUint16(this.#pos, v, true);
    this.#pos += 2;
    return this;
  }
  u32(v: number): this {
    this.#view.setUint32(this.#pos, v >>> 0, true);
    this.#pos += 4;
    return this;
  }
  u64(v: number): this {
    this.#view.setBigUint64(this.#pos, BigInt(v), true);
    this.#pos += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
    return this;
  }
  done(): Uint8Array {
    if (this.#pos !== this.#buf.length) throw new Error(`header size mismatch: wrote ${this.#pos} of ${this.#buf.length}`);
    return this.#buf;
  }
}

/** Reads little-endian fields from a byte array, bounds-checked. */
export class ByteReader {
  readonly #view: DataView;
  pos: number;
  constructor(readonly bytes: Uint8Array, pos = 0) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }
  u16(): number {
    const v = this.#view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.#view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    const v = this.#view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("64-bit field beyond 2^53");
    return Number(v);
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new RangeError("read past end");
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const utf8 = new TextEncoder();
export const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
