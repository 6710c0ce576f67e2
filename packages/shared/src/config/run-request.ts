/**
 * The body of a `run-backup` request. The source database is never part of a request: a
 * function backs up its own project's database (SUPABASE_DB_URL).
 */
import { z } from "zod";

/** A Supabase Storage bucket name (sources/storage/spec.ts checks the same). */
const BucketName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/);
/** The Storage S3 endpoint spec, `https://<ref>.supabase.co/storage/v1/s3?region=…` (docs/storage-source.md); default COFRE_SUPABASE_STORAGE_ENDPOINT. */
const StorageEndpoint = z.string().min(1).max(2048);

export const RunBackupRequest = z.object({
  /** Destination spec, e.g. `file:///var/backups/orthoplus` (no credentials in specs). */
  destination: z.string().min(1).max(2048),
  /** Schemas to back up; default: every schema that is neither the system's nor Supabase's. */
  schemas: z.array(z.string().min(1).max(63)).max(100).optional(),
  /** Extra table patterns whose data is left out. */
  exclude: z.array(z.string().min(1).max(200)).max(100).optional(),
  compressionLevel: z.number().int().min(0).max(9).optional(),
  volumeSize: z.number().int().min(1024 * 1024).max(4 * 1024 ** 3).optional(),
  /** Encrypt with the passphrase the function holds as a secret (COFRE_BACKUP_PASSPHRASE). */
  encrypt: z.boolean().default(false),
  /** full (default), incremental (since the chain's newest backup) or differential (since the last full). */
  type: z.enum(["full", "incremental", "differential"]).default("full"),
  /** Install change capture in the source so incrementals can follow a full (default: see BackupOptions.capture). */
  capture: z.boolean().optional(),
  /** Supabase Storage buckets stored in the same backup (docs/storage-source.md). */
  storage: z.object({
    buckets: z.array(BucketName).min(1).max(100),
    endpoint: StorageEndpoint.optional(),
  }).strict().optional(),
}).strict();
export type RunBackupRequest = z.infer<typeof RunBackupRequest>;

/**
 * The body of a `restore` request. The target is the function's own project database; the
 * passphrase of an encrypted backup is the function's secret, never part of a request.
 */
export const RunRestoreRequest = z.object({
  destination: z.string().min(1).max(2048),
  /** A backup id or `latest`. */
  backupId: z.union([z.literal("latest"), z.string().regex(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/)]).default("latest"),
  /** Only these tables (`schema.table`); with `tenant`, `dryRun` or `apply`, the scope (docs/restore.md). */
  tables: z.array(z.string().min(1).max(130)).min(1).max(500).optional(),
  /** With `tables` alone: add every table they reference. */
  withDependencies: z.boolean().optional(),
  /** One tenant's rows: `column=value`, e.g. `clinic_id=4f1c…`. */
  tenant: z.string().min(3).max(300).regex(/^[^=]+=.+$/).optional(),
  /** With `tenant`: allow re-creating rows of another tenant that this tenant's rows reference (docs/restore.md, "Tenant safety"). */
  recreateOtherTenantParents: z.boolean().optional(),
  /** Whole restore under another schema name: `new_name` or `old=new`. */
  intoSchema: z.string().min(1).max(130).optional(),
  /** Compare with the live database and report per table; writes nothing. */
  dryRun: z.boolean().optional(),
  /** Apply exactly what the dry run with this id reported. */
  apply: z.string().regex(/^dr-[0-9a-f]{32}$/).optional(),
  /** Supabase Storage buckets to restore (docs/storage-source.md); `only`: without the database. */
  storage: z.object({
    buckets: z.array(BucketName).min(1).max(100),
    /** Restore bucket `old` into bucket `new`. */
    bucketMap: z.record(BucketName, BucketName).optional(),
    /** Replace objects that differ (default: refuse with RESTORE_CONFLICT). */
    overwrite: z.boolean().optional(),
    only: z.boolean().optional(),
    endpoint: StorageEndpoint.optional(),
  }).strict().optional(),
}).strict();
export type RunRestoreRequest = z.infer<typeof RunRestoreRequest>;
