/**
 * Writes a backup's ZIP volumes straight to a destination: each volume is one streaming
 * `put`, hashed (SHA-256 + MD5) as stored. A new volume starts before an entry once the
 * current one has reached the size cap, so a volume exceeds the cap by at most one entry.
 * On failure every open upload is aborted: the destination keeps no partial volume.
 */
import { ZipWriter, type EntryInfo, type EntryOptions, type EntryWriter } from "../format/zip/writer.ts";
import type { Destination } from "../destinations/contract.ts";
import type { EntryRecord, VolumeRecord } from "../config/manifest.ts";
import { openUpload, type Sealer, type Upload } from "./upload.ts";
import { volumeName } from "./entry-names.ts";

interface OpenVolume {
  index: number;
  name: string;
  zip: ZipWriter;
  upload: Upload;
}

export class VolumeSetWriter {
  readonly volumes: VolumeRecord[] = [];
  readonly entries: EntryRecord[] = [];
  #current: OpenVolume | null = null;
  #aborted = false;

  constructor(
    private readonly dest: Destination,
    /** Key prefix of the backup, e.g. `20261125T020000Z-1a2b3c`. */
    private readonly prefix: string,
    private readonly volumeCap: number,
    private readonly defaults: EntryOptions,
    /** Seals each volume as it streams (encrypted backups); volumes are then named `.zip.cofre`. */
    private readonly seal?: Sealer,
  ) {}

  /** Stored bytes so far, closed volumes plus the open one. */
  get bytesOut(): number {
    return this.volumes.reduce((n, v) => n + v.size, 0) + (this.#current?.zip.bytesWritten ?? 0);
  }

  #open(): OpenVolume {
    const index = this.volumes.length + 1;
    const name = volumeName(index, this.seal !== undefined);
    const upload = openUpload(this.dest, `${this.prefix}/${name}`, this.seal);
    const zip = new ZipWriter({ write: (chunk) => upload.write(chunk) });
    return { index, name, zip, upload };
  }

  async #closeCurrent(): Promise<void> {
    const v = this.#current;
    if (!v) return;
    this.#current = null;
    try {
      await v.zip.finish();
      const d = await v.upload.close();
      this.volumes.push({ name: v.name, size: d.size, sha256: d.sha256, md5: d.md5 });
    } catch (e) {
      await v.upload.abort(e);
      throw e;
    }
  }

  #assertOpen() {
    if (this.#aborted) throw new Error("VolumeSetWriter: used after abort");
  }

  /** Opens the next entry, in a new volume if the current one is full. */
  async openEntry(name: string, opts: EntryOptions = {}): Promise<EntryWriter> {
    this.#assertOpen();
    if (this.#current && this.#current.zip.bytesWritten >= this.volumeCap) await this.#closeCurrent();
    this.#current ??= this.#open();
    const volume = this.#current.index;
    const inner = await this.#current.zip.openEntry(name, { ...this.defaults, ...opts });
    return {
      write: (chunk) => inner.write(chunk),
      close: async (): Promise<EntryInfo> => {
        const info = await inner.close();
        this.entries.push({
          name: info.name, volume, method: info.method, size: info.size,
          compressedSize: info.compressedSize, crc32: info.crc32, sha256: info.sha256,
        });
        return info;
      },
    };
  }

  async addEntry(name: string, data: Uint8Array, opts: EntryOptions = {}): Promise<EntryInfo> {
    const w = await this.openEntry(name, opts);
    await w.write(data);
    return w.close();
  }

  /** Closes the last volume; every volume is stored when this resolves. */
  async finish(): Promise<VolumeRecord[]> {
    await this.#closeCurrent();
    return this.volumes;
  }

  /** Aborts the open upload (its partial object is discarded by the destination). */
  async abort(reason: unknown): Promise<void> {
    this.#aborted = true;
    const v = this.#current;
    this.#current = null;
    if (!v) return;
    await v.upload.abort(reason);
  }
}
