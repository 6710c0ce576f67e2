/**
 * Backs up Supabase Storage buckets into a backup's volumes, beside the database
 * (docs/storage-source.md). Per bucket, every object in key order:
 *
 * - unchanged since the parent backup (same ETag and size as the parent's record) — its
 *   record is carried over as is, still naming the backup whose volumes hold its bytes;
 * - otherwise — HeadObject for its attributes, GetObject streamed into entries
 *   `storage/<bucket>/<key>/part-NNNNN` of at most `partSize` bytes each (a new volume starts
 *   between entries at the cap, as for table parts), SHA-256 computed on the way.
 *
 * Keys the parent had and the listing no longer has are recorded as `deleted`; each
 * backup's record of a bucket is its whole state, so a restore needs only that backup's
 * record (plus the earlier backups it names). Memory: one chunk of one object at a time.
 */
import type { BackupManifest, StorageBucketRecord, StorageObjectRecord, StorageSection } from "../../config/manifest.ts";
import { sha256Hasher } from "../../format/checksum.ts";
import { streamChunks } from "../../format/streams.ts";
import type { OpenContext } from "../../destinations/open-context.ts";
import type { EntryWriter } from "../../format/zip/writer.ts";
import type { VolumeSetWriter } from "../../engine/volume-set.ts";
import { storageObjectPartEntry } from "../../engine/entry-names.ts";
import { listBucket, openObject } from "./source.ts";
import { openBucket, parseStorageEndpoint } from "./spec.ts";
import type { S3Destination } from "../../destinations/s3.ts";

/** What `runBackup` takes as `storage` (and the `run-backup` request's `storage` field). */
export interface StorageSourceOptions {
  /** Bucket names to back up. */
  buckets: readonly string[];
  /** The Storage S3 endpoint spec (spec.ts); default COFRE_SUPABASE_STORAGE_ENDPOINT. */
  endpoint?: string;
  /** Objects per ListObjectsV2 page (1–1000; default 1000). */
  pageSize?: number;
  /** Credentials and network policy; default the environment's. */
  context?: OpenContext;
}

export interface StorageBackupSummary {
  buckets: number;
  objects: number;
  /** Objects whose bytes this backup stored. */
  stored: number;
  /** Objects unchanged since the parent, referenced instead of stored again. */
  reused: number;
  deleted: number;
  /** Bytes of the stored objects (before compression). */
  storedBytes: number;
}

export interface StorageBackupResult {
  section: StorageSection;
  summary: StorageBackupSummary;
  warnings: string[];
}

export interface StorageBackupTarget {
  writer: VolumeSetWriter;
  backupId: string;
  /** The backup this one's changes start after (null for a full: every object is stored). */
  parent: BackupManifest | null;
  /** Maximum bytes per entry. */
  partSize: number;
  /** Called before each object is read or referenced. */
  onObject?: (bucket: string, key: string) => void;
}

/** Streams `body` into entries of at most `partSize` bytes; returns their names, size and SHA-256. */
async function writeObjectParts(
  writer: VolumeSetWriter, bucket: string, key: string, body: ReadableStream<Uint8Array>, partSize: number,
): Promise<{ parts: string[]; size: number; sha256: string }> {
  const parts: string[] = [];
  const sha = sha256Hasher();
  let size = 0;
  const open = async (): Promise<EntryWriter> => {
    const name = storageObjectPartEntry(bucket, key, parts.length + 1);
    parts.push(name);
    return writer.openEntry(name);
  };
  let entry = await open();
  let inEntry = 0;
  for await (const chunk of streamChunks(body)) {
    sha.update(chunk);
    size += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      if (inEntry >= partSize) {
        await entry.close();
        entry = await open();
        inEntry = 0;
      }
      const take = Math.min(partSize - inEntry, chunk.length - at);
      await entry.write(chunk.subarray(at, at + take));
      inEntry += take;
      at += take;
    }
  }
  await entry.close();
  return { parts, size, sha256: sha.digest("hex") };
}

async function backupBucket(
  bucket: S3Destination, name: string, opts: StorageSourceOptions, target: StorageBackupTarget, warnings: string[],
): Promise<StorageBucketRecord> {
  const previous = new Map<string, StorageObjectRecord>(
    (target.parent?.storage?.buckets.find((b) => b.name === name)?.objects ?? []).map((o) => [o.key, o]),
  );
  const objects: StorageObjectRecord[] = [];
  const seen = new Set<string>();
  let stored = 0;
  let storedBytes = 0;
  for await (const page of listBucket(bucket, name, opts.pageSize)) {
    for (const key of page.unsafe) warnings.push(`storage ${name}: object ${JSON.stringify(key)} not backed up (its key is not a safe relative path)`);
    for (const listed of page.objects) {
      target.onObject?.(name, listed.key);
      seen.add(listed.key);
      const prev = previous.get(listed.key);
      if (prev && prev.etag !== null && prev.etag === listed.etag && prev.size === listed.size) {
        objects.push(prev);
        continue;
      }
      const opened = await openObject(bucket, listed.key);
      if (!opened) {
        seen.delete(listed.key); // deleted since it was listed: it is not in the bucket's state
        continue;
      }
      const written = await writeObjectParts(target.writer, name, listed.key, opened.body, target.partSize);
      objects.push({
        key: listed.key,
        size: written.size,
        etag: opened.head.etag ?? listed.etag,
        updatedAt: opened.head.modifiedAt ? opened.head.modifiedAt.toISOString() : listed.updatedAt,
        sha256: written.sha256,
        contentType: opened.head.contentType,
        cacheControl: opened.head.cacheControl,
        metadata: opened.head.metadata,
        backupId: target.backupId,
        parts: written.parts,
      });
      stored++;
      storedBytes += written.size;
    }
  }
  const deleted = [...previous.keys()].filter((k) => !seen.has(k)).sort();
  return { name, objects, deleted, stored, storedBytes };
}

/** Backs up every selected bucket into `target.writer`; returns the manifest's `storage` section. */
export async function backupStorage(opts: StorageSourceOptions, target: StorageBackupTarget): Promise<StorageBackupResult> {
  const ep = parseStorageEndpoint(opts.endpoint, opts.context ? (n) => opts.context!.credentials.env?.(n) : undefined);
  const warnings: string[] = [];
  const buckets: StorageBucketRecord[] = [];
  for (const name of new Set(opts.buckets)) {
    const bucket = await openBucket(ep, name, opts.context);
    buckets.push(await backupBucket(bucket, name, opts, target, warnings));
  }
  const count = (f: (b: StorageBucketRecord) => number) => buckets.reduce((n, b) => n + f(b), 0);
  const objects = count((b) => b.objects.length);
  const stored = count((b) => b.stored);
  return {
    section: { endpoint: ep.display, buckets },
    summary: {
      buckets: buckets.length, objects, stored, reused: objects - stored, deleted: count((b) => b.deleted.length),
      storedBytes: count((b) => b.storedBytes),
    },
    warnings,
  };
}
