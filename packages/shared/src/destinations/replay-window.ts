/**
 * Resuming a streamed upload after the connection broke (FTP REST+STOR, SFTP write at an
 * offset). The body can be read once only, so the last `windowBytes` bytes taken from it are
 * kept: after a reconnect the server says how much of the temporary file it holds, and the
 * upload continues from there as long as that point is still inside the window. Memory is
 * bounded by the window, never by the object's size.
 *
 * Every byte taken from the body passes through `#pull`, one read at a time, so an
 * abandoned attempt that is still reading cannot lose or reorder bytes for the next one.
 */
import { CofreError } from "../errors.ts";

export class ReplayWindow {
  #chunks: { start: number; bytes: Uint8Array }[] = [];
  #kept = 0;
  /** Bytes taken from the body so far. */
  taken = 0;
  /** The body has ended; `taken` is its size. */
  ended = false;
  #pulling: Promise<void> = Promise.resolve();

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    readonly windowBytes: number,
  ) {}

  /** The first offset still replayable. */
  get floor(): number {
    return this.taken - this.#kept;
  }

  #pull(): Promise<void> {
    const next = this.#pulling.then(async () => {
      if (this.ended) return;
      const { done, value } = await this.reader.read();
      if (done) {
        this.ended = true;
        return;
      }
      if (value.length === 0) return;
      this.#chunks.push({ start: this.taken, bytes: value });
      this.taken += value.length;
      this.#kept += value.length;
      while (this.#chunks.length > 1 && this.#kept - this.#chunks[0]!.bytes.length >= this.windowBytes) {
        this.#kept -= this.#chunks.shift()!.bytes.length;
      }
    });
    this.#pulling = next.catch(() => {});
    return next;
  }

  /**
   * The bytes at `pos` (at most `max`), reading the body when `pos` is at its end; null at
   * the end of the body. Throws DESTINATION_IO when `pos` fell out of the window.
   */
  async at(pos: number, max = 1024 * 1024): Promise<Uint8Array | null> {
    for (;;) {
      if (pos < this.floor) throw outOfWindow(pos, this.floor, this.windowBytes);
      if (pos < this.taken) {
        const c = this.#chunks.find((ch) => pos < ch.start + ch.bytes.length)!;
        const from = pos - c.start;
        return c.bytes.subarray(from, Math.min(c.bytes.length, from + max));
      }
      if (this.ended) return null;
      await this.#pull();
    }
  }
}

function outOfWindow(pos: number, floor: number, windowBytes: number): CofreError {
  return new CofreError("DESTINATION_IO", {
    "pt-BR": `Não foi possível retomar o envio: o servidor guardou só ${pos} bytes e os dados anteriores a ${floor} já foram descartados (janela de ${windowBytes} bytes). Tente o backup novamente.`,
    en: `Could not resume the upload: the server kept only ${pos} bytes and data before ${floor} was already released (window of ${windowBytes} bytes). Run the backup again.`,
  }, { details: { serverBytes: pos, windowFloor: floor, windowBytes } });
}
