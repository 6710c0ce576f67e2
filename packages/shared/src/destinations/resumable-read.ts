/**
 * A download that survives broken connections: a ReadableStream over "open the object at
 * byte offset N" (S3 ranged GET, FTP REST+RETR). When a source breaks, the next one opens
 * where the last delivered byte ended.
 *
 * Retries are progress-aware and go through withRetry, the one policy: each chunk handed
 * to the reader is one withRetry call, so reopening that delivers no byte uses up the
 * policy's attempts (with its backoff) and then fails with the typed error, while a transfer
 * that keeps moving forward gets a fresh budget after every chunk. A server that accepts the
 * control request but never delivers data (FTP 425, a refused data port) therefore fails
 * after `attempts` tries instead of reconnecting forever.
 */
import type { CofreError } from "../errors.ts";
import { withRetry, type RetryPolicy } from "./retry.ts";

/** One open transfer from some offset. */
export interface ReadSource {
  /** The next chunk, or null when this transfer ended. */
  read(): Promise<Uint8Array | null>;
  /** Releases the transfer; `completed` is true when every wanted byte was read from it. */
  close(completed: boolean): void | Promise<void>;
}

export interface ResumableReadOptions {
  /** The first offset to deliver. */
  start: number;
  /** Never deliver bytes at or past this offset; null: until a source ends. */
  end: number | null;
  /**
   * True when `end` is the exact end of the data (e.g. the size a stat returned): a source
   * that ends before it broke, and is reopened. False: a source's end is the data's end.
   */
  exactEnd: boolean;
  /** Opens a transfer at `at`; null means there is nothing at or past `at` (S3's 416). */
  open(at: number): Promise<ReadSource | null>;
  /** An already opened first transfer (so a missing object rejects `get` itself). */
  first?: ReadSource;
  /** Maps whatever a source throws to a CofreError; transient codes are retried. */
  classify(e: unknown): CofreError;
  /** The error for a transfer that ended at `pos`, before `end` (a transient code). */
  endedEarly(pos: number, end: number): CofreError;
  policy?: Partial<RetryPolicy>;
}

export function resumableRead(o: ResumableReadOptions): ReadableStream<Uint8Array> {
  let pos = o.start;
  let src: ReadSource | null = o.first ?? null;
  let finished = false;

  const drop = async (completed: boolean) => {
    const s = src;
    src = null;
    if (s) await Promise.resolve(s.close(completed)).catch(() => {});
  };

  /** The next non-empty chunk (trimmed to `end`), or null at the end; one withRetry budget. */
  const nextChunk = () =>
    withRetry(async () => {
      try {
        for (;;) {
          if (!src) {
            const opened = await o.open(pos);
            if (!opened) return null;
            src = opened;
          }
          const c = await src.read();
          if (c === null) {
            if (o.exactEnd && o.end !== null && pos < o.end) throw o.endedEarly(pos, o.end);
            return null;
          }
          if (c.length === 0) continue;
          return o.end !== null && pos + c.length > o.end ? c.subarray(0, o.end - pos) : c;
        }
      } catch (e) {
        await drop(false);
        throw o.classify(e);
      }
    }, { policy: o.policy });

  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      if (finished) return;
      try {
        const chunk = o.end !== null && pos >= o.end ? null : await nextChunk();
        if (chunk === null) {
          finished = true;
          await drop(true);
          controller.close();
          return;
        }
        pos += chunk.length;
        controller.enqueue(chunk);
        if (o.end !== null && pos >= o.end) {
          finished = true;
          await drop(true);
          controller.close();
        }
      } catch (e) {
        finished = true;
        await drop(false);
        controller.error(e);
      }
    },
    cancel: async () => {
      finished = true;
      await drop(false);
    },
  });
}
