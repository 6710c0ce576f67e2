/**
 * Sealing: plaintext in, a container out (docs/format-encryption.md §4). Streaming, holding at most one
 * segment of plaintext beside the chunk being written: a full segment is sealed as
 * non-last only once a further byte arrives, so the last segment is flagged exactly once.
 */
import { concatBytes } from "../bytes.ts";
import { readAllBytes } from "../streams.ts";
import { DEFAULT_SEGMENT_SIZE, MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, NONCE_BASE_LENGTH } from "./constants.ts";
import { invalidInput } from "./failures.ts";
import { encodeHeaderBody } from "./header.ts";
import { BackupKey, containerKeys } from "./key.ts";
import { gcmSeal, hmacSign, secureRandom, segmentNonce, type Random } from "./primitives.ts";

export interface EncryptOptions {
  /** Plaintext bytes per segment, 1 KiB … 16 MiB; default 64 KiB. */
  segmentSize?: number | undefined;
  /** Random source for the nonce base (16 bytes). Tests and vectors only. */
  random?: Random | undefined;
}

/** Segments sealed at once from one large chunk (Web Crypto calls overlap; order is kept). */
const PARALLEL = 16;

/** A TransformStream that turns plaintext into one container sealed with `key`. */
export function encryptStream(key: BackupKey, opts: EncryptOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  if (!(key instanceof BackupKey)) throw invalidInput("encryptStream needs a BackupKey");
  const s = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  if (!Number.isSafeInteger(s) || s < MIN_SEGMENT_SIZE || s > MAX_SEGMENT_SIZE) {
    throw invalidInput(`segment size must be an integer from ${MIN_SEGMENT_SIZE} to ${MAX_SEGMENT_SIZE}`, { segmentSize: s });
  }
  const random = opts.random ?? secureRandom;
  let payloadKey: CryptoKey;
  let pending: Uint8Array | null = null;
  let fill = 0;
  let index = 0;
  const seal = (data: Uint8Array, last: boolean) => gcmSeal(payloadKey, segmentNonce(index++, last), data);

  return new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      const nonceBase = random(NONCE_BASE_LENGTH).slice(0, NONCE_BASE_LENGTH);
      if (nonceBase.length !== NONCE_BASE_LENGTH) throw invalidInput("random source returned too few bytes");
      const keys = await containerKeys(key, nonceBase);
      payloadKey = keys.payload;
      const body = encodeHeaderBody(key, nonceBase, s);
      controller.enqueue(concatBytes([body, await hmacSign(keys.header, body)]));
    },
    async transform(chunk, controller) {
      const n = chunk.length;
      if (n === 0) return;
      // Every segment this chunk completes and that more plaintext follows: the held one (if
      // full), then whole segments straight from the chunk, each followed by at least one more byte.
      const jobs: Uint8Array[] = [];
      let o = 0;
      if (fill === s) jobs.push(pending!);
      else if (fill > 0) {
        const take = Math.min(s - fill, n);
        pending!.set(chunk.subarray(0, take), fill);
        fill += take;
        o = take;
        if (fill === s && o < n) jobs.push(pending!);
      }
      if (jobs.length > 0 || fill === 0) {
        while (n - o > s) {
          jobs.push(chunk.subarray(o, o + s));
          o += s;
        }
      }
      for (let j = 0; j < jobs.length; j += PARALLEL) {
        const sealed = await Promise.all(jobs.slice(j, j + PARALLEL).map((data) => seal(data, false)));
        for (const c of sealed) controller.enqueue(c);
      }
      if (jobs.length > 0) fill = 0;
      // Hold the rest (1 … s bytes): it may be the last segment.
      if (o < n) {
        pending ??= new Uint8Array(s);
        pending.set(chunk.subarray(o), fill);
        fill += n - o;
      }
    },
    async flush(controller) {
      // The last segment: 1 … s bytes, or 0 only when the whole plaintext is empty.
      controller.enqueue(await seal(pending ? pending.subarray(0, fill) : new Uint8Array(0), true));
      pending = null;
    },
  });
}

/** One-shot sealing of a plaintext held in memory (same code path as the stream). */
export async function encrypt(key: BackupKey, plaintext: Uint8Array, opts: EncryptOptions = {}): Promise<Uint8Array> {
  return collect(once(plaintext).pipeThrough(encryptStream(key, opts)));
}

/** A stream of one chunk. */
export function once(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

/** The whole output of a (small, in-memory) stream. */
export const collect = readAllBytes;
