/**
 * What a partial or live restore needs to know about the target database's tables, read from
 * its catalogs: which exist, their primary keys, unique constraints and foreign keys (by
 * column name), and column types. Tables are keyed by their quoted qualified name
 * (`"public"."patients"`), which is also how SQL names them.
 */
import { CofreError } from "../errors.ts";
import type { SequenceRecord, TableRecord } from "../config/manifest.ts";
import type { Db } from "../sources/postgres/db.ts";
import { qualified } from "../sources/postgres/db.ts";

export type TableKey = string;

export interface ForeignKey {
  name: string;
  child: TableKey;
  childColumns: string[];
  parent: TableKey;
  parentColumns: string[];
}

export interface TargetTable {
  key: TableKey;
  /** Primary key columns; empty when the table has none. */
  primaryKey: string[];
  /** Column sets of UNIQUE constraints other than the primary key. */
  uniques: { name: string; columns: string[] }[];
  /** Column name → `format_type` of its type. */
  types: Map<string, string>;
  /** `GENERATED ALWAYS AS IDENTITY` columns (an UPDATE cannot set them). */
  identityAlways: Set<string>;
  /** Rows present (an estimate is not enough here: `exists`). */
  hasRows: boolean;
}

export interface TargetCatalog {
  tables: Map<TableKey, TargetTable>;
  foreignKeys: ForeignKey[];
}

export function tableKey(schema: string, name: string): TableKey {
  return qualified(schema, name);
}

/** Reads the target's catalog for `tables` (missing ones are simply absent from the result). */
export async function readTargetCatalog(db: Db, tables: readonly { schema: string; name: string }[]): Promise<TargetCatalog> {
  const schemas = tables.map((t) => t.schema);
  const names = tables.map((t) => t.name);
  const rels = await db<{ oid: number; key: string }[]>`
    select c.oid::int as oid, '"' || replace(n.nspname, '"', '""') || '"."' || replace(c.relname, '"', '""') || '"' as key
      from unnest(${schemas}::text[], ${names}::text[]) as w(s, t)
      join pg_namespace n on n.nspname = w.s
      join pg_class c on c.relnamespace = n.oid and c.relname = w.t and c.relkind in ('r', 'p')`;
  const out: TargetCatalog = { tables: new Map(), foreignKeys: [] };
  if (rels.length === 0) return out;
  const oids = rels.map((r) => r.oid);
  const cols = await db<{ oid: number; name: string; type: string; always: boolean }[]>`
    select a.attrelid::int as oid, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attidentity = 'a' as always
      from pg_attribute a where a.attrelid = any(${oids}::oid[]) and a.attnum > 0 and not a.attisdropped`;
  const cons = await db<{ oid: number; name: string; type: string; columns: string[]; parent: string | null; parent_columns: string[] | null }[]>`
    select k.conrelid::int as oid, k.conname as name, k.contype::text as type,
           array(select a.attname from unnest(k.conkey) with ordinality u(n, o)
                   join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.o) as columns,
           case when k.contype = 'f' then '"' || replace(pn.nspname, '"', '""') || '"."' || replace(pc.relname, '"', '""') || '"' end as parent,
           case when k.contype = 'f' then array(select a.attname from unnest(k.confkey) with ordinality u(n, o)
                   join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.o) end as parent_columns
      from pg_constraint k
      left join pg_class pc on pc.oid = k.confrelid left join pg_namespace pn on pn.oid = pc.relnamespace
     where k.contype in ('p', 'u', 'f') and (k.conrelid = any(${oids}::oid[]) or k.confrelid = any(${oids}::oid[]))
       and k.conparentid = 0
     order by k.conname`;
  const keyOf = new Map(rels.map((r) => [r.oid, r.key]));
  for (const r of rels) {
    const [row] = await db.unsafe<{ any: boolean }[]>(`select exists (select from ${r.key}) as any`);
    out.tables.set(r.key, { key: r.key, primaryKey: [], uniques: [], types: new Map(), identityAlways: new Set(), hasRows: row?.any ?? false });
  }
  for (const c of cols) {
    const t = out.tables.get(keyOf.get(c.oid)!)!;
    t.types.set(c.name, c.type);
    if (c.always) t.identityAlways.add(c.name);
  }
  // A foreign key's child may be outside `tables` (it references one of them): name it by oid.
  const childKeys = new Map<number, string>();
  const missing = cons.filter((c) => c.type === "f" && !keyOf.has(c.oid)).map((c) => c.oid);
  if (missing.length) {
    for (const r of await db<{ oid: number; key: string }[]>`
      select c.oid::int as oid, '"' || replace(n.nspname, '"', '""') || '"."' || replace(c.relname, '"', '""') || '"' as key
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = any(${missing}::oid[])`) childKeys.set(r.oid, r.key);
  }
  for (const c of cons) {
    const table = keyOf.has(c.oid) ? out.tables.get(keyOf.get(c.oid)!) : undefined;
    if (c.type === "p" && table) table.primaryKey = c.columns;
    else if (c.type === "u" && table) table.uniques.push({ name: c.name, columns: c.columns });
    else if (c.type === "f") {
      out.foreignKeys.push({
        name: c.name, child: keyOf.get(c.oid) ?? childKeys.get(c.oid)!, childColumns: c.columns,
        parent: c.parent!, parentColumns: c.parent_columns ?? [],
      });
    }
  }
  return out;
}

/**
 * Moves the target's sequences forward to the backup's positions, never backwards: after a
 * partial or live restore, the target may already have handed out higher values. Sequences
 * are limited to those owned by `tables` (serial and identity columns) that exist in the target.
 */
export async function raiseSequences(
  db: Db,
  sequences: readonly SequenceRecord[],
  tables: readonly TableKey[],
): Promise<number> {
  if (tables.length === 0 || sequences.length === 0) return 0;
  const owned = await db<{ schema: string; name: string }[]>`
    select n.nspname as schema, s.relname as name
      from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S'
      join pg_namespace n on n.oid = s.relnamespace
     where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
       and d.refobjid = any(select k::regclass::oid from unnest(${tables as string[]}::text[]) k)`;
  const ownedKeys = new Set(owned.map((o) => tableKey(o.schema, o.name)));
  let raised = 0;
  for (const s of sequences) {
    const key = tableKey(s.schema, s.name);
    if (!ownedKeys.has(key)) continue;
    const r = await db.unsafe(
      `select pg_catalog.setval('${key.replaceAll("'", "''")}'::regclass, $1::bigint, $2::boolean) from ${key} where last_value < $1::bigint or (last_value = $1::bigint and not is_called and $2::boolean)`,
      [s.lastValue, s.isCalled],
    );
    raised += r.count;
  }
  return raised;
}

/**
 * Refuses a restore whose target lacks Supabase platform tables (`auth.users`: records with
 * `dataOnly`) that the backup carries rows for: Cofre restores their rows, never their
 * definitions. `missing`: the records in scope that the target lacks.
 */
export function assertPlatformTablesPresent(missing: readonly TableRecord[]) {
  const platform = missing.filter((r) => r.dataOnly).map((r) => `${r.schema}.${r.name}`);
  if (!platform.length) return;
  throw new CofreError("RESTORE_FAILED", {
    "pt-BR": `O banco de destino não tem ${platform.join(", ")}, tabela(s) da plataforma Supabase cujas linhas o backup traz. Restaure em um projeto Supabase.`,
    en: `The target database lacks ${platform.join(", ")}, Supabase platform table(s) whose rows the backup carries. Restore into a Supabase project.`,
  }, { details: { tables: platform } });
}
