/**
 * Counts CSV records in a byte stream as PostgreSQL's `COPY … (FORMAT csv)` writes them:
 * a newline ends a record unless it is inside a quoted field. `""` inside quotes toggles the
 * state twice, so a plain toggle on every quote byte is exact.
 */
const QUOTE = 0x22;
const NEWLINE = 0x0a;

export class CsvRecordCounter {
  #inQuotes = false;
  #records = 0;

  update(chunk: Uint8Array): void {
    let inQuotes = this.#inQuotes;
    let records = this.#records;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === QUOTE) inQuotes = !inQuotes;
      else if (b === NEWLINE && !inQuotes) records++;
    }
    this.#inQuotes = inQuotes;
    this.#records = records;
  }

  /** Records seen so far (a header line counts as one). */
  get records(): number {
    return this.#records;
  }
}
