/**
 * Raw-deflate engines for ZIP entries (RFC 1951, what ZIP method 8 stores). Two, same output
 * format, chosen by measurement (docs/benchmarks.md): `node:zlib`, which Node and Deno both
 * provide natively and which runs off the JavaScript thread, and fflate, pure JavaScript,
 * the fallback wherever `node:zlib` is missing.
 */
import zlib from "node:zlib";
import { Deflate as FflateDeflate, Inflate as FflateInflate } from "fflate";

export type DeflateEngineName = "zlib" | "fflate";

/** One entry's compressor: push plaintext, get compressed bytes back, in order. */
export interface Deflater {
  push(chunk: Uint8Array): Promise<Uint8Array[]>;
  finish(): Promise<Uint8Array[]>;
}

export function createDeflater(level: number, engine: DeflateEngineName = defaultEngine()): Deflater {
  return engine === "zlib" ? zlibDeflater(level) : fflateDeflater(level);
}

function defaultEngine(): DeflateEngineName {
  return typeof zlib.createDeflateRaw === "function" ? "zlib" : "fflate";
}

function fflateDeflater(level: number): Deflater {
  let out: Uint8Array[] = [];
  const d = new FflateDeflate({ level: level as 6 }, (data) => {
    if (data.length) out.push(data);
  });
  const take = () => {
    const r = out;
    out = [];
    return r;
  };
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

function zlibDeflater(level: number): Deflater {
  return zlibStep(zlib.createDeflateRaw({ level }));
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

export function createInflater(engine: DeflateEngineName = defaultEngine()): Inflater {
  return engine === "zlib" ? zlibInflater() : fflateInflater();
}

function fflateInflater(): Inflater {
  let out: Uint8Array[] = [];
  let ended = false;
  const i = new FflateInflate((data, final) => {
    if (data.length) out.push(data);
    if (final) ended = true;
  });
  const take = () => {
    const r = out;
    out = [];
    return r;
  };
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
