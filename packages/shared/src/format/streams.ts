/**
 * Reading Web Streams of bytes: the one loop over `getReader()` the core shares. A consumer
 * that stops early (an error, a limit, a `break`) cancels the stream, so the object, file or
 * socket behind it is never left open; the lock is always released.
 */
import { concatBytes } from "./bytes.ts";

/** Yields the stream's chunks in order; cancels the stream if the loop ends early. */
export async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value;
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * The whole stream in one array — for small objects (manifests, test data), never volumes.
 * With `maxBytes`, stops reading (and cancels) as soon as the stream passes it and throws
 * what `tooLarge()` returns.
 */
export async function readAllBytes(
  stream: ReadableStream<Uint8Array>,
  limit?: { maxBytes: number; tooLarge: () => Error },
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of streamChunks(stream)) {
    n += chunk.length;
    if (limit && n > limit.maxBytes) throw limit.tooLarge();
    parts.push(chunk);
  }
  return concatBytes(parts);
}
