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

/** The encryption container's name and key derivation (format/crypto, docs/format.md). */
export const ENCRYPTION_CONTAINER = "cofre-encrypted/v1";
export const EncryptionRecord = z.object({
  container: z.literal(ENCRYPTION_CONTAINER),
  kdf: z.literal("pbkdf2-hmac-sha256"),
  iterations: z.number().int().min(100_000),
});
export type EncryptionRecord = z.infer<typeof EncryptionRecord>;

export const BackupManifest = z.object({
  format: z.literal(FORMAT_NAME),
  version: z.literal(FORMAT_VERSION),
  backupId: BackupId,
  type: BackupType,
  parentId: BackupId.nullable(),
  createdAt: isoDate,
  tool: z.object({ name: z.literal("cofre"), version: z.string() }),
  source: z.object({
    kind: z.literal("postgres"),
    serverVersion: z.string(),
    database: z.string(),
    schemas: z.array(z.string()),
    excluded: z.array(z.object({ schema: z.string(), name: z.string(), reason: z.string() })),
  }),
  /** The point the backup is consistent at: one REPEATABLE READ snapshot. */
  consistency: z.object({ snapshot: z.string(), lsn: z.string().nullable(), at: isoDate }),
  compression: z.object({ method: z.literal("deflate"), level: z.number().int().min(0).max(9) }),
  /** Null for a plaintext backup. */
  encryption: EncryptionRecord.nullable().default(null),
  schema: z.object({ objects: z.number().int().nonnegative(), entries: z.array(z.string()) }),
  tables: z.array(TableRecord),
  sequences: z.array(SequenceRecord),
  entries: z.array(EntryRecord),
  /** Present in the top-level manifest only. */
  volumes: z.array(VolumeRecord).optional(),
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
export const ManifestEnvelope = z.object({
  format: z.literal(FORMAT_NAME),
  version: z.literal(FORMAT_VERSION),
  backupId: BackupId,
  type: BackupType,
  parentId: BackupId.nullable(),
  createdAt: isoDate,
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
