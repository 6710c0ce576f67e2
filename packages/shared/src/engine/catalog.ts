/**
 * Finding backups at a destination: each backup is a key prefix `<backupId>/` holding its
 * volumes and, once complete, `manifest.json`. Manifests read back are validated with zod.
 */
import { CofreError } from "../errors.ts";
import { BackupId, BackupManifest, FORMAT_NAME, FORMAT_VERSION } from "../config/manifest.ts";
import { getBytes, listAll, type Destination, type ObjectInfo } from "../destinations/contract.ts";
import { utf8Decoder } from "../format/bytes.ts";
import { MANIFEST_KEY } from "./entry-names.ts";

export interface BackupListing {
  backupId: string;
  complete: boolean;
  manifest: BackupManifest | null;
  /** Why a listed backup cannot be used, if it cannot. */
  problem: string | null;
  storedBytes: number;
}

export async function listBackupObjects(dest: Destination, backupId: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of listAll(dest, `${backupId}/`)) out.push(o);
  return out;
}

/** Parses and validates a manifest document; a newer format version is UNSUPPORTED_VERSION. */
export function parseManifest(bytes: Uint8Array, where: string): BackupManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(utf8Decoder.decode(bytes));
  } catch {
    throw invalidManifest(where, "not JSON");
  }
  const head = doc as { format?: unknown; version?: unknown };
  if (head?.format === FORMAT_NAME && typeof head.version === "number" && head.version > FORMAT_VERSION) {
    throw new CofreError("UNSUPPORTED_VERSION", {
      "pt-BR": `O backup usa o formato versão ${head.version}; esta versão do Cofre lê até a ${FORMAT_VERSION}. Atualize o Cofre.`,
      en: `The backup uses format version ${head.version}; this Cofre reads up to ${FORMAT_VERSION}. Upgrade Cofre.`,
    }, { details: { version: head.version } });
  }
  const parsed = BackupManifest.safeParse(doc);
  if (!parsed.success) {
    throw invalidManifest(where, parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  return parsed.data;
}

function invalidManifest(where: string, why: string) {
  return new CofreError("CORRUPT_ARCHIVE", {
    "pt-BR": `O manifesto ${where} é inválido (${why}). Use outra cópia do backup.`,
    en: `Manifest ${where} is invalid (${why}). Use another copy of the backup.`,
  }, { details: { where, reason: why } });
}

export async function readManifest(dest: Destination, backupId: string): Promise<BackupManifest> {
  const key = `${backupId}/${MANIFEST_KEY}`;
  const info = await dest.stat(key);
  if (!info) {
    const objects = await listBackupObjects(dest, backupId);
    if (objects.length) {
      throw new CofreError("BACKUP_INCOMPLETE", {
        "pt-BR": `O backup ${backupId} está incompleto (sem manifesto): ele falhou ou ainda está sendo gravado. Use outro backup.`,
        en: `Backup ${backupId} is incomplete (no manifest): it failed or is still being written. Use another backup.`,
      }, { details: { backupId } });
    }
    throw backupNotFound(dest, backupId);
  }
  const manifest = parseManifest(await getBytes(dest, key), key);
  if (manifest.backupId !== backupId) throw invalidManifest(key, `names backup ${manifest.backupId}`);
  return manifest;
}

function backupNotFound(dest: Destination, backupId: string) {
  return new CofreError("BACKUP_NOT_FOUND", {
    "pt-BR": `Backup ${backupId} não encontrado em ${dest.displaySpec}. Use \`cofre ls\` para ver os backups disponíveis.`,
    en: `Backup ${backupId} not found at ${dest.displaySpec}. Run \`cofre ls\` to see the available backups.`,
  }, { details: { backupId } });
}

/** Every backup at the destination, newest first, complete or not. */
export async function listBackups(dest: Destination): Promise<BackupListing[]> {
  const byId = new Map<string, { objects: ObjectInfo[] }>();
  for await (const o of listAll(dest, "")) {
    const [id, ...rest] = o.key.split("/");
    if (!id || rest.length === 0 || !BackupId.safeParse(id).success) continue;
    const slot = byId.get(id) ?? { objects: [] };
    slot.objects.push(o);
    byId.set(id, slot);
  }
  const out: BackupListing[] = [];
  for (const [backupId, { objects }] of byId) {
    const storedBytes = objects.reduce((n, o) => n + o.size, 0);
    const hasManifest = objects.some((o) => o.key === `${backupId}/${MANIFEST_KEY}`);
    if (!hasManifest) {
      out.push({ backupId, complete: false, manifest: null, problem: "no manifest: failed or in progress", storedBytes });
      continue;
    }
    try {
      out.push({ backupId, complete: true, manifest: await readManifest(dest, backupId), problem: null, storedBytes });
    } catch (e) {
      out.push({ backupId, complete: false, manifest: null, problem: e instanceof CofreError ? e.code : String(e), storedBytes });
    }
  }
  return out.sort((a, b) => (a.backupId < b.backupId ? 1 : -1));
}

/** Resolves `latest` (the newest complete backup) or checks that an id exists. */
export async function resolveBackupId(dest: Destination, idOrLatest: string): Promise<string> {
  if (idOrLatest !== "latest") return idOrLatest;
  const latest = (await listBackups(dest)).find((b) => b.complete);
  if (!latest) {
    throw new CofreError("BACKUP_NOT_FOUND", {
      "pt-BR": `Nenhum backup completo em ${dest.displaySpec}.`,
      en: `No complete backup at ${dest.displaySpec}.`,
    });
  }
  return latest.backupId;
}
