/**
 * Views (pg_get_viewdef, with their options and CHECK OPTION, column defaults) and
 * materialized views: created WITH NO DATA in pre-data, REFRESHed in post-data (kind
 * "MATERIALIZED VIEW DATA", only when the source's is populated; order.ts makes a refresh wait
 * for the refreshes of the materialized views it reads).
 */
import type { Db } from "../db.ts";
import { aclRowsSql, type AclRow } from "./acl.ts";
import { optionText, type Column } from "./columns.ts";
import { emptyHarvest, type Harvest } from "./model.ts";
import { bare, extensionMember, ownerItem, query, statements } from "./sql.ts";

interface ViewRow {
  key: string;
  schema: string;
  name: string;
  q: string;
  relkind: string;
  def: string;
  options: string[] | null;
  populated: boolean;
  am: string | null;
  owner: string;
  acl: AclRow[];
  base: AclRow[];
}

export async function readViews(db: Db, schemas: string[], columns: Map<string, Column[]>): Promise<Harvest> {
  const out = emptyHarvest();
  const rows = await query<ViewRow>(
    db,
    `select 'pg_class:' || c.oid as key, n.nspname as schema, c.relname as name,
            quote_ident(n.nspname) || '.' || quote_ident(c.relname) as q, c.relkind::text as relkind,
            pg_get_viewdef(c.oid) as def, c.reloptions as options, c.relispopulated as populated,
            case when c.relkind = 'm' then am.amname end as am,
            quote_ident(pg_get_userbyid(c.relowner)) as owner,
            ${aclRowsSql("coalesce(c.relacl, acldefault('r', c.relowner))")} as acl,
            ${aclRowsSql("acldefault('r', c.relowner)")} as base
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       left join pg_am am on am.oid = c.relam
      where c.relkind in ('v', 'm') and n.nspname = any($1::text[]) and not ${extensionMember("pg_class", "c.oid")}
      order by n.nspname, c.relname`,
    [schemas],
  );
  for (const v of rows) {
    const isMatview = v.relkind === "m";
    const word = isMatview ? "MATERIALIZED VIEW" : "VIEW";
    const cols = columns.get(v.key) ?? [];
    const options = (v.options ?? []).filter((o) => !o.startsWith("check_option="));
    const checkOption = (v.options ?? []).find((o) => o.startsWith("check_option="))?.slice("check_option=".length);
    let create = `CREATE ${word} ${v.q}`;
    if (isMatview && v.am && v.am !== "heap") create += ` USING ${v.am}`;
    if (options.length) create += ` WITH (${options.map(optionText).join(", ")})`;
    create += ` AS\n${bare(v.def)}`;
    if (checkOption) create += `\n  WITH ${checkOption.toUpperCase()} CHECK OPTION`;
    if (isMatview) create += `\n  WITH NO DATA`;
    const defaults = isMatview
      ? []
      : cols.filter((c) => c.def !== null).map((c) => `ALTER VIEW ${v.q} ALTER COLUMN ${c.qname} SET DEFAULT ${c.def}`);
    out.items.push({
      key: v.key,
      kind: word,
      schema: v.schema,
      name: v.name,
      table: v.name,
      section: "pre-data",
      sql: statements(create, ...defaults),
      deps: [],
    });
    if (isMatview && v.populated) {
      out.items.push({
        key: `refresh:${v.key}`,
        kind: "MATERIALIZED VIEW DATA",
        schema: v.schema,
        name: v.name,
        table: v.name,
        section: "post-data",
        sql: statements(`REFRESH MATERIALIZED VIEW ${v.q}`),
        deps: [v.key],
      });
    }
    out.items.push(ownerItem({ objectKey: v.key, alter: `${word} ${v.q}`, owner: v.owner, schema: v.schema, name: v.name, table: v.name }));
    out.comments.push({
      catalogKey: v.key,
      itemKey: v.key,
      target: `${word} ${v.q}`,
      columnsOf: v.q,
      label: `${word} ${v.name}`,
      columnsLabel: v.name,
      schema: v.schema,
      table: v.name,
      section: "pre-data",
    });
    out.acls.push({
      objectKey: v.key,
      objtype: "r",
      onWhat: `TABLE ${v.q}`,
      label: `TABLE ${v.name}`,
      schema: v.schema,
      table: v.name,
      owner: v.owner,
      acl: v.acl,
      base: v.base,
      columns: cols.filter((c) => c.acl?.length).map((c) => ({ name: c.qname, acl: c.acl! })),
    });
  }
  return out;
}
