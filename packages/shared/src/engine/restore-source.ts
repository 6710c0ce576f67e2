/**
 * A backup opened for restoring: its manifest, its schema document, and every entry readable
 * as a stream that is checked against the manifest (CRC-32 and size by the ZIP reader,
 * SHA-256 here at the end of the entry, CSV record counts by the caller). Nothing is held in
 * memory but the schema document and the ZIP directories.
 */
import { CofreError } from "../errors.ts";
import type { BackupManifest, TableRecord } from "../config/manifest.ts";
import { SchemaDumpDoc } from "../config/schema-dump.ts";
import type { Destination } from "../destinations/contract.ts";
import { concatBytes, utf8Decoder } from "../format/bytes.ts";
import { sha256Hasher } from "../format/checksum.ts";
import { KeyCache } from "../format/crypto/mod.ts";
import type { ZipEntry, ZipReader } from "../format/zip/reader.ts";
import { CsvRecordCounter } from "../sources/postgres/csv.ts";
import { readManifest, resolveBackupId, type BackupSecrets } from "./catalog.ts";
import { SCHEMA_JSON_ENTRY } from "./entry-names.ts";
import { openVolume } from "./volume-access.ts";

export interface RestoreSource {
  backupId: string;
  manifest: BackupManifest;
  schema: SchemaDumpDoc;
  /** Streams an entry's plaintext; throws INTEGRITY_MISMATCH at the end if its SHA-256 differs. */
  entryData(name: string): AsyncGenerator<Uint8Array>;
  /** Streams a table's CSV parts one after the other, each with its header line. */
  tableParts(table: TableRecord): AsyncGenerator<{ part: string; chunks: AsyncGenerator<Uint8Array> }>;
  /** Plaintext bytes read so far. */
  readonly bytesRead: number;
}

export function integrityMismatch(what: string, details: Record<string, unknown>) {
  return new CofreError("INTEGRITY_MISMATCH", {
    "pt-BR": `O backup não confere (${what}): ele foi alterado ou está corrompido. Nada foi gravado no destino da restauração.`,
    en: `The backup does not match (${what}): it was altered or is corrupt. Nothing was written to the restore target.`,
  }, { details });
}

/** Opens every volume's directory and checks it lists each entry as the manifest does. */
async function locateEntries(dest: Destination, manifest: BackupManifest, secrets: BackupSecrets) {
  const volumes = manifest.volumes ?? [];
  const readers = new Map<number, ZipReader>();
  for (let i = 1; i <= volumes.length; i++) readers.set(i, await openVolume(dest, manifest, i, secrets));
  const located = new Map<string, { reader: ZipReader; entry: ZipEntry; sha256: string }>();
  for (const e of manifest.entries) {
    const reader = readers.get(e.volume);
    const entry = reader?.entry(e.name);
    if (!reader || !entry) throw integrityMismatch(`entry ${e.name} missing from volume ${e.volume}`, { entry: e.name });
    if (entry.crc32 !== e.crc32 || entry.size !== e.size || entry.compressedSize !== e.compressedSize) {
      throw integrityMismatch(`entry ${e.name} differs from the manifest`, { entry: e.name });
    }
    located.set(e.name, { reader, entry, sha256: e.sha256 });
  }
  return located;
}

/** Resolves `latest`, reads and unseals the manifest, opens the volumes and reads the schema. */
export async function openRestoreSource(dest: Destination, idOrLatest: string, passphrase?: string): Promise<RestoreSource> {
  const backupId = await resolveBackupId(dest, idOrLatest);
  const secrets: BackupSecrets = { passphrase, keyCache: new KeyCache() };
  const manifest = await readManifest(dest, backupId, secrets);
  const entries = await locateEntries(dest, manifest, secrets);
  let bytesRead = 0;

  async function* entryData(name: string): AsyncGenerator<Uint8Array> {
    const loc = entries.get(name);
    if (!loc) throw integrityMismatch(`entry ${name} not in the manifest`, { entry: name });
    const sha = sha256Hasher();
    for await (const chunk of loc.reader.read(loc.entry)) {
      sha.update(chunk);
      bytesRead += chunk.length;
      yield chunk;
    }
    if (sha.digest("hex") !== loc.sha256) throw integrityMismatch(`SHA-256 of ${name}`, { entry: name });
  }

  const schemaParts: Uint8Array[] = [];
  for await (const c of entryData(SCHEMA_JSON_ENTRY)) schemaParts.push(c);
  const schema = SchemaDumpDoc.parse(JSON.parse(utf8Decoder.decode(concatBytes(schemaParts))));

  async function* tableParts(table: TableRecord) {
    for (const part of table.parts) yield { part, chunks: entryData(part) };
  }

  return {
    backupId, manifest, schema, entryData, tableParts,
    get bytesRead() {
      return bytesRead;
    },
  };
}

/**
 * Streams `chunks` through, counting CSV records; `done()` returns the data rows (records
 * less the header line) once the stream has been read to its end.
 */
export function countingRecords(chunks: AsyncIterable<Uint8Array>) {
  const counter = new CsvRecordCounter();
  async function* counted() {
    for await (const chunk of chunks) {
      counter.update(chunk);
      yield chunk;
    }
  }
  return { stream: counted(), rows: () => Math.max(0, counter.records - 1) };
}
