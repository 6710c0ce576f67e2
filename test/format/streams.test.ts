import { describe, expect, it } from "vitest";
import { readAllBytes, streamChunks } from "@cofre/shared/format/streams.ts";

/** A stream of `n` chunks of `size` bytes that records whether it was cancelled. */
function source(n: number, size: number) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (state.pulled === n) return c.close();
      c.enqueue(new Uint8Array(size).fill(state.pulled++));
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

describe("format/streams", () => {
  it("yields every chunk in order and leaves a finished stream uncancelled", async () => {
    const { stream, state } = source(5, 3);
    const seen: number[] = [];
    for await (const c of streamChunks(stream)) seen.push(c[0]!);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(state.cancelled).toBe(false);
    expect(stream.locked).toBe(false);
  });

  it("cancels the stream when the consumer stops early, and releases it", async () => {
    const { stream, state } = source(100, 3);
    for await (const c of streamChunks(stream)) if (c[0] === 2) break;
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(5);
    expect(stream.locked).toBe(false);
  });

  it("readAllBytes concatenates, and stops reading past maxBytes with the caller's error", async () => {
    expect(Array.from(await readAllBytes(source(3, 2).stream))).toEqual([0, 0, 1, 1, 2, 2]);
    const { stream, state } = source(1000, 1024);
    await expect(readAllBytes(stream, { maxBytes: 4096, tooLarge: () => new Error("too large") })).rejects.toThrow("too large");
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThanOrEqual(6);
  });
});
