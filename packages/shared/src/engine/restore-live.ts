/**
 * Comparing staged backup rows with the target's tables by primary key, and merging them.
 *
 * Per table, three temporary tables hold the difference: rows to INSERT (key absent in the
 * target), rows to UPDATE (key present, some column differs; the backup's values) and keys
 * to DELETE (target rows in scope that the backup does not have). A fingerprint of each set
 * — and of the target rows an update or delete would overwrite — goes into the dry run's id,
 * so `apply` can prove the difference it is about to write is the one that was reported: it
 * recomputes everything under locks and refuses (RESTORE_CONFLICT) if the id differs.
 *
 * Writes run with session_replication_role = replica: no trigger rewrites a row (an
 * `updated_at` trigger would) and no ON DELETE action reaches beyond the report; the
 * foreign keys are then checked explicitly (restore-integrity.ts).
 */
import { CofreError } from "../errors.ts";
import type { Db } from "../sources/postgres/db.ts";
import { ident } from "../sources/postgres/db.ts";
import { sha256Hasher } from "../format/checksum.ts";
import { columnsEqual, rowsDiffer, type StagedTable } from "./restore-stage.ts";
import type { TargetTable } from "./restore-target.ts";

/** Which rows of a staged table take part, as SQL conditions on alias `s` (staged) or `t` (target). */
export interface DiffScope {
  staged: StagedTable;
  table: TargetTable;
  /** Staged rows that may be inserted. */
  insertWhere: string;
  /** Staged rows that may update a target row with the same key. */
  updateWhere: string;
  /** Target rows that may be deleted when the backup lacks their key; null = never delete. */
  deleteWhere: string | null;
  /** A tenant restore's ownership rules; absent when the scope is not one tenant's. */
  tenant?: TenantGuard;
}

/**
 * What keeps a tenant restore inside its tenant (docs/restore.md, "Tenant safety"). computeDiff
 * counts the rows that break it; the caller refuses (RESTORE_CONFLICT) before writing anything.
 */
export interface TenantGuard {
  /** Staged rows (alias `s`) that are the tenant's own: a target row they match by key must be the tenant's too. */
  claimed: string;
  /** Target rows (alias `t`) that are the tenant's: the tenant column equals the value, or a foreign key leads to such a row. */
  ownedTarget: string;
  /** Staged rows (alias `s`) of another tenant (the tenant column holds another value); null when the table lacks the column. */
  otherTenant: string | null;
}

/** Rows that break a TenantGuard, per table (counts only: never row values). */
export interface TenantBreaches {
  /** The tenant's own backed-up rows whose key matches a target row that is not the tenant's. */
  crossTenantMatches: number;
  /** Rows of another tenant that the restore would insert (needed parents the target lacks). */
  otherTenantInserts: number;
}

export interface TableDiff {
  table: string;
  insert: number;
  update: number;
  delete: number;
  /** Rows to insert that collide with a kept target row on a UNIQUE constraint, by constraint. */
  uniqueConflicts: { constraint: string; rows: number }[];
}

interface DiffTables {
  ins: string;
  upd: string;
  del: string;
}

function diffTables(i: number): DiffTables {
  return { ins: `"pg_temp"."cofre_ins_${i}"`, upd: `"pg_temp"."cofre_upd_${i}"`, del: `"pg_temp"."cofre_del_${i}"` };
}

/** Refuses tables that cannot be compared by key. */
export function assertPrimaryKeys(tables: readonly TargetTable[]) {
  const without = tables.filter((t) => t.primaryKey.length === 0).map((t) => t.key);
  if (without.length) {
    throw new CofreError("RESTORE_CONFLICT", {
      "pt-BR": `Estas tabelas não têm chave primária, então o Cofre não consegue comparar linhas com o banco em uso: ${without.join(", ")}. Restaure-as em um banco vazio ou em outro schema (--schema) e copie as linhas à mão.`,
      en: `These tables have no primary key, so Cofre cannot compare their rows with the live database: ${without.join(", ")}. Restore them into an empty database or another schema (--schema) and copy rows by hand.`,
    }, { details: { tables: without } });
  }
}

/** Builds the three difference tables of one scope; returns its counts and its fingerprint. */
export async function computeDiff(
  tx: Db,
  scope: DiffScope,
  i: number,
): Promise<{ diff: TableDiff; fingerprint: string; breaches: TenantBreaches }> {
  const { staged, table } = scope;
  const cols = staged.record.columns;
  const pk = table.primaryKey;
  const d = diffTables(i);
  const list = (alias: string, c: readonly string[]) => c.map((x) => `${alias}.${ident(x)}`).join(", ");
  // Without a primary key (allowed when nothing is updated or deleted: a tenant restore), a
  // row's identity is all of its values: identical rows are skipped, others inserted.
  const onKey = pk.length ? columnsEqual("t", "s", pk) : `not (${rowsDiffer("t", "s", cols)})`;
  await tx.unsafe(`create temp table ${ident(`cofre_ins_${i}`)} on commit drop as
    select ${list("s", cols)} from ${staged.stage} s
     where (${scope.insertWhere}) and not exists (select from ${staged.target} t where ${onKey})`);
  // Only a target row of the tenant is ever overwritten (a match elsewhere is a breach, below).
  const owned = scope.tenant ? ` and (${scope.tenant.ownedTarget}) is true` : "";
  await tx.unsafe(`create temp table ${ident(`cofre_upd_${i}`)} on commit drop as
    select ${list("s", cols)} from ${staged.stage} s join ${staged.target} t on ${onKey}
     where ${pk.length ? `(${scope.updateWhere})` : "false"}${owned} and ${rowsDiffer("s", "t", cols)}`);
  await tx.unsafe(`create temp table ${ident(`cofre_del_${i}`)} on commit drop as
    select ${list("t", pk)} from ${staged.target} t
     where ${scope.deleteWhere === null || !pk.length ? "false" : `(${scope.deleteWhere})`}
       and not exists (select from ${staged.stage} s where ${onKey})`);
  // Text fingerprints, ordered, of what each set writes and of what it overwrites or removes.
  const agg = (from: string) => `(select md5(coalesce(string_agg(x::text, E'\\n' order by x::text), '')) from ${from})`;
  const [f] = await tx.unsafe<{ ins: number; upd: number; del: number; fp: string }[]>(`
    select (select count(*)::int from ${d.ins}) as ins, (select count(*)::int from ${d.upd}) as upd, (select count(*)::int from ${d.del}) as del,
           concat_ws(':', ${agg(`${d.ins} x`)}, ${agg(`${d.upd} x`)},
             ${pk.length ? agg(`(select t from ${staged.target} t join ${d.upd} s on ${onKey}) x`) : "''"},
             ${pk.length ? agg(`(select t from ${staged.target} t join ${d.del} s on ${onKey}) x`) : "''"}) as fp`);
  const uniqueConflicts: TableDiff["uniqueConflicts"] = [];
  for (const u of table.uniques) {
    const kept = pk.length
      ? `not exists (select from ${d.del} x where ${columnsEqual("x", "t", pk)}) and not exists (select from ${d.upd} x where ${columnsEqual("x", "t", pk)})`
      : "true";
    const [r] = await tx.unsafe<{ n: number }[]>(`
      select count(*)::int as n from ${d.ins} s join ${staged.target} t on ${columnsEqual("t", "s", u.columns)} where ${kept}`);
    if (r!.n > 0) uniqueConflicts.push({ constraint: u.name, rows: r!.n });
  }
  const breaches: TenantBreaches = { crossTenantMatches: 0, otherTenantInserts: 0 };
  if (scope.tenant) {
    const g = scope.tenant;
    const [b] = await tx.unsafe<{ cross: number; other: number }[]>(`
      select (select count(*)::int from ${staged.stage} s join ${staged.target} t on ${onKey}
               where (${g.claimed}) and (${g.ownedTarget}) is not true) as cross,
             (select count(*)::int from ${d.ins} s where ${g.otherTenant === null ? "false" : `(${g.otherTenant})`}) as other`);
    breaches.crossTenantMatches = b!.cross;
    breaches.otherTenantInserts = b!.other;
  }
  return {
    diff: { table: staged.target, insert: f!.ins, update: f!.upd, delete: f!.del, uniqueConflicts },
    fingerprint: f!.fp,
    breaches,
  };
}

/** The dry run's id: SHA-256 over what identifies the request and every table's fingerprint. */
export function dryRunId(request: unknown, fingerprints: readonly { table: string; fingerprint: string }[]): string {
  const h = sha256Hasher();
  h.update(new TextEncoder().encode(JSON.stringify({ request, fingerprints })));
  return `dr-${h.digest("hex").slice(0, 32)}`;
}

/** Writes one scope's difference (deletes, updates, inserts) with triggers off; counts must match the diff. */
export async function applyDiff(tx: Db, scope: DiffScope, i: number, diff: TableDiff, allowed: { update: boolean; delete: boolean }) {
  const { staged, table } = scope;
  const d = diffTables(i);
  const cols = staged.record.columns;
  const pk = table.primaryKey;
  if (allowed.delete && diff.delete > 0) {
    const r = await tx.unsafe(`delete from ${staged.target} t using ${d.del} s where ${columnsEqual("t", "s", pk)}`);
    assertCount(staged.target, "delete", r.count, diff.delete);
  }
  const settable = cols.filter((c) => !pk.includes(c) && !table.identityAlways.has(c));
  if (allowed.update && diff.update > 0 && settable.length > 0) {
    const r = await tx.unsafe(`update ${staged.target} t set ${settable.map((c) => `${ident(c)} = s.${ident(c)}`).join(", ")}
      from ${d.upd} s where ${columnsEqual("t", "s", pk)}`);
    assertCount(staged.target, "update", r.count, diff.update);
  }
  if (diff.insert > 0) {
    const list = cols.map(ident).join(", ");
    const r = await tx.unsafe(`insert into ${staged.target} (${list}) overriding system value select ${list} from ${d.ins}`);
    assertCount(staged.target, "insert", r.count, diff.insert);
  }
}

function assertCount(table: string, what: string, got: number, want: number) {
  if (got === want) return;
  throw new CofreError("RESTORE_CONFLICT", {
    "pt-BR": `A restauração em ${table} gravaria ${got} linhas (${what}) em vez das ${want} relatadas; nada foi gravado. Rode o --dry-run de novo.`,
    en: `The restore into ${table} would write ${got} rows (${what}) instead of the ${want} reported; nothing was written. Run --dry-run again.`,
  }, { details: { table, what, rows: got, reported: want } });
}
