/**
 * Backup chains at a destination: a full, optionally one differential (changes since the
 * full), then incrementals (each the changes since the backup before it, of any type).
 * `resolveChain` gives the manifests a restore applies, in order, and refuses a chain with a
 * missing, incomplete or out-of-order link (CHAIN_BROKEN). `findChainParent` picks what a
 * new incremental or differential starts from. Rules: docs/postgres-chains.md.
 */
import { CofreError, isCofreError } from "../errors.ts";
import type { BackupManifest } from "../config/manifest.ts";
import type { Destination } from "../destinations/contract.ts";
import { KeyCache } from "../format/crypto/mod.ts";
import { listBackups, readManifest, resolveBackupId, type BackupSecrets } from "./catalog.ts";
import { openRestoreSource, type RestoreSource } from "./restore-source.ts";

/** Longer chains than this are refused as corrupt (a parent loop cannot be this long honestly). */
const MAX_CHAIN = 10_000;

function broken(pt: string, en: string, details: Record<string, unknown>, cause?: unknown): CofreError {
  return new CofreError("CHAIN_BROKEN", { "pt-BR": pt, en }, { details, cause });
}

async function readLink(dest: Destination, id: string, child: string, secrets: BackupSecrets): Promise<BackupManifest> {
  try {
    return await readManifest(dest, id, secrets);
  } catch (e) {
    if (isCofreError(e, "PASSPHRASE_REQUIRED") || isCofreError(e, "WRONG_PASSPHRASE")) throw e;
    const why = isCofreError(e) ? e.code : String(e);
    throw broken(
      `A cadeia do backup ${child} está quebrada: o backup ${id}, de que ele depende, não pode ser lido em ${dest.displaySpec} (${why}). Restaure um backup anterior a ${child} ou um backup completo.`,
      `The chain of backup ${child} is broken: backup ${id}, which it depends on, cannot be read at ${dest.displaySpec} (${why}). Restore a backup older than ${child} or a full backup.`,
      { backupId: child, missing: id, reason: why },
      e,
    );
  }
}

/** Why `child` cannot follow `parent`, or null when the link is sound. */
function linkProblem(child: BackupManifest, parent: BackupManifest): string | null {
  // Ids sort by the second only; createdAt has milliseconds.
  if (parent.backupId === child.backupId || Date.parse(parent.createdAt) > Date.parse(child.createdAt)) {
    return "parent is not older than the backup";
  }
  if (child.type === "differential" && parent.type !== "full") return "a differential's parent must be a full backup";
  if (child.consistency.since !== parent.consistency.snapshot) return "its changes do not start at the parent's snapshot";
  if (!parent.consistency.capture || child.consistency.capture?.epoch !== parent.consistency.capture.epoch) {
    return "the source's change capture was reinstalled between them";
  }
  if (!child.schema.digest || child.schema.digest !== parent.schema.digest) return "the schema differs from the parent's";
  return null;
}

/**
 * The manifests to restore for `idOrLatest`, base full first, target last:
 * full [+ differential] [+ incrementals]. A full alone is a chain of one.
 *
 * @throws CofreError CHAIN_BROKEN when a link is missing, unreadable, out of order, of the
 *   wrong type, or does not start where its parent ends; BACKUP_NOT_FOUND for the target itself.
 */
export async function resolveChain(
  dest: Destination,
  idOrLatest: string,
  secrets: BackupSecrets = {},
): Promise<BackupManifest[]> {
  const targetId = await resolveBackupId(dest, idOrLatest);
  let m = await readManifest(dest, targetId, secrets);
  const chain = [m];
  while (m.type !== "full") {
    if (!m.parentId || chain.length > MAX_CHAIN) {
      throw broken(
        `O backup ${m.backupId} (${m.type}) não indica de qual backup ele depende. Restaure um backup completo.`,
        `Backup ${m.backupId} (${m.type}) does not say which backup it depends on. Restore a full backup.`,
        { backupId: m.backupId },
      );
    }
    const parent = await readLink(dest, m.parentId, m.backupId, secrets);
    const problem = linkProblem(m, parent);
    if (problem) {
      throw broken(
        `A cadeia do backup ${targetId} está quebrada entre ${parent.backupId} e ${m.backupId} (${problem}). Restaure um backup anterior ou um backup completo.`,
        `The chain of backup ${targetId} is broken between ${parent.backupId} and ${m.backupId} (${problem}). Restore an older backup or a full backup.`,
        { backupId: targetId, parent: parent.backupId, child: m.backupId, reason: problem },
      );
    }
    chain.unshift(parent);
    m = parent;
  }
  const base = chain[0]!;
  for (const link of chain.slice(1)) {
    if (link.baseId !== base.backupId) {
      throw broken(
        `O backup ${link.backupId} diz pertencer à cadeia do completo ${link.baseId}, mas seus elos levam a ${base.backupId}. Restaure um backup completo.`,
        `Backup ${link.backupId} says it belongs to the chain of full ${link.baseId}, but its links lead to ${base.backupId}. Restore a full backup.`,
        { backupId: link.backupId, baseId: link.baseId, found: base.backupId },
      );
    }
  }
  return chain;
}

export interface ChainStart {
  /** What the new backup's changes start after: the newest backup (incremental) or the last full (differential). */
  parent: BackupManifest;
  /** The full the chain starts with. */
  base: BackupManifest;
}

/**
 * The parent of a new incremental (the newest complete backup of the same source, any type)
 * or differential (the newest full), among backups made with the source's current change
 * capture (`epoch`) and the same schemas. Backups this passphrase cannot open are passed over.
 *
 * @throws CofreError CHAIN_BROKEN when there is none: a full backup must come first.
 */
export async function findChainParent(
  dest: Destination,
  type: "incremental" | "differential",
  source: { epoch: string; schemas: readonly string[] },
  secrets: BackupSecrets = {},
): Promise<ChainStart> {
  const wanted = [...source.schemas].sort().join("\n");
  // Newest first by creation time (ids alone sort only to the second).
  const listings = (await listBackups(dest)).sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""));
  for (const listing of listings) {
    if (!listing.complete) continue;
    if (type === "differential" && listing.type !== "full") continue;
    let m: BackupManifest;
    try {
      m = await readManifest(dest, listing.backupId, secrets);
    } catch (e) {
      if (isCofreError(e, "PASSPHRASE_REQUIRED")) continue;
      throw e;
    }
    if (m.consistency.capture?.epoch !== source.epoch) continue;
    if ([...m.source.schemas].sort().join("\n") !== wanted) continue;
    const base = m.type === "full" ? m : await readLink(dest, m.baseId ?? "", m.backupId, secrets);
    return { parent: m, base };
  }
  throw broken(
    `Não há em ${dest.displaySpec} um backup completo deste banco feito com a captura de alterações atual (e os mesmos schemas) para o backup ${type === "incremental" ? "incremental" : "diferencial"} partir. A captura está instalada agora: faça um backup completo (--type full) e os incrementais e diferenciais seguintes partirão dele.`,
    `There is no full backup of this database at ${dest.displaySpec} made with the current change capture (and the same schemas) for the ${type} backup to start from. Capture is installed now: run a full backup (--type full) and the following incrementals and differentials will start from it.`,
    { type },
  );
}

/**
 * A chain opened for restoring, shaped as the RestoreSource of its target so the restore
 * modes need no change: `manifest` is the target's with the full's `tables` (the data to
 * load), `schema` and `sequences` are the target's (same schema digest as the full's), and
 * entries resolve in the link that holds them. `links` are every backup of the chain, full
 * first; their change sets are applied in that order after the data (apply-changes.ts
 * applyChainChanges). For a full, `links` is just that full.
 */
export interface ChainSource extends RestoreSource {
  links: RestoreSource[];
}

export async function openChainSource(dest: Destination, idOrLatest: string, passphrase?: string): Promise<ChainSource> {
  const keyCache = new KeyCache();
  const manifests = await resolveChain(dest, idOrLatest, { passphrase, keyCache });
  const links: RestoreSource[] = [];
  for (const m of manifests) links.push(await openRestoreSource(dest, m.backupId, passphrase));
  const full = links[0]!;
  const target = links[links.length - 1]!;
  const owner = new Map<string, RestoreSource>();
  for (const link of links) for (const e of link.manifest.entries) if (!owner.has(e.name) || link === target) owner.set(e.name, link);
  const entryData = (name: string) => (owner.get(name) ?? target).entryData(name);
  return {
    backupId: target.backupId,
    manifest: { ...target.manifest, tables: full.manifest.tables },
    schema: target.schema,
    entryData,
    tableParts: (table) => full.tableParts(table),
    get bytesRead() {
      return links.reduce((n, l) => n + l.bytesRead, 0);
    },
    links,
  };
}
