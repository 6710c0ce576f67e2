/**
 * The body of a `run-backup` request. The source database is never part of a request: a
 * function backs up its own project's database (SUPABASE_DB_URL).
 */
import { z } from "zod";

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
}).strict();
export type RunRestoreRequest = z.infer<typeof RunRestoreRequest>;
