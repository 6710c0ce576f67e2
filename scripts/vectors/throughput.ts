/**
 * Throughput of the encryption container on this machine, for Node and Deno alike:
 *   npx tsx scripts/vectors/throughput.ts [MiB]
 *   node_modules/.bin/deno run scripts/vectors/throughput.ts [MiB]
 * Encrypts and decrypts N MiB (default 64) in 64 KiB segments, fed in 64 KiB and in 1 MiB
 * chunks, then reads the plaintext back through random access; prints MB/s (10^6 bytes/s).
 */
import process from "node:process";
import {
  createBackupKey, decryptingRandomAccess, decryptStream, encryptStream, type BackupKey,
} from "../../packages/shared/src/format/crypto/mod.ts";
import type { RandomAccess } from "../../packages/shared/src/format/zip/reader.ts";

const MiB = 1024 * 1024;
const total = Number(process.argv[2] ?? 64) * MiB;
const runtime = "Deno" in globalThis ? `Deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno!.version.deno}` : `Node ${process.version}`;

function source(chunk: number): ReadableStream<Uint8Array> {
  const block = new Uint8Array(chunk);
  for (let i = 0; i < chunk; i++) block[i] = (i * 2654435761) >>> 24;
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= total) return c.close();
      const n = Math.min(chunk, total - sent);
      c.enqueue(n === chunk ? block.slice() : block.slice(0, n));
      sent += n;
    },
  });
}

async function drain(stream: ReadableStream<Uint8Array>, keep: Uint8Array[] | null): Promise<number> {
  let n = 0;
  const r = stream.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) return n;
    n += value.length;
    keep?.push(value);
  }
}

function rechunk(parts: Uint8Array[], chunk: number): ReadableStream<Uint8Array> {
  let i = 0;
  let o = 0;
  return new ReadableStream({
    pull(c) {
      const out: Uint8Array[] = [];
      let n = 0;
      while (n < chunk && i < parts.length) {
        const p = parts[i]!;
        const take = Math.min(chunk - n, p.length - o);
        out.push(p.subarray(o, o + take));
        n += take;
        o += take;
        if (o === p.length) {
          i++;
          o = 0;
        }
      }
      if (n === 0) return c.close();
      if (out.length === 1) c.enqueue(out[0]!);
      else {
        const b = new Uint8Array(n);
        let k = 0;
        for (const x of out) {
          b.set(x, k);
          k += x.length;
        }
        c.enqueue(b);
      }
    },
  });
}

const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);

async function measure(key: BackupKey, chunk: number) {
  const sealed: Uint8Array[] = [];
  let t = performance.now();
  await drain(source(chunk).pipeThrough(encryptStream(key)), sealed);
  const enc = performance.now() - t;
  t = performance.now();
  const n = await drain(rechunk(sealed, chunk).pipeThrough(decryptStream(key)), null);
  const dec = performance.now() - t;
  if (n !== total) throw new Error("size mismatch");
  console.log(`${runtime}  chunks ${chunk / 1024} KiB  encrypt ${mbps(total, enc)} MB/s  decrypt ${mbps(total, dec)} MB/s`);
  return sealed;
}

const key = await createBackupKey("throughput", { iterations: 100_000 });
let t = performance.now();
await createBackupKey("throughput", { iterations: 600_000 });
console.log(`${runtime}  createBackupKey at 600,000 iterations: ${(performance.now() - t).toFixed(0)} ms`);
await measure(key, 64 * 1024); // warm-up
await measure(key, 64 * 1024);
const sealed = await measure(key, MiB);

const whole = new Uint8Array(sealed.reduce((n, p) => n + p.length, 0));
let o = 0;
for (const p of sealed) {
  whole.set(p, o);
  o += p.length;
}
const access: RandomAccess = {
  size: whole.length,
  read: async (off, len) => whole.slice(off, off + len),
  async *stream(off, len) {
    for (let x = off; x < off + len; x += MiB) yield whole.slice(x, Math.min(x + MiB, off + len));
  },
};
const ra = await decryptingRandomAccess(access, key);
t = performance.now();
let got = 0;
for await (const c of ra.stream(0, ra.size)) got += c.length;
console.log(`${runtime}  random access, whole plaintext via stream(): ${mbps(got, performance.now() - t)} MB/s`);
