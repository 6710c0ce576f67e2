/**
 * The text form of an encryption test vector (C2SP/CCTV style): a few `name: value` lines,
 * a blank line, then the container in hex, 32 bytes per line. Runtime-neutral (Node, Deno).
 *
 *   expect: success | <error code> [(<details.check>)]
 *   passphrase: <text, used verbatim: the reader normalizes it to NFC>
 *   plaintext size: <bytes>            (successes)
 *   plaintext sha256: <hex>            (successes)
 *   comment: <free text>               (any number)
 */

export interface Vector {
  /** File name without the extension. */
  name: string;
  /** "success" or a CofreError code. */
  expect: string;
  /** For INTEGRITY_MISMATCH: the `details.check` Cofre reports (other readers need only match the code). */
  check?: string;
  passphrase: string;
  plaintextSize?: number;
  plaintextSha256?: string;
  comments: string[];
  container: Uint8Array;
}

export const VECTOR_EXTENSION = ".txt";
const BYTES_PER_LINE = 32;

function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export function serializeVector(v: Vector): string {
  const lines = [`expect: ${v.expect}${v.check ? ` (${v.check})` : ""}`, `passphrase: ${v.passphrase}`];
  if (v.plaintextSize !== undefined) lines.push(`plaintext size: ${v.plaintextSize}`);
  if (v.plaintextSha256 !== undefined) lines.push(`plaintext sha256: ${v.plaintextSha256}`);
  for (const c of v.comments) lines.push(`comment: ${c}`);
  lines.push("");
  for (let o = 0; o < v.container.length; o += BYTES_PER_LINE) lines.push(toHex(v.container.subarray(o, o + BYTES_PER_LINE)));
  return lines.join("\n") + "\n";
}

export function parseVector(name: string, text: string): Vector {
  const blank = text.indexOf("\n\n");
  if (blank < 0) throw new Error(`${name}: no blank line after the header`);
  const v: Vector = { name, expect: "", passphrase: "", comments: [], container: new Uint8Array(0) };
  let sawPassphrase = false;
  for (const line of text.slice(0, blank).split("\n")) {
    const m = /^([a-z0-9 ]+): (.*)$/.exec(line);
    if (!m) throw new Error(`${name}: bad header line ${JSON.stringify(line)}`);
    const [, field, value] = m as unknown as [string, string, string];
    switch (field) {
      case "expect": {
        const e = /^([A-Za-z_]+)(?: \(([a-z-]+)\))?$/.exec(value);
        if (!e) throw new Error(`${name}: bad expect ${value}`);
        v.expect = e[1]!;
        if (e[2]) v.check = e[2];
        break;
      }
      case "passphrase":
        v.passphrase = value;
        sawPassphrase = true;
        break;
      case "plaintext size":
        v.plaintextSize = Number(value);
        break;
      case "plaintext sha256":
        v.plaintextSha256 = value;
        break;
      case "comment":
        v.comments.push(value);
        break;
      default:
        throw new Error(`${name}: unknown header field ${field}`);
    }
  }
  if (!v.expect || !sawPassphrase) throw new Error(`${name}: expect and passphrase are required`);
  const hex = text.slice(blank + 2).replace(/\s+/g, "");
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`${name}: the body is not hex`);
  v.container = new Uint8Array(hex.length / 2);
  for (let i = 0; i < v.container.length; i++) v.container[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return v;
}
