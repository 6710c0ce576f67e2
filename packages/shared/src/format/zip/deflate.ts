/**
 * Raw-deflate engines for ZIP entries (RFC 1951, what ZIP method 8 stores), same output
 * format, chosen by measurement (docs/benchmarks.md):
 *
 * - `zlib`: one `node:zlib` deflate stream per entry, on one core (libuv's thread pool), up to
 *   STREAM_AHEAD bytes ahead of the JavaScript thread so hashing overlaps deflate. The default
 *   on Deno (the edge path, single-threaded by design) and on Node below level 4.
 * - `zlib-blocks` (the default on Node at level ≥ 1 with ≥ 2 cores): the entry is deflated in
 *   independent blocks of DEFLATE_BLOCK bytes, as pigz does — each block primed with the
 *   previous block's last 32 KiB (so matches reach across the boundary; < 1 % of size) and
 *   ended with a sync flush, the last one with the final-block bit; their concatenation is
 *   one ordinary deflate stream any inflater reads. Each block goes to its own zlib stream,
 *   which on Node runs on libuv's thread pool: up to `threads` blocks compress at once on
 *   other cores while the JavaScript thread hashes, and come back in order. Block boundaries
 *   depend only on the entry's bytes, never on chunking or `threads`, so the output is
 *   deterministic. Live memory: at most `threads + 1` input blocks (reused) and their output
 *   chunks, handed on as zlib emits them (no concatenated copy: that copy was the +10–36 MiB
 *   of peak RSS the one-shot API cost). Not for Deno: there zlib runs on the JavaScript
 *   thread (no gain) and cost +36 MiB at 1 GiB.
 * - `fflate`: pure JavaScript, the fallback wherever `node:zlib` is missing.
 */
import zlib from "node:zlib";
import { availableParallelism } from "node:os";
import { Deflate as FflateDeflate, Inflate as FflateInflate } from "fflate";

export type DeflateEngineName = "zlib-blocks" | "zlib" | "fflate";

/** Plaintext bytes per independently deflated block (see above). */
export const DEFLATE_BLOCK = 1024 * 1024;
/** Deflate's window: how much of the previous block primes the next one. */
const WINDOW = 32 * 1024;

/**
 * Plaintext the single-stream engine accepts ahead of zlib: `push` resolves at once until this
 * much waits, so the JavaScript thread hashes the next chunks while zlib deflates these on
 * libuv's thread pool (the default 16 KiB made every 256 KiB push wait for zlib: no overlap).
 */
const STREAM_AHEAD = 1024 * 1024;

/**
 * One entry's compressor: push plaintext, get compressed bytes back, in order. `push` may keep
 * a reference to `chunk` until zlib has read it (up to STREAM_AHEAD bytes past the call), so a
 * caller must not modify a chunk once pushed (the engine's sources hand over fresh buffers).
 */
export interface Deflater {
  push(chunk: Uint8Array): Promise<Uint8Array[]>;
  finish(): Promise<Uint8Array[]>;
}

export interface DeflaterOptions {
  engine?: DeflateEngineName;
  /** Blocks compressed at once (`zlib-blocks`); default every core, at most 4. */
  threads?: number;
}

export function createDeflater(level: number, opts: DeflateEngineName | DeflaterOptions = {}): Deflater {
  const o = typeof opts === "string" ? { engine: opts } : opts;
  switch (o.engine ?? defaultDeflateEngine(level)) {
    case "zlib-blocks":
      return blockDeflater(level, o.threads ?? Math.max(1, Math.min(4, availableParallelism())));
    case "zlib":
      // zlib streams are Transforms: stream options pass through, though ZlibOptions omits them.
      return zlibStep(zlib.createDeflateRaw({ level, writableHighWaterMark: STREAM_AHEAD } as zlib.ZlibOptions));
    case "fflate":
      return fflateDeflater(level);
  }
}

/**
 * The engine for an entry when the caller names none:
 * - Deno (the edge path): one zlib stream — single-threaded by design (its budget is CPU time
 *   per invocation; Deno's one-shot zlib calls run on the JavaScript thread, no gain).
 * - Node (CLI, worker) at level ≥ MIN_BLOCKS_LEVEL with ≥ 2 cores: `zlib-blocks`, so deflate
 *   uses the other core. At levels 1–2 too: one stream overlapped with the hashing reached only
 *   78–88 % of node:zlib alone in wall time; in blocks 105–109 % (docs/benchmarks.md, quiet run).
 *   Level 0 (no compression) stays one stream.
 * - elsewhere one zlib stream; fflate where node:zlib is missing.
 */
export function defaultDeflateEngine(level = 6): DeflateEngineName {
  if (typeof zlib.createDeflateRaw !== "function") return "fflate";
  if ("Deno" in globalThis) return "zlib";
  return level >= MIN_BLOCKS_LEVEL && availableParallelism() >= 2 ? "zlib-blocks" : "zlib";
}

/** Lowest level at which Node deflates in parallel blocks by default (docs/format.md §5). */
export const MIN_BLOCKS_LEVEL = 1;

/** Collects what an fflate stream emits between calls; `take` hands it over and starts afresh. */
function chunkCollector() {
  let out: Uint8Array[] = [];
  return {
    add(data: Uint8Array) {
      if (data.length) out.push(data);
    },
    take(): Uint8Array[] {
      const r = out;
      out = [];
      return r;
    },
  };
}

function fflateDeflater(level: number): Deflater {
  const { add, take } = chunkCollector();
  const d = new FflateDeflate({ level: level as 6 }, (data) => add(data));
  return {
    push: async (chunk) => {
      d.push(chunk, false);
      return take();
    },
    finish: async () => {
      d.push(new Uint8Array(0), true);
      return take();
    },
  };
}

interface Block {
  /** Compressed chunks as zlib emits them (16 KiB each), handed on without concatenation. */
  out: Promise<Uint8Array[]>;
  done: boolean;
}

function blockDeflater(level: number, threads: number): Deflater {
  const limit = Math.max(1, threads);
  const queue: Block[] = [];
  let failure: { error: unknown } | null = null;
  /** Input buffers zlib has finished with, reused: no 1 MiB allocation per block (peak RSS). */
  const spare: Uint8Array[] = [];
  /** The block being filled; taken from `spare` (or allocated) when the first byte arrives. */
  let block: Uint8Array | null = null;
  let filled = 0;
  /** The last WINDOW bytes of the previous block (a copy: blocks are handed to zlib). */
  let dictionary: Uint8Array | null = null;

  const dispatch = (last: boolean) => {
    const buffer = block;
    const input = buffer ? buffer.subarray(0, filled) : new Uint8Array(0);
    const options: zlib.ZlibOptions = {
      level,
      finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
    };
    if (dictionary) options.dictionary = dictionary;
    const b: Block = { done: false, out: null as unknown as Promise<Uint8Array[]> };
    // One stream per block rather than the one-shot `zlib.deflateRaw`: the one-shot concatenates
    // its 16 KiB chunks into a second copy of the output, garbage V8 frees late (measured on 280 MB
    // of hex text, 2 threads: peak RSS 108 MiB one-shot, 94 streamed, 85 one stream per entry).
    b.out = new Promise<Uint8Array[]>((resolve, reject) => {
      const chunks: Uint8Array[] = [];
      const d = zlib.createDeflateRaw(options);
      d.on("data", (c: Uint8Array) => chunks.push(c));
      d.on("error", (e) => {
        b.done = true;
        reject(e);
      });
      d.on("end", () => {
        b.done = true;
        if (buffer) spare.push(buffer);
        resolve(chunks);
      });
      d.end(input);
    });
    b.out.catch((error) => (failure ??= { error }));
    queue.push(b);
    dictionary = input.length >= WINDOW ? input.slice(input.length - WINDOW) : null;
    block = null;
    filled = 0;
  };
  /** Takes finished blocks off the head of the queue, in order; waits while more than `keep` are pending. */
  const drain = async (keep: number): Promise<Uint8Array[]> => {
    const ready: Uint8Array[] = [];
    while (queue.length > 0 && (queue.length > keep || queue[0]!.done)) {
      for (const c of await queue.shift()!.out) if (c.length) ready.push(c);
    }
    if (failure) throw failure.error;
    return ready;
  };
  return {
    push: async (chunk) => {
      if (failure) throw failure.error;
      const ready: Uint8Array[] = [];
      let o = 0;
      while (o < chunk.length) {
        block ??= spare.pop() ?? new Uint8Array(DEFLATE_BLOCK);
        const n = Math.min(chunk.length - o, DEFLATE_BLOCK - filled);
        block.set(chunk.subarray(o, o + n), filled);
        filled += n;
        o += n;
        if (filled === DEFLATE_BLOCK) {
          dispatch(false);
          // However large the chunk, no more than `limit` blocks wait for zlib: with the one
          // being filled, at most `threads + 1` input blocks exist (reused) plus their output.
          ready.push(...await drain(limit));
        }
      }
      ready.push(...await drain(limit));
      return ready;
    },
    finish: async () => {
      dispatch(true);
      return drain(0);
    },
  };
}

/**
 * Drives a node:zlib stream one step at a time: `push` writes and, when the stream's buffer
 * is full, waits for it (so memory stays bounded); a zlib error — corrupt input, say —
 * rejects the pending and every later call instead of leaving them waiting.
 */
function zlibStep(d: zlib.DeflateRaw | zlib.InflateRaw): Deflater & Inflater {
  let out: Uint8Array[] = [];
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  d.on("data", (c: Uint8Array) => out.push(c));
  d.on("drain", () => wake?.());
  d.on("error", (e) => {
    failure = e;
    wake?.();
  });
  const ended = new Promise<void>((resolve) => {
    d.on("end", resolve);
    d.on("error", () => resolve());
  });
  const take = () => {
    if (failure) throw failure;
    const r = out;
    out = [];
    return r;
  };
  return {
    push: async (chunk) => {
      if (!d.write(chunk) && !failure) await new Promise<void>((r) => (wake = r));
      wake = null;
      return take();
    },
    finish: async () => {
      d.end();
      await ended;
      return take();
    },
  };
}

/** One entry's decompressor: push compressed bytes, get plaintext back, in order. */
export interface Inflater {
  push(chunk: Uint8Array): Promise<Uint8Array[]>;
  /** Rejects if the deflate stream is incomplete or corrupt. */
  finish(): Promise<Uint8Array[]>;
}

export function createInflater(engine: DeflateEngineName = defaultDeflateEngine()): Inflater {
  return engine === "fflate" ? fflateInflater() : zlibInflater();
}

function fflateInflater(): Inflater {
  const { add, take } = chunkCollector();
  let ended = false;
  const i = new FflateInflate((data, final) => {
    add(data);
    if (final) ended = true;
  });
  return {
    push: async (chunk) => {
      i.push(chunk, false);
      return take();
    },
    finish: async () => {
      i.push(new Uint8Array(0), true);
      if (!ended) throw new Error("incomplete deflate stream");
      return take();
    },
  };
}

function zlibInflater(): Inflater {
  return zlibStep(zlib.createInflateRaw());
}
