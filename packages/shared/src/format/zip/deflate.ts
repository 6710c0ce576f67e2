/**
 * Raw-deflate engines for ZIP entries (RFC 1951, what ZIP method 8 stores). Two, same output
 * format, chosen by measurement (docs/benchmarks.md): `node:zlib`, which Node and Deno both
 * provide natively and which runs off the JavaScript thread, and fflate, pure JavaScript,
 * the fallback wherever `node:zlib` is missing.
 */
import zlib from "node:zlib";
import { Deflate as FflateDeflate } from "fflate";

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
  const d = zlib.createDeflateRaw({ level });
  let out: Uint8Array[] = [];
  let failure: unknown = null;
  d.on("data", (c: Uint8Array) => out.push(c));
  d.on("error", (e) => (failure = e));
  const ended = new Promise<void>((resolve) => d.on("end", resolve));
  const take = () => {
    if (failure) throw failure;
    const r = out;
    out = [];
    return r;
  };
  return {
    push: async (chunk) => {
      // Backpressure: wait for the compressor when its buffer is full, so memory stays bounded.
      if (!d.write(chunk)) await new Promise<void>((r) => d.once("drain", r));
      return take();
    },
    finish: async () => {
      d.end();
      await ended;
      return take();
    },
  };
}
