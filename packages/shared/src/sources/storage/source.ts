/**
 * Reading a Supabase Storage bucket through its S3 protocol: every object, page by page
 * (ListObjectsV2 — key, size, ETag, Last-Modified), and one object's attributes (HeadObject:
 * content type, cache control, user metadata) and bytes (GetObject, streamed; a connection
 * lost mid-body continues with a ranged request — destinations/s3.ts).
 *
 * Keys the backup format cannot carry as a relative path (empty, `.`/`..` segments, a leading
 * `/`, backslash, NUL — destinations/keys.ts) are not read: they are reported back by
 * `listBucket` so the backup names them in its warnings, never dropped silently.
 */
import { CofreError, isCofreError } from "../../errors.ts";
import { assertValidKey } from "../../destinations/keys.ts";
import type { S3Destination, S3ObjectHead } from "../../destinations/s3.ts";

export interface ListedObject {
  key: string;
  size: number;
  /** ETag without quotes; null when the service gave none. */
  etag: string | null;
  /** Last-Modified, ISO 8601; null when unknown. */
  updatedAt: string | null;
}

export interface ListedPage {
  objects: ListedObject[];
  /** Keys on this page that cannot be backed up (see the module doc). */
  unsafe: string[];
}

function isSafeKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

/** The bucket's objects in key order, one page (≤ `pageSize`, at most 1000) at a time. */
export async function* listBucket(bucket: S3Destination, bucketName: string, pageSize = 1000): AsyncGenerator<ListedPage> {
  let cursor: string | null = null;
  do {
    let page;
    try {
      page = await bucket.list("", { cursor, limit: pageSize });
    } catch (e) {
      throw bucketMissing(e, bucketName);
    }
    const out: ListedPage = { objects: [], unsafe: [] };
    for (const o of page.objects) {
      if (!isSafeKey(o.key)) {
        out.unsafe.push(o.key);
        continue;
      }
      out.objects.push({ key: o.key, size: o.size, etag: o.etag, updatedAt: o.modifiedAt ? o.modifiedAt.toISOString() : null });
    }
    yield out;
    cursor = page.cursor;
  } while (cursor !== null);
}

/** NoSuchBucket, said as what it means for a source: the bucket named in --buckets is not there. */
export function bucketMissing(e: unknown, bucketName: string): unknown {
  if (isCofreError(e, "DESTINATION_NOT_FOUND") && (e as CofreError).details.s3Code === "NoSuchBucket") {
    return new CofreError("INVALID_INPUT", {
      "pt-BR": `O bucket ${bucketName} não existe no Supabase Storage do projeto. Confira --buckets (ou crie o bucket antes de restaurar nele).`,
      en: `Bucket ${bucketName} does not exist in the project's Supabase Storage. Check --buckets (or create the bucket before restoring into it).`,
    }, { details: { bucket: bucketName }, cause: e });
  }
  return e;
}

export interface OpenedObject {
  head: S3ObjectHead;
  body: ReadableStream<Uint8Array>;
}

/**
 * The object's attributes and its bytes, or null when it was deleted since it was listed.
 * The attributes are read first: if the object is replaced in between, the bytes are the newer
 * ones and the recorded ETag the older — so the next incremental sees a changed ETag and reads
 * it again (never the reverse, which would skip a change).
 */
export async function openObject(bucket: S3Destination, key: string): Promise<OpenedObject | null> {
  const head = await bucket.head(key);
  if (!head) return null;
  try {
    return { head, body: await bucket.get(key) };
  } catch (e) {
    if (isCofreError(e, "DESTINATION_NOT_FOUND") && (e as CofreError).details.s3Code !== "NoSuchBucket") return null;
    throw e;
  }
}
