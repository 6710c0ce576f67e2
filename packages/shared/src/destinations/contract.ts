/**
 * The one storage contract every destination adapter implements (after restic's Backend and
 * Kopia's Storage). Keys are relative, `/`-separated paths below the destination's root.
 */
import { readAllBytes } from "../format/streams.ts";
import { CofreError } from "../errors.ts";

export interface ObjectInfo {
  key: string;
  size: number;
  modifiedAt: Date | null;
}

export interface ByteRange {
  offset: number;
  /** Omitted: to the end of the object. */
  length?: number;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Pass back to get the next page; null when this was the last. */
  cursor: string | null;
}

/** Optional abilities, as rclone's features: callers check these instead of the kind. */
export interface Capabilities {
  /** `get` honours ranges without reading the object from its start. */
  rangeReads: boolean;
  /** An interrupted upload can continue where it stopped. */
  resumableUploads: boolean;
  /** Checksums the service computes and returns, e.g. ["md5"]. */
  serverChecksums: readonly string[];
}

export type ConnectionTestClass =
  | "ok" | "authentication" | "permission" | "quota" | "not_found" | "network" | "tls" | "host_key";

export interface ConnectionTestResult {
  class: ConnectionTestClass;
  ok: boolean;
  /** What happened and what to do about it, for people. Never contains a secret. */
  message: { "pt-BR": string; en: string };
  /** On failure, the underlying error's own words (which host, which variable, the host key's
   *  fingerprint…) and its code. Never contains a secret (CofreError messages never do). */
  detail?: { "pt-BR": string; en: string };
  code?: string;
  elapsedMs: number;
}

export interface Destination {
  readonly kind: string;
  /** The spec as it may be shown: no credentials. */
  readonly displaySpec: string;
  readonly capabilities: Capabilities;

  /**
   * Stores `body` under `key`, replacing any object there. MUST be atomic from a reader's
   * point of view: until the returned promise resolves, `key` shows either the old object or
   * nothing — never a partial one. A rejected put leaves no object under `key` that was not
   * there before, and MUST cancel `body` so its writer learns of the failure.
   */
  put(key: string, body: ReadableStream<Uint8Array>): Promise<ObjectInfo>;

  /**
   * Streams the object (or `range` of it). MUST reject with code DESTINATION_NOT_FOUND when
   * the key does not exist. A range past the end yields the bytes that exist (possibly none).
   */
  get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>>;

  /** The object's size and time, or null when it does not exist. */
  stat(key: string): Promise<ObjectInfo | null>;

  /** One page of the objects whose keys start with `prefix`, in key order. */
  list(prefix: string, opts?: { cursor?: string | null; limit?: number }): Promise<ListPage>;

  /** Deletes the object. Removing a missing key is not an error. */
  remove(key: string): Promise<void>;

  /** Writes, reads back, lists and deletes a small probe object; classifies what failed. */
  testConnection(): Promise<ConnectionTestResult>;
}

/** Every object under `prefix`, following pages. */
export async function* listAll(dest: Destination, prefix: string): AsyncGenerator<ObjectInfo> {
  let cursor: string | null = null;
  do {
    const page: ListPage = await dest.list(prefix, { cursor });
    yield* page.objects;
    cursor = page.cursor;
  } while (cursor !== null);
}

/** Reads a whole (small) object into memory. For manifests, never for volumes. */
export async function getBytes(dest: Destination, key: string, maxBytes = 64 * 1024 * 1024): Promise<Uint8Array> {
  return readAllBytes(await dest.get(key), {
    maxBytes,
    tooLarge: () => new CofreError("CORRUPT_ARCHIVE", {
      "pt-BR": `O objeto ${key} passa de ${maxBytes} bytes, mais do que um manifesto pode ter.`,
      en: `Object ${key} exceeds ${maxBytes} bytes, more than a manifest can hold.`,
    }, { details: { key, maxBytes } }),
  });
}

/** A one-chunk stream, for small objects. */
export function bytesStream(data: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(data);
      c.close();
    },
  });
}
