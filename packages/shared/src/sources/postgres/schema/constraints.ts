/**
 * Table constraints applied after the data (post-data): PRIMARY KEY, UNIQUE, EXCLUDE (kind
 * "CONSTRAINT"), FOREIGN KEY (kind "FK CONSTRAINT") and CHECKs marked NOT VALID. Validated
 * CHECKs are written inside CREATE TABLE (tables.ts). Foreign keys a partition inherited from
 * its partitioned parent are not emitted (the parent's creates them); a partition's own
 * primary key/unique constraint is, and indexes.ts attaches its index to the parent's.
 */
import type { Db } from "../db.ts";
import { emptyHarvest, type Harvest } from "./model.ts";
import { query, statements } from "./sql.ts";

interface ConstraintRow {
  key: string;
  conname: string;
  qname: string;
  contype: string;
  relKey: string;
  schema: string;
  relname: string;
  q: string;
  relkind: string;
  def: string;
  isLocal: boolean;
  indexKey: string | null;
  qindex: string | null;
  indexName: string | null;
}

export async function readConstraints(db: Db, schemas: string[]): Promise<Harvest> {
  const out = emptyHarvest();
  const rows = await query<ConstraintRow>(
    db,
    `select 'pg_constraint:' || k.oid as key, k.conname, quote_ident(k.conname) as qname, k.contype::text as contype,
            'pg_class:' || k.conrelid as "relKey", n.nspname as schema, c.relname,
            quote_ident(n.nspname) || '.' || quote_ident(c.relname) as q, c.relkind::text as relkind,
            pg_get_constraintdef(k.oid) as def, k.conislocal as "isLocal",
            case when k.contype in ('p', 'u', 'x') and k.conindid <> 0 then 'pg_class:' || k.conindid end as "indexKey",
            (select quote_ident(n.nspname) || '.' || quote_ident(ic.relname) from pg_class ic where ic.oid = k.conindid) as qindex,
            (select ic.relname from pg_class ic where ic.oid = k.conindid) as "indexName"
       from pg_constraint k
       join pg_class c on c.oid = k.conrelid
       join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname = any($1::text[])
        and (k.contype in ('p', 'u', 'x') or (k.contype = 'f' and k.conparentid = 0) or (k.contype = 'c' and not k.convalidated and k.conislocal))
      order by n.nspname, c.relname, k.conname`,
    [schemas],
  );
  for (const k of rows) {
    const isFk = k.contype === "f";
    // ONLY keeps an index-backed constraint off the children (partitions get their own);
    // a foreign key or CHECK must reach the children, and partitioned tables refuse ONLY for them.
    const alter = isFk || k.contype === "c" ? `ALTER TABLE ${k.relkind === "p" || k.contype === "c" ? "" : "ONLY "}${k.q}` : `ALTER TABLE ONLY ${k.q}`;
    out.items.push({
      key: k.key,
      kind: isFk ? "FK CONSTRAINT" : "CONSTRAINT",
      schema: k.schema,
      name: k.conname,
      table: k.relname,
      section: "post-data",
      sql: statements(`${alter}\n    ADD CONSTRAINT ${k.qname} ${k.def}`),
      deps: [k.relKey],
    });
    out.comments.push({
      catalogKey: k.key,
      itemKey: k.key,
      target: `CONSTRAINT ${k.qname} ON ${k.q}`,
      label: `CONSTRAINT ${k.conname} ON ${k.relname}`,
      schema: k.schema,
      table: k.relname,
      section: "post-data",
    });
    if (k.indexKey) {
      out.comments.push({
        catalogKey: k.indexKey,
        itemKey: k.key,
        target: `INDEX ${k.qindex}`,
        label: `INDEX ${k.indexName}`,
        schema: k.schema,
        table: k.relname,
        section: "post-data",
      });
    }
  }
  return out;
}
