/** Random access to a stored volume through a destination's ranged `get`, for the ZIP reader. */
import { CofreError } from "../errors.ts";
import type { Destination } from "../destinations/contract.ts";
import { ZipReader, type RandomAccess } from "../format/zip/reader.ts";
import { decryptingRandomAccess } from "../format/crypto/mod.ts";
import type { BackupManifest } from "../config/manifest.ts";
import type { BackupSecrets } from "./catalog.ts";
import { concatBytes } from "../format/bytes.ts";
import { streamChunks } from "../format/streams.ts";

function truncated(key: string, offset: number, want: number, got: number) {
  return new CofreError("TRUNCATED", {
    "pt-BR": `O volume ${key} terminou antes do esperado: ele foi truncado. Use outra cópia do backup.`,
    en: `Volume ${key} ended early: it was truncated. Use another copy of the backup.`,
  }, { details: { key, offset, want, got } });
}

export async function destinationRandomAccess(dest: Destination, key: string, expectedSize?: number): Promise<RandomAccess> {
  const info = await dest.stat(key);
  if (!info) {
    throw new CofreError("DESTINATION_NOT_FOUND", {
      "pt-BR": `O volume ${key} não existe em ${dest.displaySpec}.`,
      en: `Volume ${key} does not exist at ${dest.displaySpec}.`,
    }, { details: { key } });
  }
  if (expectedSize !== undefined && info.size !== expectedSize) {
    if (info.size < expectedSize) throw truncated(key, 0, expectedSize, info.size);
    throw new CofreError("INTEGRITY_MISMATCH", {
      "pt-BR": `O volume ${key} tem ${info.size} bytes, mas o manifesto registra ${expectedSize}: ele foi alterado.`,
      en: `Volume ${key} has ${info.size} bytes but the manifest records ${expectedSize}: it was altered.`,
    }, { details: { key, size: info.size, expectedSize } });
  }
  async function* stream(offset: number, length: number): AsyncGenerator<Uint8Array> {
    if (length === 0) return;
    let got = 0;
    // streamChunks cancels the object when the consumer stops early (a mismatch, a failed COPY).
    for await (const value of streamChunks(await dest.get(key, { offset, length }))) {
      got += value.length;
      yield value;
    }
    if (got !== length) throw truncated(key, offset, length, got);
  }
  return {
    size: info.size,
    stream,
    async read(offset, length) {
      const parts: Uint8Array[] = [];
      for await (const c of stream(offset, length)) parts.push(c);
      return concatBytes(parts);
    },
  };
}

/**
 * Opens volume `index` (1-based) of a backup for reading: ranged reads from the destination,
 * checked against the manifest's size, decrypted when the backup is encrypted.
 */
export async function openVolume(
  dest: Destination,
  manifest: BackupManifest,
  index: number,
  secrets: BackupSecrets,
): Promise<ZipReader> {
  const v = manifest.volumes?.[index - 1];
  if (!v) {
    throw new CofreError("INTEGRITY_MISMATCH", {
      "pt-BR": `O manifesto não lista o volume ${index}.`,
      en: `The manifest lists no volume ${index}.`,
    }, { details: { volume: index } });
  }
  const stored = await destinationRandomAccess(dest, `${manifest.backupId}/${v.name}`, v.size);
  const plain = manifest.encryption ? await decryptingRandomAccess(stored, secrets.passphrase ?? "", secrets.keyCache) : stored;
  return ZipReader.open(plain);
}
