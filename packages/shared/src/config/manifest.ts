/**
 * The backup manifest (format version 1): what a backup holds and how to check it. The same
 * document is stored twice — as `manifest.json`, the last entry of the last volume (so a
 * volume set is self-describing), and as the backup's top-level `manifest.json` object,
 * which adds the stored volumes' sizes and checksums (known only once each volume is closed).
 * A backup without its top-level manifest is incomplete and is never restored.
 */
import { z } from "zod";

export const FORMAT_NAME = "cofre-backup";
export const FORMAT_VERSION = 1;

const hex = (len: number) => z.string().regex(new RegExp(`^[0-9a-f]{${len}}$`));
const isoDate = z.string().datetime({ offset: true });

export const BackupType = z.enum(["full", "incremental", "differential"]);
export type BackupType = z.infer<typeof BackupType>;

/** `20261125T020000Z-1a2b3c`: sorts by creation time, unique per destination. */
export const BackupId = z.string().regex(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);

export const EntryRecord = z.object({
  name: z.string().min(1),
  /** 1-based index into `volumes`. */
  volume: z.number().int().positive(),
  method: z.enum(["store", "deflate"]),
  size: z.number().int().nonnegative(),
  compressedSize: z.number().int().nonnegative(),
  crc32: z.number().int().nonnegative(),
  sha256: hex(64),
});
export type EntryRecord = z.infer<typeof EntryRecord>;

export const TableRecord = z.object({
  schema: z.string(),
  name: z.string(),
  /** Columns in the CSV files, in order (generated columns are not stored). */
  columns: z.array(z.string()),
  rows: z.number().int().nonnegative(),
  /** Entry names of the CSV parts, in order. */
  parts: z.array(z.string()),
  /**
   * True for a table whose definition is not in the backup because the platform owns it
   * (e.g. `auth.users`): only its rows are, and a restore needs the table to exist.
   */
  dataOnly: z.boolean().default(false),
});
export type TableRecord = z.infer<typeof TableRecord>;

export const SequenceRecord = z.object({
  schema: z.string(),
  name: z.string(),
  lastValue: z.string(),
  isCalled: z.boolean(),
});
export type SequenceRecord = z.infer<typeof SequenceRecord>;

export const VolumeRecord = z.object({
  name: z.string().regex(/^vol-\d{5}\.zip(\.cofre)?$/),
  size: z.number().int().nonnegative(),
  sha256: hex(64),
  md5: hex(32),
});
export type VolumeRecord = z.infer<typeof VolumeRecord>;

/**
 * One table's change set (incremental, differential, or the catch-up of a multi-step full):
 * CSV parts whose first column is `cofre:op` — `T` truncate marker (first record only), `U`
 * a key's last state, `D` a key's tombstone (key columns only), and for a table without a
 * primary key `I` insert and `D` delete-one-equal-row in order. Specified in
 * docs/postgres-chains.md.
 */
export const ChangeSetRecord = z.object({
  schema: z.string(),
  name: z.string(),
  /** Table columns in the CSV after `cofre:op`, in order (generated columns are not stored). */
  columns: z.array(z.string()),
  /** Primary key columns; null = no key: operations are applied in order. */
  key: z.array(z.string()).nullable(),
  /** The window starts after this snapshot (`pg_snapshot` text) and ends at the backup's own. */
  since: z.string(),
  /** A TRUNCATE is in the window: the first record is a `T` marker. */
  truncated: z.boolean(),
  /** CSV records in the parts, less one header line per part. */
  rows: z.number().int().nonnegative(),
  parts: z.array(z.string()),
});
export type ChangeSetRecord = z.infer<typeof ChangeSetRecord>;

/** One step of a full dump split across transactions (each with its own snapshot). */
export const StepRecord = z.object({
  snapshot: z.string(),
  at: isoDate,
  /** `schema.name` of the tables (or the first block ranges of them) read in this step. */
  tables: z.array(z.string()),
});
export type StepRecord = z.infer<typeof StepRecord>;

/**
 * The point a backup restores to. `snapshot` is the one every table reaches: a single-step
 * full read everything in it; a multi-step full read each table in its step's snapshot and
 * carries the changes up to `snapshot` (the last step's) in `changes`; an incremental or
 * differential carries the changes from its parent's snapshot (`since`) to `snapshot`.
 */
export const ConsistencyRecord = z.object({
  snapshot: z.string(),
  lsn: z.string().nullable(),
  at: isoDate,
  /** The parent's snapshot the change window starts after (null for a full). */
  since: z.string().nullable().default(null),
  /** The source's change capture at `snapshot`; null when the backup was made without it (version 1 before chains). */
  capture: z.object({
    /** Random id of the capture installation: a chain never spans two. */
    epoch: z.string(),
    /** Highest change-log seq visible at `snapshot` (decimal); informational. */
    position: z.string(),
  }).nullable().default(null),
  /** Per-step snapshots of a multi-step full; empty for a backup made in one transaction. */
  steps: z.array(StepRecord).default([]),
});
export type ConsistencyRecord = z.infer<typeof ConsistencyRecord>;

/**
 * An extra object stored beside the volumes: a `pg_dump -Fc` archive of the same schemas
 * (kind `pg_dump-custom`, Node worker/CLI only), checked like a volume — size, SHA-256 and
 * MD5 of the bytes as stored (after encryption when the backup is encrypted).
 */
export const ArtifactRecord = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*\.dump(\.cofre)?$/),
  kind: z.literal("pg_dump-custom"),
  size: z.number().int().nonnegative(),
  sha256: hex(64),
  md5: hex(32),
  /** `pg_dump --version` of the binary that wrote it. */
  tool: z.string(),
});
export type ArtifactRecord = z.infer<typeof ArtifactRecord>;

/**
 * One object of a Supabase Storage bucket at the backup's point (sources/storage/,
 * docs/storage-source.md). Its bytes are the concatenation of `parts`, entries of the
 * volumes of backup `backupId` — this backup, or (an object unchanged since the parent,
 * same etag and size) the earlier backup of the chain that stored it.
 */
export const StorageObjectRecord = z.object({
  key: z.string().min(1).max(1024),
  size: z.number().int().nonnegative(),
  /** The service's ETag (quotes removed); with `size`, what an incremental compares. */
  etag: z.string().nullable(),
  /** The object's Last-Modified at the backup. */
  updatedAt: isoDate.nullable(),
  /** SHA-256 of the whole object's bytes. */
  sha256: hex(64),
  contentType: z.string().nullable(),
  cacheControl: z.string().nullable().default(null),
  /** User metadata (x-amz-meta-*). */
  metadata: z.record(z.string(), z.string()).default({}),
  /** The backup whose volumes hold `parts`. */
  backupId: BackupId,
  /** Entry names, in order: `storage/<bucket>/<key>/part-NNNNN` (percent-encoded). */
  parts: z.array(z.string()).min(1),
});
export type StorageObjectRecord = z.infer<typeof StorageObjectRecord>;

/** A bucket as it was at the backup: every object (sorted by key), and what changed since the parent. */
export const StorageBucketRecord = z.object({
  name: z.string().min(1),
  objects: z.array(StorageObjectRecord),
  /** Keys the parent's record of this bucket had that are gone now (informational: `objects` is the whole state). */
  deleted: z.array(z.string()).default([]),
  /** Objects whose bytes this backup stored (the others reference an earlier backup). */
  stored: z.number().int().nonnegative(),
  /** Bytes of the objects this backup stored. */
  storedBytes: z.number().int().nonnegative(),
});
export type StorageBucketRecord = z.infer<typeof StorageBucketRecord>;

export const StorageSection = z.object({
  /** The Storage S3 endpoint read from, without credentials. */
  endpoint: z.string(),
  buckets: z.array(StorageBucketRecord),
});
export type StorageSection = z.infer<typeof StorageSection>;

/** The encryption container's name and key derivation (format/crypto, docs/format.md). */
export const ENCRYPTION_CONTAINER = "cofre-encrypted/v1";
export const EncryptionRecord = z.object({
  container: z.literal(ENCRYPTION_CONTAINER),
  kdf: z.literal("pbkdf2-hmac-sha256"),
  iterations: z.number().int().min(100_000),
});
export type EncryptionRecord = z.infer<typeof EncryptionRecord>;

/** What every manifest starts with, the sealed one and its plaintext envelope alike. */
const ManifestHeader = z.object({
  format: z.literal(FORMAT_NAME),
  version: z.literal(FORMAT_VERSION),
  backupId: BackupId,
  type: BackupType,
  /** The previous backup of the chain this one's changes start from (null for a full). */
  parentId: BackupId.nullable(),
  /** The full backup the chain starts with (null for a full). */
  baseId: BackupId.nullable().default(null),
  createdAt: isoDate,
});

export const BackupManifest = ManifestHeader.extend({
  tool: z.object({ name: z.literal("cofre"), version: z.string() }),
  source: z.object({
    kind: z.literal("postgres"),
    serverVersion: z.string(),
    database: z.string(),
    schemas: z.array(z.string()),
    excluded: z.array(z.object({ schema: z.string(), name: z.string(), reason: z.string() })),
  }),
  /** The point the backup is consistent at (see ConsistencyRecord). */
  consistency: ConsistencyRecord,
  compression: z.object({ method: z.literal("deflate"), level: z.number().int().min(0).max(9) }),
  /** Null for a plaintext backup. */
  encryption: EncryptionRecord.nullable().default(null),
  schema: z.object({
    objects: z.number().int().nonnegative(),
    entries: z.array(z.string()),
    /** SHA-256 of the objects' ids and SQL: equal digests = same schema (a chain needs one). */
    digest: hex(64).optional(),
  }),
  /** Table data (empty for an incremental or differential). */
  tables: z.array(TableRecord),
  /** Change sets, applied after `tables`' data in array order (see ChangeSetRecord). */
  changes: z.array(ChangeSetRecord).default([]),
  sequences: z.array(SequenceRecord),
  entries: z.array(EntryRecord),
  /** Present in the top-level manifest only. */
  volumes: z.array(VolumeRecord).optional(),
  /** Extra stored objects (e.g. a pg_dump -Fc archive); absent in manifests written before them. */
  artifacts: z.array(ArtifactRecord).default([]),
  /** Supabase Storage buckets backed up with the database (docs/storage-source.md); absent = none. */
  storage: StorageSection.optional(),
  stats: z.object({
    rows: z.number().int().nonnegative(),
    bytesIn: z.number().int().nonnegative(),
    durationMs: z.number().int().nonnegative(),
  }),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/**
 * `manifest.json` of an ENCRYPTED backup: what can be known without the passphrase — enough
 * to list the backup and to check every stored object's size, SHA-256 and MD5. The full
 * manifest is sealed in `manifest.json.cofre`, described by `sealedManifest`.
 */
export const ManifestEnvelope = ManifestHeader.extend({
  encryption: EncryptionRecord,
  volumes: z.array(VolumeRecord),
  sealedManifest: z.object({
    name: z.literal("manifest.json.cofre"),
    size: z.number().int().nonnegative(),
    sha256: hex(64),
    md5: hex(32),
  }),
});
export type ManifestEnvelope = z.infer<typeof ManifestEnvelope>;
