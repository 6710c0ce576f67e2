/**
 * User-defined types: enums, composites, domains (with their constraints), ranges, and
 * collations. Base (C-language) types and shell types are not reproduced: a warning names them.
 */
import type { Db } from "../db.ts";
import { aclRowsSql, type AclRow } from "./acl.ts";
import { emptyHarvest, type Harvest } from "./model.ts";
import { extensionMember, groupBy, literal, ownerItem, query, statements } from "./sql.ts";

interface TypeRow {
  key: string;
  relKey: string | null;
  schema: string;
  name: string;
  q: string;
  typtype: string;
  owner: string;
  acl: AclRow[];
  base: AclRow[];
  labels: string[] | null;
  baseType: string | null;
  notNull: boolean;
  def: string | null;
  collation: string | null;
  range: {
    subtype: string;
    opclass: string | null;
    collation: string | null;
    canonical: string | null;
    subdiff: string | null;
    multirange: string | null;
  } | null;
}

interface AttrRow {
  key: string;
  qname: string;
  type: string;
  collation: string | null;
}

interface DomainConstraintRow {
  key: string;
  typeKey: string;
  qname: string;
  def: string;
  validated: boolean;
}

export async function readTypes(db: Db, schemas: string[]): Promise<Harvest> {
  const out = emptyHarvest();
  const [types, attrs, checks, unsupported] = await Promise.all([
    query<TypeRow>(
      db,
      `select 'pg_type:' || t.oid as key,
              case when t.typtype = 'c' then 'pg_class:' || t.typrelid end as "relKey",
              n.nspname as schema, t.typname as name,
              quote_ident(n.nspname) || '.' || quote_ident(t.typname) as q, t.typtype::text as typtype,
              quote_ident(pg_get_userbyid(t.typowner)) as owner,
              ${aclRowsSql("coalesce(t.typacl, acldefault('T', t.typowner))")} as acl,
              ${aclRowsSql("acldefault('T', t.typowner)")} as base,
              case when t.typtype = 'e' then array(select e.enumlabel::text from pg_enum e where e.enumtypid = t.oid order by e.enumsortorder) end as labels,
              case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) end as "baseType",
              t.typnotnull as "notNull",
              pg_get_expr(t.typdefaultbin, 0) as def,
              case when t.typtype = 'd' and t.typcollation <> 0 and t.typcollation <> bt.typcollation
                   then quote_ident(cn.nspname) || '.' || quote_ident(co.collname) end as collation,
              case when t.typtype = 'r' then json_build_object(
                'subtype', format_type(r.rngsubtype, null),
                'opclass', case when r.rngsubopc <> coalesce((select o.oid from pg_opclass o join pg_am am on am.oid = o.opcmethod
                                                                where am.amname = 'btree' and o.opcintype = r.rngsubtype and o.opcdefault limit 1), 0)
                                then (select quote_ident(on_.nspname) || '.' || quote_ident(o.opcname) from pg_opclass o join pg_namespace on_ on on_.oid = o.opcnamespace where o.oid = r.rngsubopc) end,
                'collation', case when r.rngcollation <> 0 and r.rngcollation <> st.typcollation
                                  then (select quote_ident(rcn.nspname) || '.' || quote_ident(rco.collname) from pg_collation rco join pg_namespace rcn on rcn.oid = rco.collnamespace where rco.oid = r.rngcollation) end,
                'canonical', case when r.rngcanonical <> 0 then r.rngcanonical::regproc::text end,
                'subdiff', case when r.rngsubdiff <> 0 then r.rngsubdiff::regproc::text end,
                'multirange', (select quote_ident(mn.nspname) || '.' || quote_ident(mt.typname) from pg_type mt join pg_namespace mn on mn.oid = mt.typnamespace where mt.oid = r.rngmultitypid)
              ) end as range
         from pg_type t
         join pg_namespace n on n.oid = t.typnamespace
         left join pg_type bt on bt.oid = t.typbasetype
         left join pg_collation co on co.oid = t.typcollation
         left join pg_namespace cn on cn.oid = co.collnamespace
         left join pg_range r on r.rngtypid = t.oid
         left join pg_type st on st.oid = r.rngsubtype
        where n.nspname = any($1::text[])
          and (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c'))
          and not ${extensionMember("pg_type", "t.oid")}
        order by n.nspname, t.typname`,
      [schemas],
    ),
    query<AttrRow>(
      db,
      `select 'pg_type:' || t.oid as key, quote_ident(a.attname) as qname, format_type(a.atttypid, a.atttypmod) as type,
              case when a.attcollation <> at.typcollation and a.attcollation <> 0
                   then quote_ident(cn.nspname) || '.' || quote_ident(co.collname) end as collation
         from pg_type t
         join pg_namespace n on n.oid = t.typnamespace
         join pg_attribute a on a.attrelid = t.typrelid
         join pg_type at on at.oid = a.atttypid
         left join pg_collation co on co.oid = a.attcollation
         left join pg_namespace cn on cn.oid = co.collnamespace
        where n.nspname = any($1::text[]) and t.typtype = 'c' and a.attnum > 0 and not a.attisdropped
        order by t.oid, a.attnum`,
      [schemas],
    ),
    query<DomainConstraintRow>(
      db,
      `select 'pg_constraint:' || c.oid as key, 'pg_type:' || c.contypid as "typeKey", quote_ident(c.conname) as qname,
              pg_get_constraintdef(c.oid) as def, c.convalidated as validated
         from pg_constraint c
         join pg_type t on t.oid = c.contypid
         join pg_namespace n on n.oid = t.typnamespace
        where n.nspname = any($1::text[]) and c.contype = 'c'
        order by c.contypid, c.conname`,
      [schemas],
    ),
    query<{ q: string; typtype: string }>(
      db,
      `select quote_ident(n.nspname) || '.' || quote_ident(t.typname) as q, t.typtype::text as typtype
         from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where n.nspname = any($1::text[])
          and (t.typtype = 'p' or (t.typtype = 'b' and not exists (select from pg_type e where e.typarray = t.oid)))
          and not ${extensionMember("pg_type", "t.oid")}
        order by 1`,
      [schemas],
    ),
  ]);

  for (const u of unsupported) {
    out.warnings.push(`type ${u.q}: base and pseudo types are not reproduced`);
  }

  const attrsOf = groupBy(attrs, (a) => a.key);
  const checksOf = groupBy(checks, (c) => c.typeKey);
  for (const t of types) {
    const isDomain = t.typtype === "d";
    const word = isDomain ? "DOMAIN" : "TYPE";
    let sql: string;
    if (t.typtype === "e") {
      sql = statements(`CREATE TYPE ${t.q} AS ENUM (${(t.labels ?? []).map((l) => `\n    ${literal(l)}`).join(",")}\n)`);
    } else if (t.typtype === "c") {
      const cols = (attrsOf.get(t.key) ?? []).map((a) => `\n    ${a.qname} ${a.type}${a.collation ? ` COLLATE ${a.collation}` : ""}`);
      sql = statements(`CREATE TYPE ${t.q} AS (${cols.join(",")}\n)`);
    } else if (t.typtype === "r") {
      const r = t.range!;
      const opts = [`subtype = ${r.subtype}`];
      if (r.multirange) opts.push(`multirange_type_name = ${r.multirange}`);
      if (r.opclass) opts.push(`subtype_opclass = ${r.opclass}`);
      if (r.collation) opts.push(`collation = ${r.collation}`);
      if (r.subdiff) opts.push(`subtype_diff = ${r.subdiff}`);
      if (r.canonical) out.warnings.push(`range type ${t.q}: its canonical function ${r.canonical} is not reproduced`);
      sql = statements(`CREATE TYPE ${t.q} AS RANGE (\n    ${opts.join(",\n    ")}\n)`);
    } else {
      const mine = checksOf.get(t.key) ?? [];
      let create = `CREATE DOMAIN ${t.q} AS ${t.baseType}`;
      if (t.collation) create += ` COLLATE ${t.collation}`;
      if (t.def !== null) create += ` DEFAULT ${t.def}`;
      if (t.notNull) create += " NOT NULL";
      for (const c of mine.filter((c) => c.validated)) create += `\n\tCONSTRAINT ${c.qname} ${c.def}`;
      const later = mine.filter((c) => !c.validated).map((c) => `ALTER DOMAIN ${t.q} ADD CONSTRAINT ${c.qname} ${c.def}`);
      sql = statements(create, ...later);
      for (const c of mine) {
        out.comments.push({
          catalogKey: c.key,
          itemKey: t.key,
          target: `CONSTRAINT ${c.qname} ON DOMAIN ${t.q}`,
          label: `CONSTRAINT ${c.qname} ON DOMAIN ${t.name}`,
          schema: t.schema,
          table: null,
          section: "pre-data",
        });
      }
    }
    out.items.push({ key: t.key, kind: word, schema: t.schema, name: t.name, table: null, section: "pre-data", sql, deps: [] });
    out.items.push(ownerItem({ objectKey: t.key, alter: `${word} ${t.q}`, owner: t.owner, schema: t.schema, name: t.name, table: null }));
    out.comments.push({
      catalogKey: t.key,
      itemKey: t.key,
      target: `${word} ${t.q}`,
      label: `${word} ${t.name}`,
      schema: t.schema,
      table: null,
      section: "pre-data",
    });
    if (t.relKey) {
      // Comments on a composite type's attributes are stored against its pg_class row.
      out.comments.push({
        catalogKey: t.relKey,
        itemKey: t.key,
        target: `${word} ${t.q}`,
        columnsOf: t.q,
        label: `${word} ${t.name}`,
        columnsLabel: t.name,
        schema: t.schema,
        table: null,
        section: "pre-data",
      });
    }
    out.acls.push({
      objectKey: t.key,
      objtype: "T",
      onWhat: `${word} ${t.q}`,
      label: `${word} ${t.name}`,
      schema: t.schema,
      table: null,
      owner: t.owner,
      acl: t.acl,
      base: t.base,
    });
  }

  await readCollations(db, schemas, out);
  return out;
}

async function readCollations(db: Db, schemas: string[], out: Harvest): Promise<void> {
  // to_jsonb(c): the locale columns differ between server versions (colliculocale in 15–16, colllocale in 17+).
  const rows = await query<{ key: string; schema: string; name: string; q: string; owner: string; c: Record<string, unknown> }>(
    db,
    `select 'pg_collation:' || c.oid as key, n.nspname as schema, c.collname as name,
            quote_ident(n.nspname) || '.' || quote_ident(c.collname) as q,
            quote_ident(pg_get_userbyid(c.collowner)) as owner, to_jsonb(c) as c
       from pg_collation c join pg_namespace n on n.oid = c.collnamespace
      where n.nspname = any($1::text[]) and not ${extensionMember("pg_collation", "c.oid")}
      order by n.nspname, c.collname`,
    [schemas],
  );
  for (const r of rows) {
    const c = r.c;
    const provider = c.collprovider === "i" ? "icu" : c.collprovider === "c" ? "libc" : "default";
    const opts = [`provider = ${provider}`];
    if (provider === "icu") {
      const locale = (c.colllocale ?? c.colliculocale ?? c.collcollate) as string | null;
      opts.push(`locale = ${literal(locale ?? "")}`);
      if (typeof c.collicurules === "string") opts.push(`rules = ${literal(c.collicurules)}`);
    } else if ((c.collcollate ?? null) === (c.collctype ?? null)) {
      opts.push(`locale = ${literal(String(c.collcollate ?? ""))}`);
    } else {
      opts.push(`lc_collate = ${literal(String(c.collcollate ?? ""))}`, `lc_ctype = ${literal(String(c.collctype ?? ""))}`);
    }
    if (c.collisdeterministic === false) opts.push("deterministic = false");
    out.items.push({
      key: r.key,
      kind: "COLLATION",
      schema: r.schema,
      name: r.name,
      table: null,
      section: "pre-data",
      sql: statements(`CREATE COLLATION ${r.q} (${opts.join(", ")})`),
      deps: [],
    });
    out.items.push(ownerItem({ objectKey: r.key, alter: `COLLATION ${r.q}`, owner: r.owner, schema: r.schema, name: r.name, table: null }));
    out.comments.push({
      catalogKey: r.key,
      itemKey: r.key,
      target: `COLLATION ${r.q}`,
      label: `COLLATION ${r.name}`,
      schema: r.schema,
      table: null,
      section: "pre-data",
    });
  }
}
