/**
 * The plaintext of a container, with random access, over random access to the container
 * (a local file or ranged GETs): reads are mapped to whole segments, fetched as ranges of
 * ciphertext, authenticated, and sliced. The ZIP reader runs on top of this to restore from
 * encrypted volumes.
 *
 * Opening reads the header and the final segment: the plaintext size follows from the
 * container size, and authenticating the final segment (which MUST carry the last flag)
 * proves the container was not cut at a segment boundary before any size is reported.
 */
import { CofreError } from "../../errors.ts";
import type { RandomAccess } from "../zip/reader.ts";
import { HEADER_LENGTH, MAGIC, TAG_LENGTH } from "./constants.ts";
import { integrity, invalidInput, truncated } from "./failures.ts";
import { checkMagic } from "./header.ts";
import { decryptOptions, openContainer, type CacheOrOptions, type Unlocker } from "./open.ts";
import { gcmOpen, segmentNonce } from "./primitives.ts";
import { openFinalSegment, openInnerSegment, payloadLayout } from "./segments.ts";

/** Ciphertext fetched per underlying read when a range spans many segments. */
const BATCH_BYTES = 8 * 1024 * 1024;
/** Decrypted segments kept for reads that land in the same place again (ZIP header, then data). */
const CACHED_SEGMENTS = 4;

async function readExact(source: RandomAccess, offset: number, length: number): Promise<Uint8Array> {
  const got = await source.read(offset, length);
  if (got.length !== length) throw truncated("partial-segment", { offset, want: length, got: got.length });
  return got;
}

/** Whether `sealed` authenticates as the last segment `index` (diagnosis only). */
async function opensAsLast(key: CryptoKey, index: number, sealed: Uint8Array): Promise<boolean> {
  return (await gcmOpen(key, segmentNonce(index, true), sealed)) !== null;
}

/** Presents the plaintext of the container `encrypted` as a RandomAccess. */
export async function decryptingRandomAccess(
  encrypted: RandomAccess,
  unlock: Unlocker,
  cacheOrOptions?: CacheOrOptions,
): Promise<RandomAccess> {
  const opts = decryptOptions(cacheOrOptions);
  const containerSize = encrypted.size;
  if (containerSize < HEADER_LENGTH) {
    const prefix = containerSize > 0 ? await readExact(encrypted, 0, Math.min(containerSize, MAGIC.length)) : new Uint8Array(0);
    checkMagic(prefix, true);
    throw truncated("header", { size: containerSize, headerLength: HEADER_LENGTH });
  }
  const { header, payloadKey: key } = await openContainer(await readExact(encrypted, 0, HEADER_LENGTH), unlock, opts);
  const s = header.segmentSize;
  const pieceLength = s + TAG_LENGTH;
  const layout = payloadLayout(containerSize, s);
  const n = layout.segments;
  const pieceAt = (i: number) => HEADER_LENGTH + i * pieceLength;

  // The final segment, read and authenticated now; with the same verdicts as the stream.
  const readPrevious = () => readExact(encrypted, pieceAt(n - 2), pieceLength);
  const finalSealed = await readExact(encrypted, pieceAt(n - 1), layout.finalLength);
  let finalPlain: Uint8Array;
  try {
    if (!layout.finalPlausible && n > 1) await openInnerSegment(key, n - 2, await readPrevious());
    finalPlain = await openFinalSegment(key, n - 1, finalSealed, pieceLength);
  } catch (e) {
    // Bytes after a segment that authenticates as the last: report them as the stream would.
    if (n > 1 && e instanceof CofreError && e.details.check !== "trailing-data" && await opensAsLast(key, n - 2, await readPrevious())) {
      throw integrity("trailing-data", { segment: n - 2 });
    }
    throw e;
  }
  const size = layout.plaintextSize;

  const cache = new Map<number, Uint8Array>();
  const remember = (i: number, plain: Uint8Array) => {
    if (i === n - 1) return;
    cache.delete(i);
    cache.set(i, plain);
    if (cache.size > CACHED_SEGMENTS) cache.delete(cache.keys().next().value as number);
  };
  const cached = (i: number) => (i === n - 1 ? finalPlain : cache.get(i));

  /** Opens pieces `first`…`last` (none of them the final one) from one ciphertext range. */
  async function openRun(first: number, last: number): Promise<Uint8Array[]> {
    const sealed = await readExact(encrypted, pieceAt(first), (last - first + 1) * pieceLength);
    const out = await Promise.all(
      Array.from({ length: last - first + 1 }, (_, j) =>
        openInnerSegment(key, first + j, sealed.subarray(j * pieceLength, (j + 1) * pieceLength))),
    );
    out.forEach((p, j) => remember(first + j, p));
    return out;
  }

  /** Segments `a`…`b` in order, each authenticated, fetched in batches of contiguous misses. */
  async function* segments(a: number, b: number): AsyncGenerator<Uint8Array> {
    const perBatch = Math.max(1, Math.floor(BATCH_BYTES / pieceLength));
    let i = a;
    while (i <= b) {
      const hit = cached(i);
      if (hit) {
        yield hit;
        i++;
        continue;
      }
      let j = i;
      while (j + 1 <= b && j + 1 < n - 1 && j + 1 - i < perBatch && !cached(j + 1)) j++;
      for (const p of await openRun(i, j)) yield p;
      i = j + 1;
    }
  }

  function checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw invalidInput("read range", { offset, length });
    }
    if (offset + length > size) throw truncated("partial-segment", { offset, length, size });
  }

  async function* stream(offset: number, length: number): AsyncGenerator<Uint8Array> {
    checkRange(offset, length);
    if (length === 0) return;
    const end = offset + length;
    const a = Math.floor(offset / s);
    const b = Math.floor((end - 1) / s);
    let i = a;
    for await (const plain of segments(a, b)) {
      const start = i * s;
      const from = Math.max(offset, start) - start;
      const to = Math.min(end, start + plain.length) - start;
      i++;
      // A copy: segments stay cached, and callers may keep or change what they get.
      if (to > from) yield plain.slice(from, to);
    }
  }

  return {
    size,
    stream,
    async read(offset, length) {
      checkRange(offset, length);
      const out = new Uint8Array(length);
      let o = 0;
      for await (const part of stream(offset, length)) {
        out.set(part, o);
        o += part.length;
      }
      return out;
    },
  };
}
