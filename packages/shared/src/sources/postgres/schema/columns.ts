/**
 * Columns of every relation in scope (tables, partitions, views, materialized views), read in
 * one query and shared by the table and view readers.
 */
import type { Db } from "../db.ts";
import { aclRowsSql, type AclRow } from "./acl.ts";
import { groupBy, query } from "./sql.ts";

export interface Column {
  relKey: string;
  attnum: number;
  name: string;
  qname: string;
  type: string;
  notNull: boolean;
  isLocal: boolean;
  inhCount: number;
  /** "" | "a" (ALWAYS) | "d" (BY DEFAULT) */
  identity: string;
  /** "" | "s" (STORED) */
  generated: string;
  /** `pg_attrdef:<oid>` when the column has a default or generation expression. */
  defKey: string | null;
  def: string | null;
  /** Quoted collation when it differs from the type's. */
  collation: string | null;
  storage: string;
  typeStorage: string;
  statTarget: number | null;
  options: string[] | null;
  compression: string;
  acl: AclRow[] | null;
  identitySeq: IdentitySequence | null;
}

export interface IdentitySequence {
  key: string;
  qname: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
}

export async function readColumns(db: Db, schemas: string[]): Promise<Map<string, Column[]>> {
  const rows = await query<Column & { attstattarget: number | null }>(
    db,
    `select 'pg_class:' || a.attrelid as "relKey", a.attnum as attnum, a.attname as name,
            quote_ident(a.attname) as qname, format_type(a.atttypid, a.atttypmod) as type,
            a.attnotnull as "notNull", a.attislocal as "isLocal", a.attinhcount as "inhCount",
            a.attidentity::text as identity, a.attgenerated::text as generated,
            case when ad.oid is not null then 'pg_attrdef:' || ad.oid end as "defKey",
            pg_get_expr(ad.adbin, ad.adrelid) as def,
            case when a.attcollation <> t.typcollation and a.attcollation <> 0
                 then quote_ident(cn.nspname) || '.' || quote_ident(co.collname) end as collation,
            a.attstorage::text as storage, t.typstorage::text as "typeStorage",
            case when a.attstattarget >= 0 then a.attstattarget::int end as "statTarget",
            a.attoptions as options, a.attcompression::text as compression,
            case when a.attacl is not null then ${aclRowsSql("a.attacl")} end as acl,
            ids.seq as "identitySeq"
       from pg_attribute a
       join pg_class c on c.oid = a.attrelid
       join pg_namespace n on n.oid = c.relnamespace
       join pg_type t on t.oid = a.atttypid
       left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
       left join pg_collation co on co.oid = a.attcollation
       left join pg_namespace cn on cn.oid = co.collnamespace
       left join lateral (
         select json_build_object(
                  'key', 'pg_class:' || sc.oid,
                  'qname', quote_ident(sn.nspname) || '.' || quote_ident(sc.relname),
                  'start', s.seqstart::text, 'increment', s.seqincrement::text,
                  'min', s.seqmin::text, 'max', s.seqmax::text, 'cache', s.seqcache::text,
                  'cycle', s.seqcycle) as seq
           from pg_depend d
           join pg_class sc on sc.oid = d.objid and sc.relkind = 'S'
           join pg_namespace sn on sn.oid = sc.relnamespace
           join pg_sequence s on s.seqrelid = sc.oid
          where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
            and d.refobjid = a.attrelid and d.refobjsubid = a.attnum and d.deptype = 'i'
          limit 1
       ) ids on a.attidentity <> ''
      where n.nspname = any($1::text[]) and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`,
    [schemas],
  );
  return groupBy(rows, (r) => r.relKey);
}

const STORAGE: Record<string, string> = { p: "PLAIN", e: "EXTERNAL", m: "MAIN", x: "EXTENDED" };
const COMPRESSION: Record<string, string> = { p: "pglz", l: "lz4" };

/** `ALTER TABLE ONLY … ALTER COLUMN …` statements for per-column settings that differ from the defaults. */
export function columnSettings(alter: string, c: Column): string[] {
  const out: string[] = [];
  const col = `${alter} ALTER COLUMN ${c.qname}`;
  if (c.storage !== c.typeStorage && STORAGE[c.storage]) out.push(`${col} SET STORAGE ${STORAGE[c.storage]}`);
  if (c.statTarget !== null) out.push(`${col} SET STATISTICS ${c.statTarget}`);
  if (c.options?.length) out.push(`${col} SET (${c.options.map(optionText).join(", ")})`);
  if (c.compression && COMPRESSION[c.compression]) out.push(`${col} SET COMPRESSION ${COMPRESSION[c.compression]}`);
  return out;
}

/** `name=value` from a reloptions/attoptions array, value quoted as a literal. */
export function optionText(o: string): string {
  const i = o.indexOf("=");
  if (i < 0) return o;
  return `${o.slice(0, i)}='${o.slice(i + 1).replaceAll("'", "''")}'`;
}
