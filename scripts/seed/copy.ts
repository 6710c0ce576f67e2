/**
 * Encoding values for PostgreSQL's COPY text format, and streaming rows into a table.
 *
 * COPY text format: one line per row, fields separated by a tab, `\N` for NULL, and within a
 * field a backslash, tab, newline or carriage return written as `\\`, `\t`, `\n`, `\r`.
 * Every encoder here returns a field ready to be joined with tabs; `line()` joins them.
 */
import type { Sql } from "postgres";
import { copyFromStdin } from "../../packages/shared/src/sources/postgres/data.ts";

export const NULL = "\\N";

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A text field; `null` → NULL, '' stays an empty string (they must stay distinct). */
export function text(v: string | null | undefined): string {
  if (v == null) return NULL;
  return NEEDS_ESCAPE.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : v;
}

/** An integer or a preformatted numeric string (never needs escaping). */
export function num(v: number | string | null | undefined): string {
  return v == null ? NULL : String(v);
}

/** Cents → `numeric(12,2)` literal without going through floating point ("1234.05"). */
export function money(cents: number | null | undefined): string {
  if (cents == null) return NULL;
  const sign = cents < 0 ? "-" : "";
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}`;
}

export function bool(v: boolean | null | undefined): string {
  return v == null ? NULL : v ? "t" : "f";
}

/** Epoch milliseconds → timestamptz literal in UTC (`2025-11-01T03:00:00.000Z`). */
export function ts(ms: number | null | undefined): string {
  return ms == null ? NULL : new Date(ms).toISOString();
}

/** Epoch milliseconds → `date` literal of that instant in UTC (`2025-11-01`). */
export function date(ms: number | null | undefined): string {
  return ms == null ? NULL : new Date(ms).toISOString().slice(0, 10);
}

/** A value serialised as JSON (for json/jsonb columns). */
export function json(v: unknown): string {
  return v === null || v === undefined ? NULL : text(JSON.stringify(v));
}

/** `text[]` literal with every element double-quoted; `null` → NULL, `[]` → `{}`. */
export function textArray(v: readonly string[] | null | undefined): string {
  if (v == null) return NULL;
  return text(`{${v.map((e) => `"${e.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`);
}

/** `int[]` literal; `null` → NULL, `[]` → `{}`. */
export function intArray(v: readonly number[] | null | undefined): string {
  return v == null ? NULL : `{${v.join(",")}}`;
}

/** `bytea` in hex form (`\x…`, whose backslash COPY needs doubled). */
export function bytea(v: Uint8Array | null | undefined): string {
  return v == null ? NULL : `\\\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex")}`;
}

/** One COPY line from already-encoded fields. */
export function line(...fields: string[]): string {
  return `${fields.join("\t")}\n`;
}

/** Groups lines into ~128 KiB chunks (one CopyData message each) and counts them. */
function* chunks(lines: Iterable<string>, counter: { rows: number }): Generator<string> {
  let buf = "";
  for (const l of lines) {
    buf += l;
    counter.rows++;
    if (buf.length >= 131_072) {
      yield buf;
      buf = "";
    }
  }
  if (buf) yield buf;
}

export interface CopyOptions {
  /**
   * `COPY … WITH (FREEZE)`: rows are written already frozen. Only valid when the table was
   * created or truncated in the current transaction.
   */
  freeze?: boolean;
}

/**
 * Streams `lines` (from `line()`) into `table (columns)` with COPY FROM STDIN and returns the
 * number of rows sent. Lines are produced lazily, with backpressure, so memory stays bounded
 * whatever the row count; errors reject (see `copyFromStdin`).
 */
export async function copyRows(
  sql: Pick<Sql, "unsafe">,
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
  opts: CopyOptions = {},
): Promise<number> {
  const counter = { rows: 0 };
  const cols = columns.map((c) => `"${c}"`).join(", ");
  await copyFromStdin(sql, `copy ${table} (${cols}) from stdin${opts.freeze ? " with (freeze)" : ""}`, chunks(lines, counter));
  return counter.rows;
}
