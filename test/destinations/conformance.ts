/**
 * The conformance suite every destination adapter runs (after rclone's fstests and restic's
 * backend test suite): the same cases, against the real server or faithful fake, for every
 * kind. An adapter's test file hands a `ConformanceTarget` to `describeConformance`.
 *
 * Rules the suite enforces:
 * - Every case runs, or is listed in `limitations` with a non-empty reason that is printed as
 *   "known limitation: <case>: <reason>". A case that needs something the target does not
 *   offer (a `server` for TCP faults, `http` for HTTP faults, a `failing` destination for a
 *   connection-test class) fails, naming what to provide — nothing is skipped silently.
 * - Faults are real: TCP faults go through test/support/fault-proxy.ts in front of the real
 *   server (the adapter connects `via` it) and the suite asserts the fault fired; HTTP faults
 *   go through the `fetch` handed to `open`.
 * - After every failure: the error is a CofreError with a DESTINATION_* code (or the body's own
 *   error, for a body that failed), nothing is visible under the final key nor anywhere in the
 *   listing, and a fresh put then succeeds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { bytesStream, listAll, type ConnectionTestClass, type Destination, type ObjectInfo } from "@cofre/shared/destinations/contract.ts";
import { CofreError, isCofreError } from "@cofre/shared/errors.ts";
import { faultyFetch, startFaultProxy, type FaultProxy, type FaultyFetch } from "../support/fault-proxy.ts";

export interface ConformanceOpenOptions {
  /** HTTP kinds: send every request through this fetch (the suite's fault injector). */
  fetch?: typeof fetch;
  /** Connect here (a TCP fault proxy) instead of the real server's address. */
  via?: { host: string; port: number };
  /** Pass to the adapter as OpenContext.ioTimeoutMs (short in the stall/timeout cases). */
  ioTimeoutMs?: number;
}

export interface ConformanceTarget {
  name: string;
  /** A destination at a fresh, empty root (unique prefix/folder per call). */
  open(opts?: ConformanceOpenOptions): Promise<Destination>;
  /** The real server's address, so the suite can put a TCP fault proxy in front of it.
   *  `ftp: true` makes the proxy rewrite PASV/EPSV replies so data connections pass it too. */
  server?: { host: string; port: number; ftp?: boolean };
  /** True when `open({ fetch })` sends every request of the adapter through that fetch. */
  http?: boolean;
  /** The provider's error body for an injected HTTP status (default: a small JSON body). */
  httpErrorBody?: (status: number) => { body: string; contentType: string };
  /** Cases this adapter cannot pass, by exact case name (see CASE_NAMES), with the reason. */
  limitations?: Record<string, string>;
  /** For each connection-test class, a destination that fails that way. */
  failing?: Partial<Record<ConnectionTestClass, () => Promise<Destination>>>;
}

const KiB = 1024;
const MiB = 1024 * KiB;
/** More than two parts/chunks at the 8 MiB default of S3, Drive and Dropbox. */
const BIG = 17 * MiB;
/** Inside the second part/chunk: the first is stored, the upload/session is open. */
const MID_PART = 9 * MiB;
const FAILURE_CLASSES: ConnectionTestClass[] = ["authentication", "permission", "quota", "not_found", "network", "tls", "host_key"];

// ---------------------------------------------------------------------------------------------
// Generated bodies: deterministic pseudo-random bytes (incompressible), produced on demand so a
// 64 MiB object never exists in memory; the SHA-256 is computed on the way out.

export interface GeneratedBody {
  stream: ReadableStream<Uint8Array>;
  size: number;
  /** Bytes handed to the reader so far. */
  readonly produced: number;
  /** The reader cancelled the stream (what a failed put must do). */
  readonly cancelled: boolean;
  /** Every byte was read. */
  readonly finished: boolean;
  /** SHA-256 (hex) of the whole body, whether or not it was read. */
  sha256: string;
}

function fill(buf: Uint8Array, state: { x: number }) {
  const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
  let x = state.x;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < buf.length; i++) buf[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  state.x = x || 1;
}

/** `size` deterministic bytes for `seed`, in `chunk`-sized pieces; errors with `failAt` if set. */
export function generatedBody(size: number, seed: number, opts: { chunk?: number; failAt?: number } = {}): GeneratedBody {
  const chunk = opts.chunk ?? 256 * KiB;
  // The hash of the whole body, computed once up front with the same generator.
  const hash = createHash("sha256");
  {
    const st = { x: seed >>> 0 || 1 };
    const buf = new Uint8Array(chunk);
    for (let done = 0; done < size; done += chunk) {
      const n = Math.min(chunk, size - done);
      fill(buf.subarray(0, n), st);
      hash.update(buf.subarray(0, n));
    }
  }
  const state = { x: seed >>> 0 || 1 };
  const body = {
    size,
    produced: 0,
    cancelled: false,
    finished: false,
    sha256: hash.digest("hex"),
    stream: null as unknown as ReadableStream<Uint8Array>,
  };
  body.stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (opts.failAt !== undefined && body.produced >= opts.failAt) {
        c.error(new Error("generated body: the writer gave up (simulated abort)"));
        return;
      }
      const n = Math.min(chunk, size - body.produced);
      if (n <= 0) {
        body.finished = true;
        c.close();
        return;
      }
      const buf = new Uint8Array(n);
      fill(buf, state);
      body.produced += n;
      c.enqueue(buf);
    },
    cancel() {
      body.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return body;
}

/** All bytes of a generated body, for small ones (range checks). */
function generatedBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const st = { x: seed >>> 0 || 1 };
  const chunk = 256 * KiB;
  for (let done = 0; done < size; done += chunk) fill(out.subarray(done, Math.min(size, done + chunk)), st);
  return out;
}

/** Reads a stream to its end, hashing it; never holds more than one chunk. */
export async function hashStream(stream: ReadableStream<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    size += value.length;
  }
  return { sha256: hash.digest("hex"), size };
}

/** V8's gc(), made callable at run time (the same flag `node --expose-gc` sets). */
function exposedGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const enc = (s: string) => new TextEncoder().encode(s);

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
async function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

function describeErr(e: unknown): string {
  if (e instanceof CofreError) return `${e.code}: ${e.messages.en}`;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** A failure the adapter has classified: a CofreError with a DESTINATION_* code. */
function expectTyped(e: unknown) {
  expect(isCofreError(e), `expected a typed CofreError, got ${describeErr(e)}`).toBe(true);
  expect((e as CofreError).code).toMatch(/^DESTINATION_/);
}

async function keysOf(d: Destination, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const o of listAll(d, prefix)) out.push(o.key);
  return out;
}

/** After a failed put of `key`: nothing under it, and the listing is exactly `before`. */
async function expectNoPartial(d: Destination, key: string, before: string[]) {
  expect(await d.stat(key), `a partial object is visible under ${key}`).toBeNull();
  expect(await keysOf(d)).toEqual(before);
}

/** A put that met a fault either stored the whole body or failed typed, leaving nothing. */
async function expectWholeOrNothing(d: Destination, key: string, outcome: Settled<ObjectInfo>, body: GeneratedBody, before: string[]) {
  if (outcome.ok) {
    expect(outcome.value.size).toBe(body.size);
    expect(await hashStream(await d.get(key))).toEqual({ sha256: body.sha256, size: body.size });
    return;
  }
  expectTyped(outcome.error);
  expect(body.cancelled || body.finished, "a rejected put must cancel its body").toBe(true);
  await expectNoPartial(d, key, before);
}

/** Reading that met a fault either delivered every byte right or failed typed. */
async function expectWholeOrTypedRead(d: Destination, key: string, size: number, sha256: string) {
  const r = await settle(d.get(key).then(hashStream));
  if (r.ok) expect(r.value).toEqual({ sha256, size });
  else expectTyped(r.error);
}

// ---------------------------------------------------------------------------------------------

interface CaseContext {
  target: ConformanceTarget;
  /** A fresh destination; cleaned up after the case. */
  fresh(opts?: ConformanceOpenOptions): Promise<Destination>;
  /** A TCP fault proxy in front of target.server; closed after the case. */
  proxy(): Promise<FaultProxy>;
  /** A fault-injecting fetch; disarmed after the case. */
  faulty(): FaultyFetch;
}

type Needs = "server" | "http";
interface Case {
  name: string;
  needs?: Needs;
  timeoutMs?: number;
  run(c: CaseContext): Promise<void>;
}

const CASES: Case[] = [
  {
    name: "put/get round trip",
    async run({ fresh }) {
      const d = await fresh();
      const body = generatedBody(1 * MiB + 17, 1);
      const info = await d.put("a/b/vol-00001.bin", body.stream);
      expect(info).toMatchObject({ key: "a/b/vol-00001.bin", size: body.size });
      expect(await hashStream(await d.get("a/b/vol-00001.bin"))).toEqual({ sha256: body.sha256, size: body.size });
      await d.put("small.txt", bytesStream(enc("olá")));
      expect(new TextDecoder().decode(await readAll(await d.get("small.txt")))).toBe("olá");
    },
  },
  {
    name: "empty object",
    async run({ fresh }) {
      const d = await fresh();
      expect((await d.put("empty.bin", bytesStream(new Uint8Array(0)))).size).toBe(0);
      expect((await d.stat("empty.bin"))?.size).toBe(0);
      expect((await readAll(await d.get("empty.bin"))).length).toBe(0);
      expect(await keysOf(d)).toEqual(["empty.bin"]);
    },
  },
  {
    name: "range reads",
    async run({ fresh }) {
      const d = await fresh();
      const size = 1 * MiB + 123;
      const all = generatedBytes(size, 2);
      await d.put("r.bin", generatedBody(size, 2).stream);
      const ranges: Array<[number, number | undefined]> = [
        [0, 10], [500_000, 70_000], [size - 5, undefined], [size - 5, 100], [size, undefined], [size + 10, 4], [0, undefined],
      ];
      for (const [offset, length] of ranges) {
        const got = await readAll(await d.get("r.bin", length === undefined ? { offset } : { offset, length }));
        const want = all.subarray(Math.min(offset, size), length === undefined ? size : Math.min(size, offset + length));
        expect(got.length, `range ${offset}+${length}`).toBe(want.length);
        expect(Buffer.from(got).equals(Buffer.from(want)), `range ${offset}+${length} bytes`).toBe(true);
      }
    },
  },
  {
    name: "stat",
    async run({ fresh }) {
      const d = await fresh();
      const before = Date.now();
      await d.put("dir/s.bin", bytesStream(new Uint8Array(4321)));
      const s = await d.stat("dir/s.bin");
      expect(s).toMatchObject({ key: "dir/s.bin", size: 4321 });
      if (s!.modifiedAt !== null) expect(Math.abs(s!.modifiedAt.getTime() - before)).toBeLessThan(24 * 3600_000);
      expect(await d.stat("dir"), "a key prefix is not an object").toBeNull();
      expect(await d.stat("dir/missing.bin")).toBeNull();
    },
  },
  {
    name: "list with paging",
    async run({ fresh }) {
      const d = await fresh();
      const keys = ["p/a", "p/b", "p/c", "p/d", "p/sub/e", "pq", "q/x"];
      for (const [i, k] of [...keys].reverse().entries()) await d.put(k, bytesStream(new Uint8Array(i + 1)));
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const page = await d.list("p/", { cursor, limit: 2 });
        expect(page.objects.length).toBeLessThanOrEqual(2);
        pages.push(page.objects.map((o) => o.key));
        cursor = page.cursor;
        expect(pages.length, "paging never ends").toBeLessThan(10);
      } while (cursor !== null);
      expect(pages.length, "a limit of 2 over 5 objects takes several pages").toBeGreaterThan(1);
      expect(pages.flat()).toEqual(["p/a", "p/b", "p/c", "p/d", "p/sub/e"]);
      const sized = (await d.list("p/sub/")).objects;
      expect(sized).toEqual([expect.objectContaining({ key: "p/sub/e", size: 3 })]);
      expect(await keysOf(d, "p")).toEqual(["p/a", "p/b", "p/c", "p/d", "p/sub/e", "pq"]);
      expect(await keysOf(d)).toEqual(keys);
      expect(await d.list("zz/")).toEqual({ objects: [], cursor: null });
    },
  },
  {
    name: "remove",
    async run({ fresh }) {
      const d = await fresh();
      await d.put("x/gone.bin", bytesStream(enc("bye")));
      await d.put("x/stays.bin", bytesStream(enc("hi")));
      await d.remove("x/gone.bin");
      expect(await d.stat("x/gone.bin")).toBeNull();
      await expect(d.get("x/gone.bin")).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_NOT_FOUND"));
      await d.remove("x/gone.bin"); // removing a missing key is not an error
      expect(await keysOf(d)).toEqual(["x/stays.bin"]);
    },
  },
  {
    name: "overwrite",
    async run({ fresh }) {
      const d = await fresh();
      const long = generatedBody(600 * KiB, 3);
      const short = generatedBody(100 * KiB + 1, 4);
      await d.put("o.bin", long.stream);
      await d.put("o.bin", short.stream);
      expect(await hashStream(await d.get("o.bin"))).toEqual({ sha256: short.sha256, size: short.size });
      expect((await d.stat("o.bin"))?.size).toBe(short.size);
      expect(await keysOf(d)).toEqual(["o.bin"]);
    },
  },
  {
    name: "missing key",
    async run({ fresh }) {
      const d = await fresh();
      const notFound = (e: unknown) => isCofreError(e, "DESTINATION_NOT_FOUND");
      await expect(d.get("nope.bin")).rejects.toSatisfy(notFound);
      await expect(d.get("no/such/dir/nope.bin", { offset: 1, length: 2 })).rejects.toSatisfy(notFound);
      expect(await d.stat("nope.bin")).toBeNull();
      await d.remove("nope.bin");
      expect(await d.list("")).toEqual({ objects: [], cursor: null });
    },
  },
  {
    name: "invalid keys",
    async run({ fresh }) {
      const d = await fresh();
      for (const bad of ["../x", "/etc/passwd", "a/../../b", "a//b", ""]) {
        await expect(d.put(bad, bytesStream(enc("x"))), bad).rejects.toSatisfy((e: unknown) => isCofreError(e, "INVALID_INPUT"));
        await expect(d.get(bad), bad).rejects.toSatisfy((e: unknown) => isCofreError(e, "INVALID_INPUT"));
      }
    },
  },
  {
    name: "64 MiB streamed",
    timeoutMs: 180_000,
    async run({ fresh }) {
      const d = await fresh();
      const size = 64 * MiB;
      const body = generatedBody(size, 5);
      const gc = exposedGc();
      const live = () => {
        gc();
        const m = process.memoryUsage();
        return { live: m.heapUsed + m.arrayBuffers, rss: m.rss };
      };
      const base = live();
      const peak = { ...base };
      // Sampling after a full GC measures what the adapter holds, not garbage awaiting collection.
      const sampler = setInterval(() => {
        const m = live();
        peak.live = Math.max(peak.live, m.live);
        peak.rss = Math.max(peak.rss, m.rss);
      }, 100);
      try {
        const info = await d.put("big/vol-00001.bin", body.stream);
        expect(info.size).toBe(size);
        expect((await d.stat("big/vol-00001.bin"))?.size).toBe(size);
        expect(await hashStream(await d.get("big/vol-00001.bin"))).toEqual({ sha256: body.sha256, size });
      } finally {
        clearInterval(sampler);
      }
      const growth = { live: peak.live - base.live, rss: peak.rss - base.rss };
      console.info(`${d.kind}: 64 MiB up and down; peak growth: live ${(growth.live / MiB).toFixed(1)} MiB, RSS ${(growth.rss / MiB).toFixed(1)} MiB`);
      // Loose bounds: a buffered 64 MiB body is 64 MiB live; streaming holds a few chunks/parts.
      expect(growth.live, "live memory grew as if the object were buffered").toBeLessThan(40 * MiB);
      expect(growth.rss, "RSS grew as if the object were buffered").toBeLessThan(80 * MiB);
    },
  },
  {
    name: "abort mid-upload then fresh put",
    timeoutMs: 120_000,
    async run({ fresh }) {
      const d = await fresh();
      await d.put("keep.bin", bytesStream(enc("keep")));
      // BIG spans more than two parts/chunks: an abort at MID_PART meets an open multipart
      // upload or upload session with one part already stored.
      for (const failAt of [0, MID_PART]) {
        const body = generatedBody(BIG, 6, { failAt });
        await expect(d.put("vol.bin", body.stream), `abort at ${failAt}`).rejects.toBeTruthy();
        expect(body.produced, `the put stopped reading before byte ${failAt}`).toBeGreaterThanOrEqual(failAt);
        await expectNoPartial(d, "vol.bin", ["keep.bin"]);
      }
      const whole = generatedBody(BIG, 6);
      await d.put("vol.bin", whole.stream);
      expect(await hashStream(await d.get("vol.bin"))).toEqual({ sha256: whole.sha256, size: whole.size });
      // An aborted overwrite, mid-way through its second part, leaves the previous object intact.
      await expect(d.put("vol.bin", generatedBody(BIG, 7, { failAt: MID_PART }).stream)).rejects.toBeTruthy();
      expect(await hashStream(await d.get("vol.bin"))).toEqual({ sha256: whole.sha256, size: whole.size });
      expect(await keysOf(d)).toEqual(["keep.bin", "vol.bin"]);
    },
  },
  {
    name: "concurrent puts of distinct keys",
    async run({ fresh }) {
      const d = await fresh();
      const bodies = Array.from({ length: 6 }, (_, i) => generatedBody(300 * KiB + i * 1000, 100 + i));
      await Promise.all(bodies.map((b, i) => d.put(`c/${i}.bin`, b.stream)));
      for (const [i, b] of bodies.entries()) {
        expect(await hashStream(await d.get(`c/${i}.bin`))).toEqual({ sha256: b.sha256, size: b.size });
      }
      expect(await keysOf(d)).toEqual(bodies.map((_, i) => `c/${i}.bin`));
    },
  },
  {
    name: "concurrent puts of one key",
    async run({ fresh }) {
      const d = await fresh();
      // Two writers of one key: the winner is whole, never a mix.
      const a = generatedBody(200 * KiB, 200);
      const b = generatedBody(700 * KiB, 201);
      await Promise.all([d.put("same.bin", a.stream), d.put("same.bin", b.stream)]);
      const got = await hashStream(await d.get("same.bin"));
      expect([a.sha256, b.sha256]).toContain(got.sha256);
      expect(await keysOf(d, "same")).toEqual(["same.bin"]);
    },
  },
  {
    name: "unicode keys",
    async run({ fresh }) {
      const d = await fresh();
      const keys = ["ação/ñandu.bin", "clínica/João Conceição/backup 🦷 ção.bin", "日本/データ.bin"];
      for (const k of keys) await d.put(k, bytesStream(enc(k)));
      expect([...(await keysOf(d))].sort()).toEqual([...keys].sort());
      for (const k of keys) {
        expect(new TextDecoder().decode(await readAll(await d.get(k)))).toBe(k);
        expect((await d.stat(k))?.size).toBe(enc(k).length);
      }
      await d.remove(keys[1]!);
      expect(await d.stat(keys[1]!)).toBeNull();
    },
  },
  {
    name: "testConnection: ok",
    async run({ fresh }) {
      const d = await fresh();
      const r = await d.testConnection();
      expect(r, r.message.en).toMatchObject({ ok: true, class: "ok" });
      expect(r.message["pt-BR"].length).toBeGreaterThan(0);
      expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
      expect(await d.list(""), "the probe is deleted").toEqual({ objects: [], cursor: null });
    },
  },
  {
    name: "fault: connection reset mid-upload",
    needs: "server",
    timeoutMs: 120_000,
    async run({ fresh, proxy }) {
      const p = await proxy();
      const d = await fresh({ via: p, ioTimeoutMs: 5_000 });
      await d.put("before.bin", bytesStream(enc("before")));
      expect(p.connections, "the adapter does not connect through `via`").toBeGreaterThan(0);
      // The cut comes 512 KiB into the upload of a body longer than two parts: for multipart
      // kinds the upload is open (created, first part under way) when its connection dies.
      p.arm({ kind: "reset", afterBytes: 512 * KiB });
      const body = generatedBody(BIG, 8);
      const outcome = await settle(d.put("vol.bin", body.stream));
      expect(p.fired, "no connection carried the upload through the proxy").toBe(1);
      await expectWholeOrNothing(d, "vol.bin", outcome, body, ["before.bin"]);
      const again = generatedBody(2 * MiB, 9);
      await d.put("vol.bin", again.stream);
      expect(await hashStream(await d.get("vol.bin"))).toEqual({ sha256: again.sha256, size: again.size });
    },
  },
  {
    name: "fault: connection reset mid-download",
    needs: "server",
    async run({ fresh, proxy }) {
      const p = await proxy();
      const d = await fresh({ via: p, ioTimeoutMs: 5_000 });
      const body = generatedBody(3 * MiB, 10);
      await d.put("dl.bin", body.stream);
      p.arm({ kind: "reset", afterBytes: 256 * KiB, direction: "down" });
      await expectWholeOrTypedRead(d, "dl.bin", body.size, body.sha256);
      expect(p.fired, "no connection carried the download through the proxy").toBe(1);
      expect(await hashStream(await d.get("dl.bin"))).toEqual({ sha256: body.sha256, size: body.size });
    },
  },
  {
    name: "fault: stalled connection times out",
    needs: "server",
    timeoutMs: 90_000,
    async run({ fresh, proxy }) {
      const p = await proxy();
      const d = await fresh({ via: p, ioTimeoutMs: 2_000 });
      await d.put("before.bin", bytesStream(enc("before")));
      p.arm({ kind: "stall", afterBytes: 128 * KiB });
      const body = generatedBody(2 * MiB, 11);
      const started = Date.now();
      const outcome = await settle(d.put("vol.bin", body.stream));
      console.info(`${d.kind}: stalled put settled in ${Date.now() - started} ms (${outcome.ok ? "recovered" : describeErr(outcome.error)})`);
      expect(p.fired, "no connection carried the upload through the proxy").toBe(1);
      await expectWholeOrNothing(d, "vol.bin", outcome, body, ["before.bin"]);
      const again = generatedBody(1 * MiB, 12);
      await d.put("vol.bin", again.stream);
      expect(await hashStream(await d.get("vol.bin"))).toEqual({ sha256: again.sha256, size: again.size });
    },
  },
  {
    name: "fault: HTTP 5xx",
    needs: "http",
    timeoutMs: 120_000,
    async run({ fresh, faulty, target }) {
      const f = faulty();
      const d = await fresh({ fetch: f.fetch, ioTimeoutMs: 5_000 });
      const err = target.httpErrorBody?.(503);
      const fault = { kind: "status" as const, status: 503, body: err?.body, contentType: err?.contentType };
      const body = generatedBody(300 * KiB, 13);
      await d.put("a.bin", body.stream);
      // Idempotent requests are retried by withRetry: each must recover from two 503s.
      f.arm(fault, { times: 2 });
      expect((await d.stat("a.bin"))?.size).toBe(body.size);
      f.arm(fault, { times: 2 });
      expect(await hashStream(await d.get("a.bin"))).toEqual({ sha256: body.sha256, size: body.size });
      f.arm(fault, { times: 2 });
      expect((await d.list("")).objects.map((o) => o.key)).toEqual(["a.bin"]);
      expect(f.fired).toBe(6);
      // A put recovers (its parts are repeatable) or fails typed, leaving nothing. The 503
      // hits the put's third request: for multipart/session kinds (create, part 1, part 2),
      // a part of an open upload.
      let seen = 0;
      f.arm(fault, { times: 1, match: () => ++seen === 3 });
      const b = generatedBody(BIG, 14);
      await expectWholeOrNothing(d, "b.bin", await settle(d.put("b.bin", b.stream)), b, ["a.bin"]);
      expect(f.fired).toBe(7);
    },
  },
  {
    name: "fault: HTTP 429 with Retry-After",
    needs: "http",
    async run({ fresh, faulty, target }) {
      const f = faulty();
      const d = await fresh({ fetch: f.fetch, ioTimeoutMs: 5_000 });
      const err = target.httpErrorBody?.(429);
      const fault = { kind: "status" as const, status: 429, retryAfter: "1", body: err?.body, contentType: err?.contentType };
      await d.put("a.bin", bytesStream(enc("rate")));
      f.arm(fault);
      let t0 = Date.now();
      expect((await d.stat("a.bin"))?.size).toBe(4);
      expect(f.fired).toBe(1);
      expect(Date.now() - t0, "Retry-After: 1 was not honoured").toBeGreaterThanOrEqual(900);
      f.arm(fault);
      t0 = Date.now();
      const b = generatedBody(512 * KiB, 15);
      const outcome = await settle(d.put("b.bin", b.stream));
      expect(f.fired).toBe(2);
      if (outcome.ok) expect(Date.now() - t0, "Retry-After: 1 was not honoured").toBeGreaterThanOrEqual(900);
      else expect((outcome.error as CofreError).details?.retryAfterMs).toBe(1000);
      await expectWholeOrNothing(d, "b.bin", outcome, b, ["a.bin"]);
    },
  },
  {
    name: "fault: HTTP reset mid-body",
    needs: "http",
    async run({ fresh, faulty }) {
      const f = faulty();
      const d = await fresh({ fetch: f.fetch, ioTimeoutMs: 5_000 });
      await d.put("a.bin", bytesStream(enc("a")));
      f.arm({ kind: "reset-upload", afterBytes: 64 * KiB });
      const up = generatedBody(2 * MiB, 16);
      await expectWholeOrNothing(d, "up.bin", await settle(d.put("up.bin", up.stream)), up, ["a.bin"]);
      expect(f.fired, "no request carried more than 64 KiB of the upload").toBe(1);
      const down = generatedBody(1 * MiB, 17);
      await d.put("down.bin", down.stream);
      f.arm({ kind: "reset-download", afterBytes: 128 * KiB });
      await expectWholeOrTypedRead(d, "down.bin", down.size, down.sha256);
      expect(f.fired).toBe(2);
      expect(await hashStream(await d.get("down.bin"))).toEqual({ sha256: down.sha256, size: down.size });
    },
  },
  {
    name: "fault: HTTP timeout",
    needs: "http",
    timeoutMs: 60_000,
    async run({ fresh, faulty }) {
      const f = faulty();
      const d = await fresh({ fetch: f.fetch, ioTimeoutMs: 1_500 });
      await d.put("a.bin", bytesStream(enc("abc")));
      f.arm({ kind: "timeout", holdMs: 15_000 });
      const t0 = Date.now();
      expect((await d.stat("a.bin"))?.size).toBe(3);
      expect(f.fired).toBe(1);
      expect(f.unhonouredTimeouts, "the adapter's request had no timeout").toBe(0);
      expect(Date.now() - t0).toBeLessThan(15_000);
    },
  },
];

/** Every case name, for `limitations` keys (plus "testConnection: <class>" per failure class). */
export const CASE_NAMES: readonly string[] = [...CASES.map((c) => c.name), ...FAILURE_CLASSES.map((k) => `testConnection: ${k}`)];

/** Registers the suite's cases for `target` as vitest tests. */
export function describeConformance(target: ConformanceTarget): void {
  describe(`conformance: ${target.name}`, () => {
    // After each case: disarm every fault, empty every destination (through proxies still
    // open), then close the proxies.
    const disarm: Array<() => void> = [];
    const empty: Array<() => Promise<void>> = [];
    const close: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const d of disarm.splice(0)) d();
      for (const e of empty.splice(0)) await e().catch(() => {});
      for (const c of close.splice(0)) await c().catch(() => {});
    });

    const ctx: CaseContext = {
      target,
      async fresh(opts) {
        const d = await target.open(opts);
        empty.push(async () => {
          for await (const o of listAll(d, "")) await d.remove(o.key);
        });
        return d;
      },
      async proxy() {
        const p = await startFaultProxy(target.server!, { ftp: target.server!.ftp });
        disarm.push(() => p.clear());
        close.push(() => p.close());
        return p;
      },
      faulty() {
        const f = faultyFetch();
        disarm.push(() => f.clear());
        return f;
      },
    };

    const limited = (name: string) => target.limitations?.[name];
    const limitationTest = (name: string, reason: string) =>
      it(`${name} — known limitation`, () => {
        expect(reason.trim(), `limitation "${name}" needs a reason`).not.toBe("");
        console.info(`known limitation: ${target.name}: ${name}: ${reason}`);
      });

    it("limitations name real cases", () => {
      for (const name of Object.keys(target.limitations ?? {})) expect(CASE_NAMES, `unknown case "${name}"`).toContain(name);
    });

    for (const c of CASES) {
      const reason = limited(c.name);
      if (reason !== undefined) {
        limitationTest(c.name, reason);
        continue;
      }
      it(c.name, async () => {
        if (c.needs === "server" && !target.server) {
          throw new Error(`${target.name}: this case needs target.server (the real server's address) for the TCP fault proxy, or a limitation with the reason`);
        }
        if (c.needs === "http" && !target.http) {
          throw new Error(`${target.name}: this case needs target.http (open({ fetch }) routes every request), or a limitation with the reason`);
        }
        await c.run(ctx);
      }, c.timeoutMs ?? 60_000);
    }

    for (const cls of FAILURE_CLASSES) {
      const name = `testConnection: ${cls}`;
      const reason = limited(name);
      if (reason !== undefined) {
        limitationTest(name, reason);
        continue;
      }
      it(name, async () => {
        const make = target.failing?.[cls];
        if (!make) throw new Error(`${target.name}: give failing.${cls} (a destination that fails that way) or a limitation with the reason`);
        const d = await make();
        const r = await d.testConnection();
        expect(r.class, r.message.en).toBe(cls);
        expect(r.ok).toBe(false);
        expect(r.message["pt-BR"].length).toBeGreaterThan(0);
        expect(r.message.en.length).toBeGreaterThan(0);
      }, 60_000);
    }
  });
}
