/** One self-rewriting status line on a TTY (stderr); silent when output is not a terminal. */
export class ProgressLine {
  #last = 0;
  #shown = false;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.#last < 100) return;
    this.#last = now;
    const width = (this.stream.columns ?? 100) - 1;
    this.stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.#shown = true;
  }

  done(): void {
    if (this.#shown) this.stream.write("\r\x1b[2K");
    this.#shown = false;
  }
}
