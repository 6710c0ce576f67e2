/**
 * Finding backups at a destination: each backup is a key prefix `<backupId>/` holding its
 * volumes and, once complete, `manifest.json` — the full manifest, or for an encrypted
 * backup an envelope whose full manifest is sealed in `manifest.json.cofre`. Everything read
 * back is validated with zod.
 */
import { CofreError } from "../errors.ts";
import {
  BackupId, BackupManifest, FORMAT_NAME, FORMAT_VERSION, ManifestEnvelope, type BackupType,
} from "../config/manifest.ts";
import { getBytes, listAll, type Destination, type ObjectInfo } from "../destinations/contract.ts";
import { utf8Decoder } from "../format/bytes.ts";
import { readAllBytes } from "../format/streams.ts";
import { hashingStream, StoredObjectHasher } from "../format/checksum.ts";
import { decryptStream, type KeyCache } from "../format/crypto/mod.ts";
import { MANIFEST_KEY, SEALED_MANIFEST_KEY } from "./entry-names.ts";

/** What opens an encrypted backup. The cache makes many volumes cost one key derivation. */
export interface BackupSecrets {
  passphrase?: string;
  keyCache?: KeyCache;
}

export type StoredManifest =
  | { kind: "plain"; manifest: BackupManifest }
  | { kind: "sealed"; envelope: ManifestEnvelope };

export interface BackupListing {
  backupId: string;
  complete: boolean;
  encrypted: boolean;
  type: BackupType | null;
  createdAt: string | null;
  /** Known without the passphrase only for plaintext backups. */
  tables: number | null;
  rows: number | null;
  /** Why a listed backup cannot be used, if it cannot. */
  problem: string | null;
  storedBytes: number;
}

export async function listBackupObjects(dest: Destination, backupId: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of listAll(dest, `${backupId}/`)) out.push(o);
  return out;
}

function invalidManifest(where: string, why: string) {
  return new CofreError("CORRUPT_ARCHIVE", {
    "pt-BR": `O manifesto ${where} é inválido (${why}). Use outra cópia do backup.`,
    en: `Manifest ${where} is invalid (${why}). Use another copy of the backup.`,
  }, { details: { where, reason: why } });
}

function parseJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(utf8Decoder.decode(bytes));
  } catch {
    throw invalidManifest(where, "not JSON");
  }
}

function checkVersion(doc: unknown) {
  const head = doc as { format?: unknown; version?: unknown } | null;
  if (head?.format === FORMAT_NAME && typeof head.version === "number" && head.version > FORMAT_VERSION) {
    throw new CofreError("UNSUPPORTED_VERSION", {
      "pt-BR": `O backup usa o formato versão ${head.version}; esta versão do Cofre lê até a ${FORMAT_VERSION}. Atualize o Cofre.`,
      en: `The backup uses format version ${head.version}; this Cofre reads up to ${FORMAT_VERSION}. Upgrade Cofre.`,
    }, { details: { version: head.version } });
  }
}

function validate<T>(schema: { safeParse(d: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, doc: unknown, where: string): T {
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    throw invalidManifest(where, parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  return parsed.data;
}

/** Parses and validates a full manifest document; a newer format version is UNSUPPORTED_VERSION. */
export function parseManifest(bytes: Uint8Array, where: string): BackupManifest {
  const doc = parseJson(bytes, where);
  checkVersion(doc);
  return validate(BackupManifest, doc, where);
}

/** `manifest.json` as stored: the full manifest, or an encrypted backup's envelope. */
export async function readStoredManifest(dest: Destination, backupId: string): Promise<StoredManifest> {
  const key = `${backupId}/${MANIFEST_KEY}`;
  if (!(await dest.stat(key))) {
    if ((await listBackupObjects(dest, backupId)).length) {
      throw new CofreError("BACKUP_INCOMPLETE", {
        "pt-BR": `O backup ${backupId} está incompleto (sem manifesto): ele falhou ou ainda está sendo gravado. Use outro backup.`,
        en: `Backup ${backupId} is incomplete (no manifest): it failed or is still being written. Use another backup.`,
      }, { details: { backupId } });
    }
    throw new CofreError("BACKUP_NOT_FOUND", {
      "pt-BR": `Backup ${backupId} não encontrado em ${dest.displaySpec}. Use \`cofre ls\` para ver os backups disponíveis.`,
      en: `Backup ${backupId} not found at ${dest.displaySpec}. Run \`cofre ls\` to see the available backups.`,
    }, { details: { backupId } });
  }
  const doc = parseJson(await getBytes(dest, key), key);
  checkVersion(doc);
  const stored: StoredManifest = doc !== null && typeof doc === "object" && "sealedManifest" in doc
    ? { kind: "sealed", envelope: validate(ManifestEnvelope, doc, key) }
    : { kind: "plain", manifest: validate(BackupManifest, doc, key) };
  const id = stored.kind === "plain" ? stored.manifest.backupId : stored.envelope.backupId;
  if (id !== backupId) throw invalidManifest(key, `names backup ${id}`);
  return stored;
}

function integrity(what: string, details: Record<string, unknown>) {
  return new CofreError("INTEGRITY_MISMATCH", {
    "pt-BR": `O backup não confere (${what}): ele foi alterado ou está corrompido. Use outra cópia.`,
    en: `The backup does not match (${what}): it was altered or is corrupt. Use another copy.`,
  }, { details });
}

/** The full manifest of a complete backup, unsealing it with `secrets` when it is encrypted. */
export async function readManifest(dest: Destination, backupId: string, secrets: BackupSecrets = {}): Promise<BackupManifest> {
  const stored = await readStoredManifest(dest, backupId);
  if (stored.kind === "plain") return stored.manifest;
  if (secrets.passphrase === undefined) {
    throw new CofreError("PASSPHRASE_REQUIRED", {
      "pt-BR": `O backup ${backupId} é criptografado: informe a senha (--passphrase-env VAR ou --passphrase-file ARQUIVO).`,
      en: `Backup ${backupId} is encrypted: give its passphrase (--passphrase-env VAR or --passphrase-file FILE).`,
    }, { details: { backupId } });
  }
  const { envelope } = stored;
  const key = `${backupId}/${SEALED_MANIFEST_KEY}`;
  const hasher = new StoredObjectHasher();
  const sealed = (await dest.get(key)).pipeThrough(hashingStream(hasher));
  const plain = await readAllBytes(sealed.pipeThrough(decryptStream(secrets.passphrase, secrets.keyCache)));
  const digest = hasher.digest();
  if (digest.sha256 !== envelope.sealedManifest.sha256 || digest.size !== envelope.sealedManifest.size) {
    throw integrity(`${SEALED_MANIFEST_KEY} differs from its envelope`, { key });
  }
  const manifest = parseManifest(plain, key);
  if (manifest.backupId !== backupId || JSON.stringify(manifest.volumes) !== JSON.stringify(envelope.volumes)) {
    throw integrity("sealed manifest and envelope disagree", { key });
  }
  return manifest;
}

/** Every backup at the destination, newest first, complete or not. Needs no passphrase. */
export async function listBackups(dest: Destination): Promise<BackupListing[]> {
  const byId = new Map<string, ObjectInfo[]>();
  for await (const o of listAll(dest, "")) {
    const [id, ...rest] = o.key.split("/");
    if (!id || rest.length === 0 || !BackupId.safeParse(id).success) continue;
    byId.set(id, [...(byId.get(id) ?? []), o]);
  }
  const out: BackupListing[] = [];
  for (const [backupId, objects] of byId) {
    const base = { backupId, storedBytes: objects.reduce((n, o) => n + o.size, 0) };
    const empty = { complete: false, encrypted: false, type: null, createdAt: null, tables: null, rows: null };
    if (!objects.some((o) => o.key === `${backupId}/${MANIFEST_KEY}`)) {
      out.push({ ...base, ...empty, problem: "no manifest: failed or in progress" });
      continue;
    }
    try {
      const stored = await readStoredManifest(dest, backupId);
      out.push(stored.kind === "plain"
        ? {
          ...base, complete: true, encrypted: false, type: stored.manifest.type, createdAt: stored.manifest.createdAt,
          tables: stored.manifest.tables.length, rows: stored.manifest.stats.rows, problem: null,
        }
        : {
          ...base, complete: true, encrypted: true, type: stored.envelope.type, createdAt: stored.envelope.createdAt,
          tables: null, rows: null, problem: null,
        });
    } catch (e) {
      out.push({ ...base, ...empty, problem: e instanceof CofreError ? e.code : String(e) });
    }
  }
  return out.sort((a, b) => (a.backupId < b.backupId ? 1 : -1));
}

/** Resolves `latest` (the newest complete backup) or returns the id given. */
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
