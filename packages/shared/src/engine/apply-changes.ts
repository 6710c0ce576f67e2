/**
 * Applies a backup's change sets (ChangeSetRecord, docs/postgres-chains.md) to a target
 * inside the caller's transaction. Each set's CSV parts are loaded into a temporary table of
 * text columns, then applied set-wise:
 *
 * - with a key: the `T` marker deletes the table's rows; every key with a `U` or `D` record
 *   loses all its rows (a multi-step dump may hold two versions of a row); every `U` row is
 *   inserted. Idempotent whatever version of a row the target holds.
 * - without a key: records in order; `D` deletes ONE row equal to the old row (compared as
 *   text after casting through the column type), `I` inserts.
 *
 * Values are cast from text with the target column's type, under the same value settings the
 * capture wrote them with. Identity columns take the stored values (OVERRIDING SYSTEM VALUE);
 * generated columns are recomputed. Triggers, rules and constraints of the target act as on
 * any DELETE/INSERT: a fresh restore applies changes before post-data, so there are none.
 */
import { CofreError, describeError } from "../errors.ts";
import type { BackupManifest, ChangeSetRecord } from "../config/manifest.ts";
import { copyFromStdin } from "../sources/postgres/data.ts";
import { CsvRecordCounter } from "../sources/postgres/csv.ts";
import { ident, qualified, type Db } from "../sources/postgres/db.ts";
import { OP_COLUMN } from "../sources/postgres/capture/changes.ts";
import { pinValueTextSettings, VALUE_TEXT_SETTINGS } from "../sources/postgres/capture/mod.ts";

export interface ChangeFilter {
  /** Only change sets of these tables (`schema.name`, unquoted, as in the manifest); default all. */
  tables?: ReadonlySet<string>;
  /**
   * Rows where `column` equals `value` (cast to the column's type, passed as a query
   * parameter), or null for every row of that table. Applied to the target's rows a change
   * would delete or truncate, and to the rows it would insert: rows outside it are neither
   * touched nor added. The column must be one of the change set's columns.
   */
  rowFilter?: (table: { schema: string; name: string }) => RowFilter | null;
}

/** `column = value`: a structured row filter (no SQL text crosses this API). */
export interface RowFilter {
  column: string;
  value: string;
}

export interface ApplyChangesOptions {
  filter?: ChangeFilter;
  /** Where a backed-up table is in the target (restore into another schema); default the same name. */
  into?: (table: { schema: string; name: string }) => { schema: string; name: string };
}

/** What one change set did (or, inside a transaction rolled back, would do) to one table. */
export interface AppliedChanges {
  schema: string;
  name: string;
  truncated: boolean;
  /** Rows added whose key was not in the target. */
  inserted: number;
  /** Rows replaced by a new version of the same key. */
  updated: number;
  /** Rows removed and not replaced (truncate included). */
  deleted: number;
}

/** Streams one entry's plaintext, checked against the manifest (RestoreSource.entryData fits). */
export type EntryReader = (name: string) => AsyncIterable<Uint8Array>;

const STAGE = "pg_temp.cofre_apply_changes";
const OP = ident(OP_COLUMN);

function applyFailed(label: string, e: unknown): CofreError {
  if (e instanceof CofreError) return e;
  const why = describeError(e).replace(/"[^"]*"/g, '"…"').replace(/\([^()]*\)=\([^()]*\)/g, "(…)=(…)");
  return new CofreError("RESTORE_FAILED", {
    "pt-BR": `A aplicação das alterações da tabela ${label} falhou: ${why}. Nada foi gravado no banco de destino.`,
    en: `Applying the changes of table ${label} failed: ${why}. Nothing was written to the target database.`,
  }, { details: { table: label, sqlstate: (e as { code?: string }).code }, cause: e });
}

async function columnTypes(tx: Db, schema: string, name: string, columns: readonly string[], label: string) {
  const [rel] = await tx<{ exists: boolean }[]>`select to_regclass(${qualified(schema, name)}) is not null as exists`;
  const rows = await tx<{ name: string; type: string }[]>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
      from pg_attribute a
     where a.attrelid = to_regclass(${qualified(schema, name)}) and a.attnum > 0 and not a.attisdropped`;
  const types = new Map(rows.map((r) => [r.name, r.type]));
  const missing = columns.filter((c) => !types.has(c));
  if (!rel?.exists || missing.length) {
    throw new CofreError("RESTORE_FAILED", {
      "pt-BR": `A tabela ${label} do banco de destino não tem as colunas das alterações do backup (${missing.join(", ") || "tabela ausente"}). Restaure o backup completo da cadeia antes.`,
      en: `Table ${label} in the target lacks the columns of the backup's changes (${missing.join(", ") || "table missing"}). Restore the chain's full backup first.`,
    }, { details: { table: label, missing } });
  }
  return types;
}

function integrity(what: string, details: Record<string, unknown>) {
  return new CofreError("INTEGRITY_MISMATCH", {
    "pt-BR": `O backup não confere (${what}): ele foi alterado ou está corrompido. Nada foi gravado no destino da restauração.`,
    en: `The backup does not match (${what}): it was altered or is corrupt. Nothing was written to the restore target.`,
  }, { details });
}

async function stage(tx: Db, cs: ChangeSetRecord, read: EntryReader, label: string) {
  const cols = [OP, ...cs.columns.map(ident)].map((c) => `${c} text`).join(", ");
  await tx.unsafe(`drop table if exists ${STAGE}; create temporary table cofre_apply_changes (cofre_n bigserial, ${cols})`).simple();
  const list = [OP, ...cs.columns.map(ident)].join(", ");
  let rows = 0;
  for (const part of cs.parts) {
    const counter = new CsvRecordCounter();
    async function* counted() {
      for await (const chunk of read(part)) {
        counter.update(chunk);
        yield chunk;
      }
    }
    await copyFromStdin(tx, `copy ${STAGE} (${list}) from stdin (format csv, header true)`, counted());
    rows += Math.max(0, counter.records - 1);
  }
  if (rows !== cs.rows) throw integrity(`change rows of ${label}: ${rows} ≠ ${cs.rows}`, { table: label });
  await tx.unsafe(`analyze ${STAGE}`);
}

const count = (r: { count: number }) => r.count;

/** Applies the change set of one table; see the module comment. */
export async function applyTableChanges(
  tx: Db,
  cs: ChangeSetRecord,
  read: EntryReader,
  opts: ApplyChangesOptions = {},
): Promise<AppliedChanges> {
  const label = `${cs.schema}.${cs.name}`;
  const into = opts.into?.({ schema: cs.schema, name: cs.name }) ?? { schema: cs.schema, name: cs.name };
  const target = qualified(into.schema, into.name);
  const rows = opts.filter?.rowFilter?.({ schema: cs.schema, name: cs.name }) ?? null;
  const out: AppliedChanges = { schema: cs.schema, name: cs.name, truncated: false, inserted: 0, updated: 0, deleted: 0 };
  try {
    const types = await columnTypes(tx, into.schema, into.name, cs.columns, label);
    if (rows && !cs.columns.includes(rows.column)) {
      throw new CofreError("INVALID_INPUT", {
        "pt-BR": `O filtro de linhas usa a coluna ${rows.column}, que as alterações da tabela ${label} não têm.`,
        en: `The row filter uses column ${rows.column}, which the changes of table ${label} do not have.`,
      }, { details: { table: label, column: rows.column } });
    }
    // The filter as a SQL boolean over alias `t`; its value is always parameter $1 of the
    // statements that use it (`params`), never spliced into the text.
    const pred = rows ? `t.${ident(rows.column)} = cast($1::text as ${types.get(rows.column)})` : "true";
    const params = rows ? [rows.value] : [];
    const unpin = await pinValueTextSettings(tx, VALUE_TEXT_SETTINGS);
    await stage(tx, cs, read, label);
    const cast = (alias: string, c: string) => `${alias}.${ident(c)}::${types.get(c)}`;
    const newRows = (where: string) =>
      `select ${cs.columns.map((c) => `${cast("c", c)} as ${ident(c)}`).join(", ") || "1 as cofre_no_columns"} from ${STAGE} c where ${where}`;
    const insertList = cs.columns.map(ident).join(", ");
    const insert = (where: string) =>
      cs.columns.length
        ? `insert into ${target} (${insertList}) overriding system value select ${insertList} from (${newRows(where)}) t where ${pred}`
        : `insert into ${target} select from (${newRows(where)}) t where ${pred}`;

    if (cs.truncated) {
      out.truncated = true;
      out.deleted += (await tx.unsafe(`delete from only ${target} t where ${pred}`, params)).count;
    }
    if (cs.key) {
      const keyMatch = (a: string) => cs.key!.map((k) => `${a}.${ident(k)} = ${cast("c", k)}`).join(" and ");
      const [u] = await tx.unsafe<{ n: string }[]>(
        `select count(*)::text as n from only ${target} t join (${newRows(`c.${OP} = 'U'`)}) n
           on ${cs.key.map((k) => `t.${ident(k)} = n.${ident(k)}`).join(" and ")}
          where (${pred}) and (select ${pred} from (select n.*) t)`,
        params,
      );
      const removed = count(await tx.unsafe(
        `delete from only ${target} t using ${STAGE} c where c.${OP} in ('U', 'D') and ${keyMatch("t")} and ${pred}`,
        params,
      ));
      const added = count(await tx.unsafe(insert(`c.${OP} = 'U'`), params));
      out.updated = Math.min(Number(u!.n), removed, added);
      out.deleted += removed - out.updated;
      out.inserted += added - out.updated;
    } else {
      const equal = cs.columns.map((c) => `t.${ident(c)}::text is not distinct from ${cast("c", c)}::text`).join(" and ") || "true";
      let after = 0n;
      for (;;) {
        const ops = await tx.unsafe<{ n: string; op: string }[]>(
          `select cofre_n::text as n, ${OP} as op from ${STAGE} where cofre_n > ${after} and ${OP} <> 'T' order by cofre_n limit 1000`,
        );
        if (ops.length === 0) break;
        // Runs of inserts go in one statement; each delete removes one equal row.
        for (let i = 0; i < ops.length;) {
          const op = ops[i]!;
          if (op.op === "I") {
            let j = i;
            while (j + 1 < ops.length && ops[j + 1]!.op === "I") j++;
            out.inserted += count(await tx.unsafe(insert(`c.cofre_n between ${op.n} and ${ops[j]!.n}`), params));
            i = j + 1;
          } else {
            out.deleted += count(await tx.unsafe(
              `delete from only ${target} where ctid = (
                 select t.ctid from only ${target} t, ${STAGE} c where c.cofre_n = ${op.n} and ${equal} and ${pred} limit 1)`,
              params,
            ));
            i++;
          }
        }
        after = BigInt(ops[ops.length - 1]!.n);
      }
    }
    await tx.unsafe(`drop table ${STAGE}`);
    await unpin();
    return out;
  } catch (e) {
    throw applyFailed(label, e);
  }
}

/**
 * Applies every change set of `manifest` (in its order), skipping tables the filter leaves
 * out. Call after the chain's full data is loaded and before post-data, once per manifest of
 * the chain in order (the full's own `changes` first: a multi-step full has some).
 */
export async function applyChangeSets(
  tx: Db,
  manifest: BackupManifest,
  read: EntryReader,
  opts: ApplyChangesOptions = {},
): Promise<AppliedChanges[]> {
  const out: AppliedChanges[] = [];
  for (const cs of manifest.changes) {
    if (opts.filter?.tables && !opts.filter.tables.has(`${cs.schema}.${cs.name}`)) continue;
    out.push(await applyTableChanges(tx, cs, read, opts));
  }
  return out;
}

/**
 * Applies the change sets of every link of a restore source in order — the chain's full
 * (a multi-step full has some), then the differential and incrementals — each link's entries
 * read from that link. A plain RestoreSource is a chain of one.
 */
export async function applyChainChanges(
  tx: Db,
  source: { manifest: BackupManifest; entryData: EntryReader; links?: readonly { manifest: BackupManifest; entryData: EntryReader }[] },
  opts: ApplyChangesOptions = {},
): Promise<AppliedChanges[]> {
  const out: AppliedChanges[] = [];
  for (const link of source.links ?? [source]) out.push(...(await applyChangeSets(tx, link.manifest, link.entryData, opts)));
  return out;
}
