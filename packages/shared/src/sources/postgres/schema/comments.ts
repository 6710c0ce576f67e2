/**
 * COMMENT items, for every object a reader registered a `CommentTarget` for (columns of tables,
 * views and composite types included), from one pg_description query.
 */
import type { Db } from "../db.ts";
import type { CommentTarget, Item } from "./model.ts";
import { literal, query, statements } from "./sql.ts";

export async function readComments(db: Db, targets: CommentTarget[]): Promise<Item[]> {
  const byKey = new Map<string, CommentTarget>();
  for (const t of targets) if (!byKey.has(t.catalogKey)) byKey.set(t.catalogKey, t);
  const oids = [...new Set(targets.map((t) => t.catalogKey.slice(t.catalogKey.indexOf(":") + 1)))];
  if (!oids.length) return [];
  const rows = await query<{ cls: string; oid: string; subid: number; description: string; attname: string | null; qattname: string | null }>(
    db,
    `select d.classoid::regclass::text as cls, d.objoid::text as oid, d.objsubid as subid, d.description,
            a.attname, quote_ident(a.attname) as qattname
       from pg_description d
       left join pg_attribute a on d.classoid = 'pg_class'::regclass and d.objsubid > 0
                               and a.attrelid = d.objoid and a.attnum = d.objsubid
      where d.objoid = any($1::oid[])
      order by 1, 2, 3`,
    [oids],
  );
  const items: Item[] = [];
  for (const r of rows) {
    const catalogKey = `${r.cls}:${r.oid}`;
    const t = byKey.get(catalogKey);
    if (!t) continue;
    let target = t.target;
    let label = t.label;
    if (r.subid > 0) {
      if (!t.columnsOf || r.qattname === null) continue;
      target = `COLUMN ${t.columnsOf}.${r.qattname}`;
      label = `COLUMN ${t.columnsLabel ?? ""}.${r.attname}`;
    }
    items.push({
      key: `comment:${catalogKey}:${r.subid}`,
      kind: "COMMENT",
      schema: t.schema,
      name: label,
      table: t.table,
      section: t.section,
      sql: statements(`COMMENT ON ${target} IS ${literal(r.description)}`),
      deps: [t.itemKey],
    });
  }
  return items;
}
