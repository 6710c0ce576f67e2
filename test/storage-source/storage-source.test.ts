/**
 * Supabase Storage buckets as a backup source (issue 5 item 6; docs/storage-source.md),
 * against the stack's s3rver served below /storage/v1/s3 — Supabase Storage's S3 endpoint
 * shape — and a scratch PostgreSQL database: listing in pages, a backup of two buckets with
 * the database, restores byte-identical with their attributes, incrementals that store only
 * what changed and record deletions, chain restores to each point, conflicts, large objects.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "@cofre/shared/engine/backup.ts";
import { runRestore } from "@cofre/shared/engine/restore.ts";
import { readManifest } from "@cofre/shared/engine/catalog.ts";
import { runStorageRestore } from "@cofre/shared/sources/storage/restore.ts";
import { listBucket } from "@cofre/shared/sources/storage/source.ts";
import { bytesStream } from "@cofre/shared/destinations/contract.ts";
import { CofreError, isCofreError } from "@cofre/shared/errors.ts";
import { seedStorage } from "../../scripts/seed/storage.ts";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { connectTo } from "../chains/support.ts";
import {
  bucket, bucketName, bucketState, context, emptyBucket, endpoint, localDestination, sourceDb, type ObjectState,
} from "./support.ts";
import type { S3Destination } from "@cofre/shared/destinations/s3.ts";

const MiB = 1024 * 1024;
const KDF = { kdfIterations: 100_000 };

const X = bucketName("xrays");
const D = bucketName("docs");
const opened: [S3Destination, string][] = [];
async function track(name: string, create = true) {
  const b = await bucket(name, create);
  opened.push([b, name]);
  return b;
}

let db: Awaited<ReturnType<typeof sourceDb>>;
let local: Awaited<ReturnType<typeof localDestination>>;
let xrays: S3Destination;
let docs: S3Destination;
/** The buckets' state right after seeding (what the full backup must give back). */
let seeded: { x: Record<string, ObjectState>; d: Record<string, ObjectState> };

beforeAll(async () => {
  db = await sourceDb("main");
  local = await localDestination();
  await seedStorage({ endpoint, context, names: { "orthoplus-xrays": X, "orthoplus-docs": D } });
  xrays = await track(X);
  docs = await track(D);
  seeded = { x: await bucketState(xrays, X), d: await bucketState(docs, D) };
}, 60_000);

afterAll(async () => {
  for (const [b, name] of opened) await emptyBucket(b, name).catch(() => {});
  await db?.drop();
  local?.remove();
});

const storage = (extra: Record<string, unknown> = {}) => ({ buckets: [X, D], endpoint, context, pageSize: 5, ...extra });

describe("Storage buckets as a backup source", () => {
  it("lists a bucket page by page (ListObjectsV2 continuation), every key once, in order", async () => {
    const pages: string[][] = [];
    for await (const page of listBucket(xrays, X, 2)) pages.push(page.objects.map((o) => o.key));
    const keys = pages.flat();
    expect(pages.length).toBeGreaterThan(5);
    expect(pages.every((p) => p.length <= 2)).toBe(true);
    expect(keys).toEqual(Object.keys(seeded.x).sort());
    expect(new Set(keys).size).toBe(12);
  });

  let fullId = "";
  let fullBytesOut = 0;
  const sizeOf = (s: Record<string, ObjectState>) => Object.values(s).reduce((n, o) => n + o.size, 0);

  it("backs up two buckets with the database and restores both (into empty buckets) byte-identical, with content types and metadata", async () => {
    const s = await runBackup({ sourceUrl: db.url, destination: local.dest, capture: true, storage: storage() });
    fullId = s.backupId;
    fullBytesOut = s.bytesOut;
    expect(s.storage).toEqual({ buckets: 2, objects: 25, stored: 25, reused: 0, deleted: 0, storedBytes: sizeOf(seeded.x) + sizeOf(seeded.d) });
    const m = await readManifest(local.dest, fullId);
    expect(m.storage!.buckets.map((b) => b.name)).toEqual([X, D]);
    const jpg = m.storage!.buckets[0]!.objects[0]!;
    expect(jpg).toMatchObject({ contentType: "image/jpeg", backupId: fullId, sha256: seeded.x[jpg.key]!.sha256 });
    // JPEG and PDF bytes are stored, text deflated (content sniffing in format/zip).
    const method = (key: string, bucketIdx: number) =>
      m.entries.find((e) => e.name === m.storage!.buckets[bucketIdx]!.objects.find((o) => o.key.endsWith(key))!.parts[0])!.method;
    expect(method("panoramica.jpg", 0)).toBe("store");
    expect(method("contrato.pdf", 1)).toBe("store");
    expect(method("anamnese.txt", 1)).toBe("deflate");

    // Database and buckets from the same backup: the database into an empty one, the buckets into new empty ones.
    const X2 = bucketName("x2");
    const D2 = bucketName("d2");
    const x2 = await track(X2);
    const d2 = await track(D2);
    const target = `storage_tgt_${process.pid}`;
    const targetUrl = await createScratchDb(target);
    try {
      const r = await runRestore({
        destination: local.dest, backupId: fullId, targetUrl,
        storage: { buckets: [X, D], bucketMap: { [X]: X2, [D]: D2 }, endpoint, context },
      });
      expect(r.rows).toBe(50);
      expect(r.storage!.buckets.map((b) => [b.into, b.restored, b.unchanged, b.overwritten])).toEqual([[X2, 12, 0, 0], [D2, 13, 0, 0]]);
      const sql = connectTo(targetUrl);
      expect((await sql`select count(*)::int as n from public.pacientes`)[0]!.n).toBe(50);
      await sql.end();
    } finally {
      await dropScratchDb(target);
    }
    expect(await bucketState(x2, X2)).toEqual(seeded.x);
    const d2State = await bucketState(d2, D2);
    expect(d2State).toEqual(seeded.d);
    expect(d2State["leia-me.txt"]).toMatchObject({ contentType: "text/plain; charset=utf-8", cacheControl: "max-age=60", metadata: { origem: "cofre-demo" } });
  }, 60_000);

  it("an incremental stores only what changed, records the deletion, and each backup of the chain restores its own bucket state exactly", async () => {
    const keys = Object.keys(seeded.d).sort();
    const gone = keys.find((k) => k.endsWith("anamnese.txt"))!;
    const changed = keys.find((k) => k.endsWith("contrato.pdf"))!;
    await docs.remove(gone);
    await docs.putWithAttributes(changed, bytesStream(new TextEncoder().encode("%PDF-1.4\nnova versão\n%%EOF\n")), { contentType: "application/pdf" });
    await docs.putWithAttributes("novo/recibo.txt", bytesStream(new TextEncoder().encode("Recibo 1\n")), { contentType: "text/plain" });
    const afterFirst = { x: await bucketState(xrays, X), d: await bucketState(docs, D) };

    const inc = await runBackup({ sourceUrl: db.url, destination: local.dest, type: "incremental", storage: storage() });
    expect(inc.parentId).toBe(fullId);
    expect(inc.storage).toMatchObject({ objects: 25, stored: 2, reused: 23, deleted: 1 });
    expect(inc.storage!.storedBytes).toBeLessThan(100);
    // Stored bytes: the schema, the two changed files and the manifest — a sliver of the full.
    expect(inc.bytesOut).toBeLessThan(fullBytesOut / 10);
    const m = await readManifest(local.dest, inc.backupId);
    expect(m.storage!.buckets[1]!.deleted).toEqual([gone]);
    expect(m.storage!.buckets[0]!.objects.every((o) => o.backupId === fullId)).toBe(true);

    // A second change, then a second incremental on top of the first.
    await xrays.remove(Object.keys(seeded.x)[0]!);
    const afterSecond = { x: await bucketState(xrays, X), d: await bucketState(docs, D) };
    const inc2 = await runBackup({ sourceUrl: db.url, destination: local.dest, type: "incremental", storage: storage() });
    expect(inc2.parentId).toBe(inc.backupId);
    expect(inc2.storage).toMatchObject({ stored: 0, deleted: 1, objects: 24 });

    // Each point restores to exactly its state: the full, the first incremental, the chain's end.
    for (const [id, want] of [[fullId, seeded], [inc.backupId, afterFirst], [inc2.backupId, afterSecond]] as const) {
      const X3 = bucketName("x3");
      const D3 = bucketName("d3");
      const x3 = await track(X3);
      const d3 = await track(D3);
      await runStorageRestore(local.dest, id, undefined, { buckets: [X, D], bucketMap: { [X]: X3, [D]: D3 }, endpoint, context });
      expect(await bucketState(x3, X3), id).toEqual(want.x);
      expect(await bucketState(d3, D3), id).toEqual(want.d);
    }
  }, 120_000);

  it("refuses to overwrite objects that differ (RESTORE_CONFLICT with the count), writes nothing, and overwrites when asked", async () => {
    const T = bucketName("conflict");
    const t = await track(T);
    const keys = Object.keys(seeded.d).sort();
    await t.put(keys[0]!, bytesStream(new TextEncoder().encode("outra coisa")));
    await t.put(keys[1]!, bytesStream(new TextEncoder().encode("mais outra")));
    const ask = { buckets: [D], bucketMap: { [D]: T }, endpoint, context };
    const err = await runStorageRestore(local.dest, fullId, undefined, ask).catch((e: unknown) => e);
    expect(isCofreError(err, "RESTORE_CONFLICT")).toBe(true);
    expect((err as CofreError).details.conflicts).toBe(2);
    expect((err as CofreError).messages["pt-BR"]).toMatch(/^2 objeto\(s\)/);
    expect(Object.keys(await bucketState(t, T)).sort()).toEqual([keys[0], keys[1]]);

    const done = await runStorageRestore(local.dest, fullId, undefined, { ...ask, overwrite: true });
    expect(done.buckets[0]).toMatchObject({ restored: 11, overwritten: 2, unchanged: 0 });
    expect(await bucketState(t, T)).toEqual(seeded.d);
    // Run again: everything is already there.
    const again = await runStorageRestore(local.dest, fullId, undefined, ask);
    expect(again.buckets[0]).toMatchObject({ restored: 0, overwritten: 0, unchanged: 13 });
  }, 60_000);

  it("splits an object larger than the part size into parts across volumes (encrypted) and restores it whole", async () => {
    const L = bucketName("large");
    const l = await track(L);
    // Incompressible, so each 1 MiB part fills a volume of the 1 MiB cap.
    const big = new Uint8Array(randomBytes(2.5 * MiB));
    await l.putWithAttributes("exames/tomografia.dcm", bytesStream(big), { contentType: "application/dicom" });
    const dest = await localDestination();
    try {
      const s = await runBackup({
        sourceUrl: db.url, destination: dest.dest, partSize: MiB, volumeSize: MiB, passphrase: "senha de teste", ...KDF,
        storage: { buckets: [L], endpoint, context },
      });
      expect(s.encrypted).toBe(true);
      const m = await readManifest(dest.dest, s.backupId, { passphrase: "senha de teste" });
      const rec = m.storage!.buckets[0]!.objects[0]!;
      expect(rec.parts).toHaveLength(3);
      const volumes = new Set(rec.parts.map((p) => m.entries.find((e) => e.name === p)!.volume));
      expect(volumes.size).toBeGreaterThan(1);
      const L2 = bucketName("large2");
      const l2 = await track(L2);
      await runStorageRestore(dest.dest, s.backupId, "senha de teste", { buckets: [L], bucketMap: { [L]: L2 }, endpoint, context });
      expect(await bucketState(l2, L2)).toEqual(await bucketState(l, L));
      expect((await l2.head("exames/tomografia.dcm"))!.contentType).toBe("application/dicom");
    } finally {
      dest.remove();
    }
  }, 60_000);
});
