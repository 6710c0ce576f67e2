/**
 * Generated bodies for the destination benchmark: every run uploads the same deterministic
 * bytes, produced from a pool of random bytes (memcpy speed, so the generator is not what is
 * measured), and every download is hashed, so a client that returned the wrong bytes fails
 * the run instead of posting a figure.
 *
 * Not test/destinations/conformance.ts's `generatedBody`: that module imports vitest, and its
 * xorshift generator (JS, per word) would cost more CPU than the transfer on a busy machine.
 */
import { createHash, randomFillSync } from "node:crypto";
import { Readable } from "node:stream";

/** Size of the pieces a body is produced in (the engine's COPY reader and fs streams use 256 KiB). */
export const CHUNK = 256 * 1024;
const POOL = 4 * 1024 * 1024 + CHUNK;

let pool: Uint8Array | null = null;
function poolBytes(): Uint8Array {
  pool ??= randomFillSync(new Uint8Array(POOL));
  return pool;
}

/**
 * Body number `seed` of `size` bytes, as CHUNK-sized fresh arrays (never reused, so a client
 * may keep a reference): pool slices at offsets that depend on the seed and the chunk index.
 */
export function* generate(size: number, seed: number): Generator<Uint8Array> {
  const p = poolBytes();
  for (let done = 0, i = 0; done < size; done += CHUNK, i++) {
    const n = Math.min(CHUNK, size - done);
    const at = ((seed * 7919 + i * 104_729) * 16) % (POOL - CHUNK);
    yield p.slice(at, at + n);
  }
}

/** The same body in one array (small objects). */
export function generateBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of generate(size, seed)) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** SHA-256 (hex) of body `seed`, computed untimed before the run. */
export function expectedSha256(size: number, seed: number): string {
  const h = createHash("sha256");
  for (const c of generate(size, seed)) h.update(c);
  return h.digest("hex");
}

/** Body `seed` as a pull-based Web stream (what `Destination.put` takes). */
export function webBody(size: number, seed: number): ReadableStream<Uint8Array> {
  const it = generate(size, seed);
  return new ReadableStream<Uint8Array>({
    pull(c) {
      const r = it.next();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
  }, { highWaterMark: 0 });
}

/** Body `seed` as a Node Readable (what node:fs, basic-ftp and ssh2 streams take). */
export function nodeBody(size: number, seed: number): Readable {
  return Readable.from(generate(size, seed), { objectMode: false, highWaterMark: CHUNK });
}

/** Reads a Web stream or a Node stream to its end, hashing it; one chunk held at a time. */
export async function hashAll(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const h = createHash("sha256");
  let size = 0;
  const add = (c: Uint8Array) => {
    h.update(c);
    size += c.length;
  };
  if (source instanceof ReadableStream) {
    const reader = source.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) add(r.value);
  } else {
    for await (const c of source) add(c);
  }
  return { sha256: h.digest("hex"), size };
}
