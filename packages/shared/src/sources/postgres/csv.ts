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

  /**
   * Counts the records `chunk` ends. Returns the offsets just past the first and the last
   * record end in it (-1 when it ends none): where a stream may be cut between records.
   */
  update(chunk: Uint8Array): { first: number; last: number } {
    let inQuotes = this.#inQuotes;
    let records = this.#records;
    let first = -1;
    let last = -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === QUOTE) inQuotes = !inQuotes;
      else if (b === NEWLINE && !inQuotes) {
        records++;
        if (first < 0) first = i + 1;
        last = i + 1;
      }
    }
    this.#inQuotes = inQuotes;
    this.#records = records;
    return { first, last };
  }

  /** Records seen so far (a header line counts as one). */
  get records(): number {
    return this.#records;
  }
}
