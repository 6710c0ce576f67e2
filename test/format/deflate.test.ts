import { describe, expect, it } from "vitest";
import zlib from "node:zlib";
import { inflateSync } from "fflate";
import { availableParallelism } from "node:os";
import { createDeflater, DEFLATE_BLOCK, defaultDeflateEngine, MIN_BLOCKS_LEVEL } from "@cofre/shared/format/zip/deflate.ts";
import { concatBytes } from "@cofre/shared/format/bytes.ts";

/** CSV-like text with some entropy, so matches and literals both occur. */
function csv(bytes: number, seed = 1): Uint8Array {
  const out = new Uint8Array(bytes);
  let s = seed;
  let o = 0;
  const enc = new TextEncoder();
  while (o < bytes) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const row = enc.encode(`${s % 100000},2026-11-${(s % 28) + 1},consulta,Paciente ${s % 997} relata dor leve; obs ${s.toString(16)}\n`);
    out.set(row.subarray(0, Math.min(row.length, bytes - o)), o);
    o += row.length;
  }
  return out;
}

async function deflate(data: Uint8Array, threads: number, chunk: number, level = 6): Promise<Uint8Array> {
  const d = createDeflater(level, { engine: "zlib-blocks", threads });
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += chunk) out.push(...await d.push(data.subarray(o, o + chunk)));
  out.push(...await d.finish());
  return concatBytes(out);
}

describe("block deflater (zlib-blocks engine)", () => {
  const sizes = [0, 1, 511, 32 * 1024, DEFLATE_BLOCK - 1, DEFLATE_BLOCK, DEFLATE_BLOCK + 1, 3 * DEFLATE_BLOCK + 12345];

  it("round-trips through zlib and fflate at block boundaries ±1", async () => {
    for (const n of sizes) {
      const data = csv(n, n + 7);
      const z = await deflate(data, 2, 256 * 1024);
      expect(Buffer.from(zlib.inflateRawSync(z)).equals(Buffer.from(data)), `zlib, ${n} bytes`).toBe(true);
      expect(Buffer.from(inflateSync(z)).equals(Buffer.from(data)), `fflate, ${n} bytes`).toBe(true);
    }
  });

  it("gives the same bytes whatever the thread count and the chunking", async () => {
    const data = csv(3 * DEFLATE_BLOCK + 999, 42);
    const ref = await deflate(data, 1, 256 * 1024);
    for (const [threads, chunk] of [[2, 256 * 1024], [4, 7919], [3, DEFLATE_BLOCK + 3]] as const) {
      expect(Buffer.from(await deflate(data, threads, chunk)).equals(Buffer.from(ref)), `threads ${threads}, chunk ${chunk}`).toBe(true);
    }
  });

  it("costs under 1 % of size against one deflate stream (blocks are primed with the previous 32 KiB)", async () => {
    const data = csv(4 * DEFLATE_BLOCK, 3);
    for (const level of [1, 6]) {
      const blocks = (await deflate(data, 2, 256 * 1024, level)).length;
      const whole = zlib.deflateRawSync(data, { level }).length;
      expect(blocks / whole, `level ${level}`).toBeLessThan(1.01);
    }
  });
});

describe("single-stream deflater (zlib engine)", () => {
  it("accepts up to 1 MiB ahead of zlib, so the caller hashes while zlib deflates, and round-trips", async () => {
    const data = csv(2 * DEFLATE_BLOCK + 777, 9);
    const d = createDeflater(9, "zlib");
    const chunk = 256 * 1024;
    const out: Uint8Array[] = [];
    // Had any push waited for zlib (a thread-pool callback, a later turn of the event loop), this
    // immediate would have run first; these three (768 KiB) must return within the same turn.
    let waited = false;
    const marker = setImmediate(() => (waited = true));
    for (let i = 0; i < 3; i++) expect(await d.push(data.subarray(i * chunk, (i + 1) * chunk)), `push ${i}`).toEqual([]);
    expect(waited, "a push waited for zlib").toBe(false);
    clearImmediate(marker);
    for (let o = 3 * chunk; o < data.length; o += chunk) out.push(...await d.push(data.subarray(o, o + chunk)));
    const rest = await d.finish();
    const z = concatBytes([...out, ...rest]);
    expect(Buffer.from(zlib.inflateRawSync(z)).equals(Buffer.from(data))).toBe(true);
  });
});

describe("default engine", () => {
  it("is zlib-blocks on Node from level 4 with 2 cores or more, one zlib stream below", () => {
    expect(MIN_BLOCKS_LEVEL).toBe(1);
    expect(defaultDeflateEngine(0), "level 0").toBe("zlib");
    for (const level of [1, 2, 4, 6, 9]) expect(defaultDeflateEngine(level), `level ${level}`).toBe(availableParallelism() >= 2 ? "zlib-blocks" : "zlib");
  });
});
