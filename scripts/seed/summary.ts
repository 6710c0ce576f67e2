/** Renders a SeedSummary as a plain-text table for the terminal. */
import type { SeedSummary } from "./seed.ts";

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatSummary(s: SeedSummary): string {
  const head = ["table", "rows", "table size", "with indexes"];
  const body = s.tables.map((t) => [t.table, t.rows.toLocaleString("en-US"), formatBytes(t.tableBytes), formatBytes(t.bytesWithIndexes)]);
  const foot = ["total", s.totalRows.toLocaleString("en-US"), formatBytes(s.totalBytes), formatBytes(s.totalBytesWithIndexes)];
  const rows = [head, ...body, foot];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [
    `Ortho+ demo data → ${s.database}`,
    `scale ${s.scale}, seed ${s.seed}, ${s.demoUsers} demo users in auth.users`,
    "",
    fmt(head),
    rule,
    ...body.map(fmt),
    rule,
    fmt(foot),
    "",
    `table data ${s.totalBytes.toLocaleString("en-US")} bytes (sum of pg_table_size), ` +
      `${s.totalBytesWithIndexes.toLocaleString("en-US")} bytes with indexes; elapsed ${(s.elapsedMs / 1000).toFixed(1)} s`,
  ].join("\n");
}
