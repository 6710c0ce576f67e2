/**
 * Writes one table's CSV into ZIP entries of bounded size. Each COPY range starts a new
 * part; within a range, once a part would pass `maxPartBytes` it is closed at the last
 * record boundary of the chunk being written (so it exceeds the cap by at most one chunk or
 * one row), and the next part starts with the range's header line — so every part is a CSV
 * file on its own, however large the TOASTed values behind a few heap blocks are (X-rays in
 * a bytea column).
 */
import { concatBytes } from "../format/bytes.ts";
import type { EntryWriter } from "../format/zip/writer.ts";
import { CsvRecordCounter } from "../sources/postgres/csv.ts";
import { tablePartEntry } from "./entry-names.ts";
import type { VolumeSetWriter } from "./volume-set.ts";

export class TablePartWriter {
  readonly parts: string[] = [];
  rows = 0;
  bytes = 0;
  #entry: EntryWriter | null = null;
  #entryBytes = 0;
  #counter = new CsvRecordCounter();
  #header: Uint8Array | null = null;
  #headerPieces: Uint8Array[] = [];
  #recordsAtPartStart = 0;
  #partHasRealHeader = true;

  constructor(
    private readonly volumes: VolumeSetWriter,
    private readonly schema: string,
    private readonly table: string,
    private readonly maxPartBytes: number,
    /** Entry name of part n; default `data/<schema>/<table>/part-n.csv` (change sets use `changes/…`). */
    private readonly entryName: (part: number) => string = (part) => tablePartEntry(schema, table, part),
  ) {}

  /** A new COPY output begins (it starts with its own header line). */
  async startRange(): Promise<void> {
    this.#counter = new CsvRecordCounter();
    this.#header = null;
    this.#headerPieces = [];
    this.#recordsAtPartStart = 0;
    this.#partHasRealHeader = true;
    await this.#openPart();
  }

  async write(chunk: Uint8Array): Promise<void> {
    const { first, last } = this.#counter.update(chunk);
    if (this.#header === null) {
      if (first >= 0) this.#header = concatBytes([...this.#headerPieces, chunk.subarray(0, first)]);
      else this.#headerPieces.push(chunk.slice());
    }
    const rowsInPart = this.#counter.records - this.#recordsAtPartStart - (this.#partHasRealHeader ? 1 : 0);
    if (this.#entryBytes + chunk.length > this.maxPartBytes && last >= 0 && this.#header !== null && rowsInPart > 0) {
      await this.#put(chunk.subarray(0, last));
      await this.#closePart(this.#counter.records);
      await this.#openPart();
      this.#partHasRealHeader = false;
      await this.#put(this.#header);
      await this.#put(chunk.subarray(last));
      return;
    }
    await this.#put(chunk);
  }

  /** The COPY output ended. */
  async endRange(): Promise<void> {
    await this.#closePart(this.#counter.records);
  }

  async #openPart() {
    const name = this.entryName(this.parts.length + 1);
    this.#entry = await this.volumes.openEntry(name);
    this.#entryBytes = 0;
    this.parts.push(name);
  }

  async #put(bytes: Uint8Array) {
    if (bytes.length === 0) return;
    await this.#entry!.write(bytes);
    this.#entryBytes += bytes.length;
  }

  async #closePart(recordsNow: number) {
    this.bytes += (await this.#entry!.close()).size;
    this.#entry = null;
    this.rows += Math.max(0, recordsNow - this.#recordsAtPartStart - (this.#partHasRealHeader ? 1 : 0));
    this.#recordsAtPartStart = recordsNow;
  }
}
