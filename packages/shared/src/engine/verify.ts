/**
 * Verifies a stored backup: every stored object's size, SHA-256 and MD5 against the manifest
 * (possible without the passphrase: an encrypted backup's envelope lists them), then — when
 * the volumes can be opened — every entry's CRC-32, size and SHA-256 against the manifest.
 */
import { CofreError } from "../errors.ts";
import type { Destination } from "../destinations/contract.ts";
import { sha256Hasher, StoredObjectHasher } from "../format/checksum.ts";
import { streamChunks } from "../format/streams.ts";
import { readManifest, readStoredManifest, type BackupSecrets } from "./catalog.ts";
import { SEALED_MANIFEST_KEY } from "./entry-names.ts";
import { openVolume } from "./volume-access.ts";

export interface ObjectCheck {
  name: string;
  ok: boolean;
  /** The CofreError code (or a short reason) when not ok. */
  problem: string | null;
}

export interface VerifyReport {
  backupId: string;
  encrypted: boolean;
  /** Stored objects checked against their recorded size, SHA-256 and MD5. */
  objects: ObjectCheck[];
  /** Entries whose plaintext was checked (0 when the volumes could not be opened). */
  entriesChecked: number;
  /** Set when entries were not checked: e.g. an encrypted backup and no passphrase. */
  entriesSkipped: string | null;
  ok: boolean;
}

async function checkStoredObject(dest: Destination, key: string, want: { size: number; sha256: string; md5: string }) {
  const hasher = new StoredObjectHasher();
  for await (const value of streamChunks(await dest.get(key))) hasher.update(value);
  const got = hasher.digest();
  if (got.size !== want.size) return "size";
  if (got.sha256 !== want.sha256) return "sha256";
  if (got.md5 !== want.md5) return "md5";
  return null;
}

export async function verifyBackup(dest: Destination, backupId: string, secrets: BackupSecrets = {}): Promise<VerifyReport> {
  const stored = await readStoredManifest(dest, backupId);
  const encrypted = stored.kind === "sealed";
  const volumes = stored.kind === "plain" ? stored.manifest.volumes ?? [] : stored.envelope.volumes;
  const targets = volumes.map((v) => ({ name: v.name, want: v }));
  // Extra stored objects (a pg_dump -Fc archive) are checked like volumes; an encrypted backup lists them in its sealed manifest only.
  if (stored.kind === "plain") for (const a of stored.manifest.artifacts) targets.push({ name: a.name, want: a });
  if (stored.kind === "sealed") targets.push({ name: SEALED_MANIFEST_KEY, want: { ...stored.envelope.sealedManifest } });

  const objects: ObjectCheck[] = [];
  for (const t of targets) {
    try {
      const problem = await checkStoredObject(dest, `${backupId}/${t.name}`, t.want);
      objects.push({ name: t.name, ok: problem === null, problem: problem && `INTEGRITY_MISMATCH (${problem})` });
    } catch (e) {
      objects.push({ name: t.name, ok: false, problem: e instanceof CofreError ? e.code : String(e) });
    }
  }

  let entriesChecked = 0;
  let entriesSkipped: string | null = null;
  if (encrypted && secrets.passphrase === undefined) {
    entriesSkipped = "PASSPHRASE_REQUIRED";
  } else {
    try {
      const manifest = await readManifest(dest, backupId, secrets);
      for (const [i, v] of (manifest.volumes ?? []).entries()) {
        const check = objects.find((o) => o.name === v.name);
        if (check && !check.ok) continue;
        try {
          const zip = await openVolume(dest, manifest, i + 1, secrets);
          for (const e of manifest.entries.filter((e) => e.volume === i + 1)) {
            const entry = zip.entry(e.name);
            if (!entry) throw new CofreError("INTEGRITY_MISMATCH", { "pt-BR": `Entrada ${e.name} ausente.`, en: `Entry ${e.name} missing.` });
            const sha = sha256Hasher();
            for await (const c of zip.read(entry)) sha.update(c);
            if (sha.digest("hex") !== e.sha256) {
              throw new CofreError("INTEGRITY_MISMATCH", { "pt-BR": `SHA-256 de ${e.name} não confere.`, en: `SHA-256 of ${e.name} does not match.` });
            }
            entriesChecked++;
          }
        } catch (e) {
          const problem = e instanceof CofreError ? `${e.code}: ${e.messages.en}` : String(e);
          if (check) Object.assign(check, { ok: false, problem });
          else objects.push({ name: v.name, ok: false, problem });
        }
      }
    } catch (e) {
      entriesSkipped = e instanceof CofreError ? e.code : String(e);
      if (e instanceof CofreError && e.code !== "PASSPHRASE_REQUIRED") {
        objects.push({ name: "manifest", ok: false, problem: e.code });
      }
    }
  }
  return { backupId, encrypted, objects, entriesChecked, entriesSkipped, ok: objects.every((o) => o.ok) && (entriesSkipped === null || entriesSkipped === "PASSPHRASE_REQUIRED") };
}
