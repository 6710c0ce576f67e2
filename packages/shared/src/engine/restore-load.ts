/**
 * Loading one backed-up table's CSV parts into a relation of the target (the table itself, a
 * renamed one, or a staging table) with COPY, checking every part as it streams and the
 * table's row count against the manifest at the end.
 */
import { CofreError, describeError } from "../errors.ts";
import type { TableRecord } from "../config/manifest.ts";
import { copyIn } from "../sources/postgres/data.ts";
import type { Db } from "../sources/postgres/db.ts";
import { countingRecords, integrityMismatch, type RestoreSource } from "./restore-source.ts";

/** Postgres quotes offending values in its messages; they may be a patient's data, so they stay out. */
export function withoutValues(message: string): string {
  return message.replace(/"[^"]*"/g, '"…"').replace(/\([^()]*\)=\([^()]*\)/g, "(…)=(…)");
}

/** COPYs `table`'s parts into `into` (schema, name); returns the rows loaded. */
export async function loadTable(
  tx: Db,
  source: RestoreSource,
  table: TableRecord,
  into: { schema: string; name: string },
): Promise<number> {
  const label = `${table.schema}.${table.name}`;
  let rows = 0;
  for await (const { part, chunks } of source.tableParts(table)) {
    const counted = countingRecords(chunks);
    try {
      await copyIn(tx, into.schema, into.name, table.columns, counted.stream);
    } catch (e) {
      if (e instanceof CofreError) throw e;
      // Postgres may reject altered bytes before the entry's checksum is reached: read the
      // rest of the entry, so a corrupt backup is reported as such, not as bad data.
      for await (const _ of source.entryData(part)) { /* CRC-32 and SHA-256 checked as it reads */ }
      const why = withoutValues(describeError(e));
      throw new CofreError("RESTORE_FAILED", {
        "pt-BR": `A carga da tabela ${label} falhou: ${why}. Nada foi gravado no banco de destino.`,
        en: `Loading table ${label} failed: ${why}. Nothing was written to the target database.`,
      }, { details: { table: label, part, sqlstate: (e as { code?: string }).code } });
    }
    rows += counted.rows();
  }
  if (rows !== table.rows) throw integrityMismatch(`row count of ${label}: ${rows} ≠ ${table.rows}`, { table: label });
  return rows;
}
