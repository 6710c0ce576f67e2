/**
 * Restores Supabase Storage buckets from a backup (docs/storage-source.md): every object of
 * the backup's record of each selected bucket — the bucket's whole state at that backup,
 * whether its bytes sit in this backup or in an earlier one of its chain — is put into the
 * bucket of the same name (or the one `bucketMap` names), with its content type, cache
 * control and user metadata.
 *
 * Two steps, so a conflict refuses the restore before anything is written:
 * - plan: list each target bucket; an object already there with the same bytes (same size
 *   and ETag, or else the same SHA-256 read back) is left as is; one that differs is a
 *   conflict — RESTORE_CONFLICT naming how many keys, unless `overwrite`;
 * - run: each missing or differing object streamed from the volumes (every entry's SHA-256
 *   checked by the restore source, the object's size and SHA-256 here) into one atomic put.
 * Objects in a target bucket that the backup does not have are left alone and counted.
 */
import { CofreError, isCofreError } from "../../errors.ts";
import type { BackupManifest, StorageBucketRecord, StorageObjectRecord } from "../../config/manifest.ts";
import type { Destination } from "../../destinations/contract.ts";
import type { OpenContext } from "../../destinations/open-context.ts";
import type { S3Destination } from "../../destinations/s3.ts";
import { sha256Hasher } from "../../format/checksum.ts";
import { streamChunks } from "../../format/streams.ts";
import { KeyCache } from "../../format/crypto/mod.ts";
import { readManifest, resolveBackupId } from "../../engine/catalog.ts";
import { integrityMismatch, openRestoreSource, type RestoreSource } from "../../engine/restore-source.ts";
import { listBucket, bucketMissing } from "./source.ts";
import { openBucket, parseStorageEndpoint } from "./spec.ts";

/** What `runRestore` takes as `storage` (and the `restore` request's `storage` field). */
export interface StorageRestoreOptions {
  /** Buckets of the backup to restore. */
  buckets: readonly string[];
  /** Restore bucket `old` into bucket `new` (which must exist). */
  bucketMap?: Readonly<Record<string, string>>;
  /** Replace objects that exist in the target with other bytes (default: refuse, RESTORE_CONFLICT). */
  overwrite?: boolean;
  /** The Storage S3 endpoint spec to write to (spec.ts); default COFRE_SUPABASE_STORAGE_ENDPOINT. */
  endpoint?: string;
  /** Credentials and network policy; default the environment's. */
  context?: OpenContext;
}

export interface StorageRestoreBucketSummary {
  bucket: string;
  into: string;
  /** Objects in the backup's record of the bucket. */
  objects: number;
  /** Objects written. */
  restored: number;
  /** Objects already there with the same bytes. */
  unchanged: number;
  /** Objects written over different bytes (only with overwrite). */
  overwritten: number;
  /** Objects in the target the backup does not have (left alone). */
  extra: number;
  bytes: number;
}

export interface StorageRestoreSummary {
  backupId: string;
  buckets: StorageRestoreBucketSummary[];
}

export interface StorageRestorePlan {
  readonly summary: StorageRestoreSummary;
  /** Writes the planned objects; resolves with the summary. */
  run(): Promise<StorageRestoreSummary>;
}

interface BucketPlan {
  record: StorageBucketRecord;
  into: string;
  target: S3Destination;
  write: { object: StorageObjectRecord; overwrite: boolean }[];
  summary: StorageRestoreBucketSummary;
}

function invalid(pt: string, en: string, details: Record<string, unknown>) {
  return new CofreError("INVALID_INPUT", { "pt-BR": pt, en }, { details });
}

/** SHA-256 of what the target holds under `key`. */
async function targetSha256(target: S3Destination, key: string): Promise<string> {
  const sha = sha256Hasher();
  for await (const chunk of streamChunks(await target.get(key))) sha.update(chunk);
  return sha.digest("hex");
}

async function planBucket(record: StorageBucketRecord, into: string, target: S3Destination, overwrite: boolean): Promise<{ plan: BucketPlan; conflicts: string[] }> {
  const existing = new Map<string, { size: number; etag: string | null }>();
  for await (const page of listBucket(target, into)) for (const o of page.objects) existing.set(o.key, { size: o.size, etag: o.etag });
  const plan: BucketPlan = {
    record, into, target, write: [],
    summary: { bucket: record.name, into, objects: record.objects.length, restored: 0, unchanged: 0, overwritten: 0, extra: 0, bytes: 0 },
  };
  const conflicts: string[] = [];
  const inBackup = new Set<string>();
  for (const o of record.objects) {
    inBackup.add(o.key);
    const there = existing.get(o.key);
    if (!there) {
      plan.write.push({ object: o, overwrite: false });
      continue;
    }
    const same = there.size === o.size && (
      (there.etag !== null && there.etag === o.etag) || (await targetSha256(target, o.key)) === o.sha256
    );
    if (same) {
      plan.summary.unchanged++;
      continue;
    }
    conflicts.push(o.key);
    plan.write.push({ object: o, overwrite: true });
  }
  plan.summary.extra = [...existing.keys()].filter((k) => !inBackup.has(k)).length;
  if (!overwrite && conflicts.length) plan.write = plan.write.filter((w) => !w.overwrite);
  return { plan, conflicts };
}

/**
 * Plans restoring `opts.buckets` of backup `idOrLatest`: checks the backup has them, opens the
 * target buckets, and refuses (RESTORE_CONFLICT) when objects there differ and `overwrite` is off.
 * `sources` may hold backups already opened (the database restore's chain) to reuse.
 */
export async function planStorageRestore(
  dest: Destination, idOrLatest: string, passphrase: string | undefined, opts: StorageRestoreOptions,
  sources: readonly RestoreSource[] = [],
): Promise<StorageRestorePlan> {
  const backupId = await resolveBackupId(dest, idOrLatest);
  const keyCache = new KeyCache();
  const manifest: BackupManifest = await readManifest(dest, backupId, { passphrase, keyCache });
  const available = manifest.storage?.buckets.map((b) => b.name) ?? [];
  const missing = opts.buckets.filter((b) => !available.includes(b));
  if (missing.length || opts.buckets.length === 0) {
    const has = available.length ? available.join(", ") : "nenhum / none";
    throw invalid(
      `O backup ${backupId} não tem o(s) bucket(s) ${missing.join(", ") || "(nenhum pedido)"}. Buckets no backup: ${has}.`,
      `Backup ${backupId} has no bucket ${missing.join(", ") || "(none asked)"}. Buckets in the backup: ${has}.`,
      { backupId, missing, available },
    );
  }
  for (const from of Object.keys(opts.bucketMap ?? {})) {
    if (!opts.buckets.includes(from)) {
      throw invalid(`--bucket-map cita ${from}, que não está em --buckets.`, `--bucket-map names ${from}, which is not in --buckets.`, { bucket: from });
    }
  }
  const ep = parseStorageEndpoint(opts.endpoint, opts.context ? (n) => opts.context!.credentials.env?.(n) : undefined);
  const plans: BucketPlan[] = [];
  const conflicts: { bucket: string; keys: string[] }[] = [];
  for (const name of new Set(opts.buckets)) {
    const record = manifest.storage!.buckets.find((b) => b.name === name)!;
    const into = opts.bucketMap?.[name] ?? name;
    const target = await openBucket(ep, into, opts.context);
    const { plan, conflicts: keys } = await planBucket(record, into, target, opts.overwrite === true);
    plans.push(plan);
    if (keys.length) conflicts.push({ bucket: into, keys });
  }
  const total = conflicts.reduce((n, c) => n + c.keys.length, 0);
  if (total && !opts.overwrite) {
    const first = conflicts.flatMap((c) => c.keys.map((k) => `${c.bucket}/${k}`)).slice(0, 10);
    throw new CofreError("RESTORE_CONFLICT", {
      "pt-BR": `${total} objeto(s) já existem no Storage com conteúdo diferente do backup (${first.join(", ")}${total > first.length ? ", …" : ""}). Nada foi gravado. Para substituí-los use --overwrite, ou restaure em outro bucket com --bucket-map antigo=novo.`,
      en: `${total} object(s) already exist in Storage with content other than the backup's (${first.join(", ")}${total > first.length ? ", …" : ""}). Nothing was written. To replace them use --overwrite, or restore into another bucket with --bucket-map old=new.`,
    }, { details: { conflicts: total, buckets: conflicts.map((c) => ({ bucket: c.bucket, count: c.keys.length })), keys: first } });
  }

  const opened = new Map<string, RestoreSource>(sources.map((s) => [s.backupId, s]));
  async function sourceOf(id: string): Promise<RestoreSource> {
    let s = opened.get(id);
    if (!s) {
      try {
        s = await openRestoreSource(dest, id, passphrase);
      } catch (e) {
        if (isCofreError(e, "WRONG_PASSPHRASE") || isCofreError(e, "PASSPHRASE_REQUIRED")) throw e;
        throw new CofreError("CHAIN_BROKEN", {
          "pt-BR": `Os arquivos do Storage do backup ${backupId} estão guardados no backup ${id}, que não pode ser lido em ${dest.displaySpec}. Restaure um backup completo mais recente.`,
          en: `Backup ${backupId}'s Storage files are kept in backup ${id}, which cannot be read at ${dest.displaySpec}. Restore a newer full backup.`,
        }, { details: { backupId, missing: id }, cause: e });
      }
      opened.set(id, s);
    }
    return s;
  }

  /** The object's bytes from its parts, with its size and SHA-256 checked at the end. */
  function objectStream(o: StorageObjectRecord): ReadableStream<Uint8Array> {
    async function* chunks() {
      const source = await sourceOf(o.backupId);
      const sha = sha256Hasher();
      let size = 0;
      for (const part of o.parts) {
        for await (const chunk of source.entryData(part)) {
          sha.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      }
      if (size !== o.size || sha.digest("hex") !== o.sha256) {
        throw integrityMismatch(`storage object ${o.key}`, { key: o.key, backupId: o.backupId });
      }
    }
    const it = chunks();
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const r = await it.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      async cancel() {
        await it.return(undefined);
      },
    }, { highWaterMark: 0 });
  }

  const summary: StorageRestoreSummary = { backupId, buckets: plans.map((p) => p.summary) };
  return {
    summary,
    async run() {
      for (const p of plans) {
        for (const w of p.write) {
          try {
            await p.target.putWithAttributes(w.object.key, objectStream(w.object), {
              contentType: w.object.contentType, cacheControl: w.object.cacheControl, metadata: w.object.metadata,
            });
          } catch (e) {
            throw bucketMissing(e, p.into);
          }
          if (w.overwrite) p.summary.overwritten++;
          else p.summary.restored++;
          p.summary.bytes += w.object.size;
        }
      }
      return summary;
    },
  };
}

/** Restores buckets alone (no database): plan, then write. */
export async function runStorageRestore(
  dest: Destination, idOrLatest: string, passphrase: string | undefined, opts: StorageRestoreOptions,
): Promise<StorageRestoreSummary> {
  return (await planStorageRestore(dest, idOrLatest, passphrase, opts)).run();
}
