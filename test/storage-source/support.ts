/**
 * What the Storage-source tests share: the stack's Storage endpoint (s3rver below
 * /storage/v1/s3) with its credentials, fresh bucket names per test process, a small source
 * database, a local backup destination, and each bucket's state as {key → sha256, type, meta}.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { readEnvFile } from "../../scripts/stack/env.ts";
import { stackStorageEndpoint } from "../../scripts/seed/storage.ts";
import { openBucket, parseStorageEndpoint } from "@cofre/shared/sources/storage/spec.ts";
import { listBucket } from "@cofre/shared/sources/storage/source.ts";
import type { OpenContext } from "@cofre/shared/destinations/open-context.ts";
import type { S3Destination } from "@cofre/shared/destinations/s3.ts";
import { open as openLocal } from "@cofre/shared/destinations/local.ts";
import type { Destination } from "@cofre/shared/destinations/contract.ts";
import { sha256Hasher } from "@cofre/shared/format/checksum.ts";
import { streamChunks } from "@cofre/shared/format/streams.ts";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { run } from "../chains/support.ts";

export const env = readEnvFile();
export const endpoint = stackStorageEndpoint(env);
export const context: OpenContext = {
  credentials: { env: (n) => env[n] },
  network: { allowPrivateHosts: ["127.0.0.1"] },
};

/** A bucket name unique to this test process and tag (s3rver: lowercase, 3–63 characters). */
export function bucketName(tag: string): string {
  return `ss-${process.pid}-${tag}-${randomBytes(3).toString("hex")}`;
}

export async function bucket(name: string, create = true): Promise<S3Destination> {
  const b = await openBucket(parseStorageEndpoint(endpoint), name, context);
  if (create) await b.createBucket();
  return b;
}

export interface ObjectState {
  sha256: string;
  size: number;
  contentType: string | null;
  cacheControl: string | null;
  metadata: Record<string, string>;
}

/** Every object of the bucket: its bytes' SHA-256 (read back through GetObject) and its attributes. */
export async function bucketState(b: S3Destination, name: string): Promise<Record<string, ObjectState>> {
  const out: Record<string, ObjectState> = {};
  for await (const page of listBucket(b, name)) {
    for (const o of page.objects) {
      const sha = sha256Hasher();
      let size = 0;
      for await (const c of streamChunks(await b.get(o.key))) {
        sha.update(c);
        size += c.length;
      }
      const head = (await b.head(o.key))!;
      out[o.key] = { sha256: sha.digest("hex"), size, contentType: head.contentType, cacheControl: head.cacheControl, metadata: head.metadata };
    }
  }
  return out;
}

/** Deletes every object of the bucket (s3rver keeps the empty bucket). */
export async function emptyBucket(b: S3Destination, name: string): Promise<void> {
  for await (const page of listBucket(b, name)) for (const o of page.objects) await b.remove(o.key);
}

/** A small source database with one table (rows the backups carry beside the buckets). */
export async function sourceDb(tag: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `storage_src_${tag}_${process.pid}`;
  const url = await createScratchDb(name);
  await run(url, `create table public.pacientes (id int primary key, nome text not null);
    insert into public.pacientes select g, 'Paciente ' || g from generate_series(1, 50) g;`);
  return { url, name, drop: () => dropScratchDb(name) };
}

/** A local backup destination in a fresh temporary directory. */
export async function localDestination(): Promise<{ dest: Destination; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "cofre-storage-src-"));
  const dest = await openLocal(new URL(`file://${dir}`), context);
  return { dest, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
