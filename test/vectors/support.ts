/**
 * Helpers the encryption tests share on Node (vitest) and Deno (Deno.test): a seeded PRNG,
 * chunked feeding of a stream, in-memory random access, and reading test vectors from disk.
 * Runtime-neutral: Web APIs and node: modules both runtimes have.
 */
import { readdirSync, readFileSync } from "node:fs";
import { CofreError } from "../../packages/shared/src/errors.ts";
import { concatBytes } from "../../packages/shared/src/format/bytes.ts";
import { streamChunks } from "../../packages/shared/src/format/streams.ts";
import type { RandomAccess } from "../../packages/shared/src/format/zip/reader.ts";
import { parseVector, VECTOR_EXTENSION, type Vector } from "../../scripts/vectors/format.ts";

export const VECTOR_DIR = new URL("./enc/", import.meta.url);

export function loadVectors(): Vector[] {
  return readdirSync(VECTOR_DIR)
    .filter((f) => f.endsWith(VECTOR_EXTENSION))
    .sort()
    .map((f) => parseVector(f.slice(0, -VECTOR_EXTENSION.length), readFileSync(new URL(f, VECTOR_DIR), "utf8")));
}

/** mulberry32: small, seeded, good enough to pick chunk sizes and offsets. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

/** A stream of `bytes` cut into chunks whose sizes `nextSize` picks (each ≥ 1). */
export function chunkedStream(bytes: Uint8Array, nextSize: () => number): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (o >= bytes.length) {
        c.close();
        return;
      }
      const n = Math.max(1, nextSize());
      c.enqueue(bytes.slice(o, o + n));
      o += n;
    },
  });
}

export interface StreamOutcome {
  /** Everything the transform released, in order. */
  output: Uint8Array;
  error?: unknown;
}

/** Pipes `input` through `transform`, collecting output until the end or the first error. */
export async function runThrough(input: ReadableStream<Uint8Array>, transform: TransformStream<Uint8Array, Uint8Array>): Promise<StreamOutcome> {
  const parts: Uint8Array[] = [];
  try {
    for await (const value of streamChunks(input.pipeThrough(transform))) parts.push(value);
  } catch (error) {
    return { output: concatBytes(parts), error };
  }
  return { output: concatBytes(parts) };
}

/** "success", or "CODE" / "CODE (check)" of a CofreError; anything else is rethrown. */
export function outcomeOf(error: unknown): string {
  if (error === undefined) return "success";
  if (error instanceof CofreError) {
    const check = error.details.check;
    return typeof check === "string" ? `${error.code} (${check})` : error.code;
  }
  throw error;
}

export function expected(v: Vector): string {
  return v.check ? `${v.expect} (${v.check})` : v.expect;
}

/** Random access to bytes in memory; a read past the end is TRUNCATED, as the contract says. Counts reads. */
export function memoryAccess(bytes: Uint8Array, chunk = 4093): RandomAccess & { reads: { offset: number; length: number }[] } {
  const reads: { offset: number; length: number }[] = [];
  const check = (offset: number, length: number) => {
    reads.push({ offset, length });
    if (offset < 0 || length < 0 || offset + length > bytes.length) {
      throw new CofreError("TRUNCATED", { "pt-BR": "leitura além do fim", en: "read past the end" }, { details: { offset, length } });
    }
  };
  return {
    size: bytes.length,
    reads,
    async read(offset, length) {
      check(offset, length);
      return bytes.slice(offset, offset + length);
    },
    async *stream(offset, length) {
      check(offset, length);
      for (let o = offset; o < offset + length; o += chunk) yield bytes.slice(o, Math.min(o + chunk, offset + length));
    },
  };
}

export function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Rejects if `p` takes longer than `ms` (a hang is a failure, not a slow pass). */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
