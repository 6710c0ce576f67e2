/**
 * SHA-256 and MD5 over streams. Web Crypto has no incremental digest, so this uses
 * `node:crypto`, which Node and Deno both provide (and which is ~8× faster than WASM here).
 */
import { createHash, type Hash } from "node:crypto";

export interface Digests {
  sha256: string;
  md5: string;
  size: number;
}

/** Hashes every chunk it is given, in order; `digest()` once at the end. */
export class StoredObjectHasher {
  readonly #sha256: Hash = createHash("sha256");
  readonly #md5: Hash = createHash("md5");
  #size = 0;

  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.#md5.update(chunk);
    this.#size += chunk.length;
  }

  digest(): Digests {
    return { sha256: this.#sha256.digest("hex"), md5: this.#md5.digest("hex"), size: this.#size };
  }
}

export function sha256Hasher(): Hash {
  return createHash("sha256");
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A pass-through stream that feeds every chunk to `hasher` on its way. */
export function hashingStream(hasher: StoredObjectHasher): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hasher.update(chunk);
      controller.enqueue(chunk);
    },
  });
}
