/**
 * Sequences: CREATE SEQUENCE with every option, and `SEQUENCE OWNED BY` items for serial-style
 * ownership (such a sequence gets no OWNER item: it follows its table's owner, as in PostgreSQL). Current values are not part of the schema (the data step sets them). Identity
 * sequences are written inside their table (tables.ts); only their comments and ACLs are here.
 */
import type { Db } from "../db.ts";
import { aclRowsSql, type AclRow } from "./acl.ts";
import { emptyHarvest, type Harvest } from "./model.ts";
import { extensionMember, ownerItem, query, statements } from "./sql.ts";

interface SequenceRow {
  key: string;
  schema: string;
  name: string;
  q: string;
  unlogged: boolean;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  owner: string;
  acl: AclRow[];
  base: AclRow[];
  depType: string | null;
  tableKey: string | null;
  tableSchema: string | null;
  tableName: string | null;
  qtable: string | null;
  qcolumn: string | null;
}

export async function readSequences(db: Db, schemas: string[]): Promise<Harvest> {
  const out = emptyHarvest();
  const rows = await query<SequenceRow>(
    db,
    `select 'pg_class:' || c.oid as key, n.nspname as schema, c.relname as name,
            quote_ident(n.nspname) || '.' || quote_ident(c.relname) as q,
            c.relpersistence = 'u' as unlogged, format_type(s.seqtypid, null) as type,
            s.seqstart::text as start, s.seqincrement::text as increment, s.seqmin::text as min,
            s.seqmax::text as max, s.seqcache::text as cache, s.seqcycle as cycle,
            quote_ident(pg_get_userbyid(c.relowner)) as owner,
            ${aclRowsSql("coalesce(c.relacl, acldefault('s', c.relowner))")} as acl,
            ${aclRowsSql("acldefault('s', c.relowner)")} as base,
            d.deptype::text as "depType", 'pg_class:' || tc.oid as "tableKey", tn.nspname as "tableSchema",
            tc.relname as "tableName", quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) as qtable,
            quote_ident(a.attname) as qcolumn
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_sequence s on s.seqrelid = c.oid
       left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
                            and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0 and d.deptype in ('a', 'i')
       left join pg_class tc on tc.oid = d.refobjid
       left join pg_namespace tn on tn.oid = tc.relnamespace
       left join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
      where c.relkind = 'S' and n.nspname = any($1::text[]) and not ${extensionMember("pg_class", "c.oid")}
      order by n.nspname, c.relname`,
    [schemas],
  );
  for (const s of rows) {
    const ownedHere = s.tableKey !== null && s.tableSchema === s.schema;
    const table = ownedHere ? s.tableName : null;
    out.comments.push({
      catalogKey: s.key,
      itemKey: s.key,
      target: `SEQUENCE ${s.q}`,
      label: `SEQUENCE ${s.name}`,
      schema: s.schema,
      table,
      section: "pre-data",
    });
    out.acls.push({
      objectKey: s.key,
      objtype: "s",
      onWhat: `SEQUENCE ${s.q}`,
      label: `SEQUENCE ${s.name}`,
      schema: s.schema,
      table,
      owner: s.owner,
      acl: s.acl,
      base: s.base,
      // A sequence owned by a column takes the owner of its table (ALTER TABLE … OWNER TO
      // cascades to it), so its grants wait for that.
      extraDeps: s.tableKey ? [`owner:${s.tableKey}`] : [],
    });
    if (s.depType === "i") continue; // identity: created by its column (tables.ts)

    const opts = [
      s.type !== "bigint" ? `    AS ${s.type}` : null,
      `    START WITH ${s.start}`,
      `    INCREMENT BY ${s.increment}`,
      `    MINVALUE ${s.min}`,
      `    MAXVALUE ${s.max}`,
      `    CACHE ${s.cache}`,
      s.cycle ? "    CYCLE" : null,
    ].filter((x): x is string => x !== null);
    out.items.push({
      key: s.key,
      kind: "SEQUENCE",
      schema: s.schema,
      name: s.name,
      table,
      section: "pre-data",
      sql: statements(`CREATE ${s.unlogged ? "UNLOGGED " : ""}SEQUENCE ${s.q}\n${opts.join("\n")}`),
      deps: [],
    });
    // Owned by a column: ALTER SEQUENCE … OWNER TO is refused; the table's OWNER item sets it.
    if (s.depType !== "a") {
      out.items.push(ownerItem({ objectKey: s.key, alter: `SEQUENCE ${s.q}`, owner: s.owner, schema: s.schema, name: s.name, table }));
    }
    if (s.depType === "a" && s.tableKey) {
      out.items.push({
        key: `ownedby:${s.key}`,
        kind: "SEQUENCE OWNED BY",
        schema: s.schema,
        name: s.name,
        table,
        section: "pre-data",
        sql: statements(`ALTER SEQUENCE ${s.q} OWNED BY ${s.qtable}.${s.qcolumn}`),
        deps: [s.key, s.tableKey],
      });
    }
  }
  return out;
}
