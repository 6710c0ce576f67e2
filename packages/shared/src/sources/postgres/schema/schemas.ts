/**
 * Schemas and extensions. `public` gets no CREATE (every target has it) but keeps its owner
 * (unless the built-in pg_database_owner), ACL and comment. An extension is emitted when its
 * schema is in scope (as pg_dump does for a whole database); its member objects never are.
 */
import type { Db } from "../db.ts";
import { aclRowsSql, type AclRow } from "./acl.ts";
import { emptyHarvest, type Harvest } from "./model.ts";
import { ownerItem, query, statements } from "./sql.ts";

export async function readSchemas(db: Db, schemas: string[]): Promise<Harvest> {
  const out = emptyHarvest();
  const rows = await query<{
    key: string;
    name: string;
    q: string;
    owner: string;
    defaultOwner: boolean;
    acl: AclRow[];
    base: AclRow[];
  }>(
    db,
    `select 'pg_namespace:' || n.oid as key, n.nspname as name, quote_ident(n.nspname) as q,
            quote_ident(pg_get_userbyid(n.nspowner)) as owner,
            pg_get_userbyid(n.nspowner) = 'pg_database_owner' as "defaultOwner",
            ${aclRowsSql("coalesce(n.nspacl, acldefault('n', n.nspowner))")} as acl,
            ${aclRowsSql("coalesce(ip.initprivs, acldefault('n', n.nspowner))")} as base
       from pg_namespace n
       left join pg_init_privs ip on ip.classoid = 'pg_namespace'::regclass and ip.objoid = n.oid and ip.objsubid = 0
      where n.nspname = any($1::text[])
      order by n.nspname`,
    [schemas],
  );
  for (const s of rows) {
    const isPublic = s.name === "public";
    if (!isPublic) {
      out.items.push({
        key: s.key,
        kind: "SCHEMA",
        schema: null,
        name: s.name,
        table: null,
        section: "pre-data",
        sql: statements(`CREATE SCHEMA IF NOT EXISTS ${s.q}`),
        deps: [],
      });
    }
    if (!(isPublic && s.defaultOwner)) {
      out.items.push(ownerItem({ objectKey: s.key, alter: `SCHEMA ${s.q}`, owner: s.owner, schema: null, name: s.name, table: null }));
    }
    out.comments.push({
      catalogKey: s.key,
      itemKey: s.key,
      target: `SCHEMA ${s.q}`,
      label: `SCHEMA ${s.name}`,
      schema: null,
      table: null,
      section: "pre-data",
    });
    out.acls.push({
      objectKey: s.key,
      objtype: "n",
      onWhat: `SCHEMA ${s.q}`,
      label: `SCHEMA ${s.name}`,
      schema: null,
      table: null,
      owner: s.owner,
      acl: s.acl,
      base: s.base,
    });
  }

  const exts = await query<{ key: string; name: string; q: string; schema: string; qschema: string }>(
    db,
    `select 'pg_extension:' || e.oid as key, e.extname as name, quote_ident(e.extname) as q,
            n.nspname as schema, quote_ident(n.nspname) as qschema
       from pg_extension e join pg_namespace n on n.oid = e.extnamespace
      where n.nspname = any($1::text[])
      order by e.extname`,
    [schemas],
  );
  for (const e of exts) {
    out.items.push({
      key: e.key,
      kind: "EXTENSION",
      schema: e.schema,
      name: e.name,
      table: null,
      section: "pre-data",
      sql: statements(`CREATE EXTENSION IF NOT EXISTS ${e.q} WITH SCHEMA ${e.qschema}`),
      deps: [],
    });
    out.comments.push({
      catalogKey: e.key,
      itemKey: e.key,
      target: `EXTENSION ${e.q}`,
      label: `EXTENSION ${e.name}`,
      schema: e.schema,
      table: null,
      section: "pre-data",
    });
  }
  return out;
}
