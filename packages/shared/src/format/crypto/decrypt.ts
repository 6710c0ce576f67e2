/**
 * Streaming decryption: a container in, its plaintext out — only ever the plaintext of
 * segments that authenticated. Holds the header (168 bytes), then at most one sealed segment
 * beside the chunk being read: a full segment is opened as non-last once a further byte
 * arrives, and whatever remains at the end MUST open as the last segment (docs/format-encryption.md §5).
 */
import { HEADER_LENGTH, TAG_LENGTH } from "./constants.ts";
import { truncated } from "./failures.ts";
import { checkMagic } from "./header.ts";
import { collect, once } from "./encrypt.ts";
import { decryptOptions, openContainer, type CacheOrOptions, type OpenedContainer, type Unlocker } from "./open.ts";
import { openFinalSegment, openInnerSegment } from "./segments.ts";

/** Segments opened at once from one large chunk (order of output and of errors is kept). */
const PARALLEL = 16;

/**
 * A TransformStream that decrypts one container. Errors are CofreErrors: CORRUPT_ARCHIVE,
 * UNSUPPORTED_VERSION, TRUNCATED, WRONG_PASSPHRASE, PASSPHRASE_REQUIRED, INTEGRITY_MISMATCH.
 */
export function decryptStream(unlock: Unlocker, cacheOrOptions?: CacheOrOptions): TransformStream<Uint8Array, Uint8Array> {
  const opts = decryptOptions(cacheOrOptions);
  const header = new Uint8Array(HEADER_LENGTH);
  let headerFill = 0;
  let opened: OpenedContainer | null = null;
  let piece: Uint8Array | null = null;
  let pieceLength = 0;
  let fill = 0;
  let index = 0;

  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      const n = chunk.length;
      let o = 0;
      if (!opened) {
        const take = Math.min(HEADER_LENGTH - headerFill, n);
        header.set(chunk.subarray(0, take), headerFill);
        headerFill += take;
        o = take;
        checkMagic(header.subarray(0, headerFill), false);
        if (headerFill < HEADER_LENGTH) return;
        opened = await openContainer(header, unlock, opts);
        pieceLength = opened.header.segmentSize + TAG_LENGTH;
      }
      const key = opened.payloadKey;
      if (o === n) return;
      // Every piece this chunk completes and that more bytes follow: the held one (if full),
      // then whole pieces straight from the chunk, each followed by at least one more byte.
      const jobs: Uint8Array[] = [];
      if (fill === pieceLength) jobs.push(piece!);
      else if (fill > 0) {
        const take = Math.min(pieceLength - fill, n - o);
        piece!.set(chunk.subarray(o, o + take), fill);
        fill += take;
        o += take;
        if (fill === pieceLength && o < n) jobs.push(piece!);
      }
      if (jobs.length > 0 || fill === 0) {
        while (n - o > pieceLength) {
          jobs.push(chunk.subarray(o, o + pieceLength));
          o += pieceLength;
        }
      }
      for (let j = 0; j < jobs.length; j += PARALLEL) {
        const batch = jobs.slice(j, j + PARALLEL);
        const results = await Promise.allSettled(batch.map((sealed, k) => openInnerSegment(key, index + k, sealed)));
        // In order: release what authenticated up to the first failure, then fail.
        for (const r of results) {
          if (r.status === "rejected") throw r.reason;
          controller.enqueue(r.value);
          index++;
        }
      }
      if (jobs.length > 0) fill = 0;
      // Hold the rest (1 … s + 16 bytes): it may be the final piece.
      if (o < n) {
        piece ??= new Uint8Array(pieceLength); // the header bounds it: ≤ 16 MiB + 16
        piece.set(chunk.subarray(o), fill);
        fill += n - o;
      }
    },
    async flush(controller) {
      if (!opened) {
        checkMagic(header.subarray(0, headerFill), true);
        throw truncated("header", { size: headerFill, headerLength: HEADER_LENGTH });
      }
      if (index === 0 && fill === 0) throw truncated("no-payload");
      controller.enqueue(await openFinalSegment(opened.payloadKey, index, piece!.subarray(0, fill), pieceLength));
      piece = null;
    },
  });
}

/** One-shot decryption of a container held in memory (same code path as the stream). */
export function decrypt(container: Uint8Array, unlock: Unlocker, cacheOrOptions?: CacheOrOptions): Promise<Uint8Array> {
  return collect(once(container).pipeThrough(decryptStream(unlock, cacheOrOptions)));
}
