/**
 * Tables: CREATE TABLE with columns (types, collations, defaults, identity, generated, NOT
 * NULL), validated CHECK constraints, inheritance, partitioning (a partition is created as a
 * table and ATTACHed, so its own column order and settings survive), persistence, access
 * method, reloptions, typed tables (OF type), per-column settings and REPLICA IDENTITY FULL/NOTHING.
 *
 * Column defaults and CHECKs are `parts`: written inside CREATE TABLE unless that closes a
 * dependency cycle (e.g. a default calling a `BEGIN ATOMIC` function that reads the same table),
 * in which case order.ts moves them to their own ALTER TABLE item, as pg_dump does.
 *
 * Inheritance children get pg_dump's treatment: inherited-only columns come from the parents
 * (so the child's columns are ordered parents first, then its own).
 */
import type { Db } from "../db.ts";
import { aclRowsSql, type AclRow } from "./acl.ts";
import { columnSettings, optionText, type Column } from "./columns.ts";
import { emptyHarvest, type Harvest, type Item } from "./model.ts";
import { extensionMember, groupBy, ownerItem, query, statements } from "./sql.ts";

interface TableRow {
  key: string;
  schema: string;
  name: string;
  q: string;
  relkind: string;
  persistence: string;
  isPartition: boolean;
  partKey: string | null;
  bound: string | null;
  parentKeys: string[];
  qparents: string[];
  options: string[] | null;
  toastOptions: string[] | null;
  replident: string;
  am: string | null;
  ofType: string | null;
  owner: string;
  acl: AclRow[];
  base: AclRow[];
}

interface CheckRow {
  key: string;
  relKey: string;
  conname: string;
  qname: string;
  def: string;
  validated: boolean;
  isLocal: boolean;
}

export async function readTables(db: Db, schemas: string[], columns: Map<string, Column[]>): Promise<Harvest> {
  const out = emptyHarvest();
  const [tables, checks, foreign] = await Promise.all([
    query<TableRow>(
      db,
      `select 'pg_class:' || c.oid as key, n.nspname as schema, c.relname as name,
              quote_ident(n.nspname) || '.' || quote_ident(c.relname) as q, c.relkind::text as relkind,
              c.relpersistence::text as persistence, c.relispartition as "isPartition",
              case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as "partKey",
              case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end as bound,
              array(select 'pg_class:' || i.inhparent from pg_inherits i where i.inhrelid = c.oid order by i.inhseqno) as "parentKeys",
              array(select quote_ident(pn.nspname) || '.' || quote_ident(pc.relname)
                      from pg_inherits i join pg_class pc on pc.oid = i.inhparent join pg_namespace pn on pn.oid = pc.relnamespace
                     where i.inhrelid = c.oid order by i.inhseqno) as qparents,
              c.reloptions as options, tc.reloptions as "toastOptions", c.relreplident::text as replident,
              case when c.relkind = 'r' then am.amname end as am,
              case when c.reloftype <> 0 then format_type(c.reloftype, null) end as "ofType",
              quote_ident(pg_get_userbyid(c.relowner)) as owner,
              ${aclRowsSql("coalesce(c.relacl, acldefault('r', c.relowner))")} as acl,
              ${aclRowsSql("acldefault('r', c.relowner)")} as base
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         left join pg_class tc on tc.oid = c.reltoastrelid
         left join pg_am am on am.oid = c.relam
        where c.relkind in ('r', 'p') and n.nspname = any($1::text[]) and not ${extensionMember("pg_class", "c.oid")}
        order by n.nspname, c.relname`,
      [schemas],
    ),
    query<CheckRow>(
      db,
      `select 'pg_constraint:' || k.oid as key, 'pg_class:' || k.conrelid as "relKey", k.conname,
              quote_ident(k.conname) as qname, pg_get_constraintdef(k.oid) as def,
              k.convalidated as validated, k.conislocal as "isLocal"
         from pg_constraint k
         join pg_class c on c.oid = k.conrelid
         join pg_namespace n on n.oid = c.relnamespace
        where k.contype = 'c' and c.relkind in ('r', 'p') and n.nspname = any($1::text[])
        order by k.conrelid, k.conname`,
      [schemas],
    ),
    query<{ q: string }>(
      db,
      `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as q
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'f' and n.nspname = any($1::text[]) and not ${extensionMember("pg_class", "c.oid")}
        order by 1`,
      [schemas],
    ),
  ]);
  for (const f of foreign) out.warnings.push(`foreign table ${f.q} is not reproduced`);
  const checksOf = groupBy(checks, (c) => c.relKey);

  for (const t of tables) {
    const cols = columns.get(t.key) ?? [];
    const mine = checksOf.get(t.key) ?? [];
    const isChild = !t.isPartition && t.parentKeys.length > 0;
    const only = `ALTER TABLE ONLY ${t.q}`;

    // Which columns and CHECKs CREATE TABLE writes.
    const listed = cols.filter((c) => t.isPartition || !isChild || c.isLocal);
    const inlineChecks = mine.filter((c) => c.validated && (t.isPartition || c.isLocal));

    const parts: Item[] = [];
    for (const c of listed) {
      if (c.defKey && c.def !== null && c.generated === "") {
        parts.push({
          key: c.defKey,
          kind: "DEFAULT",
          schema: t.schema,
          name: c.name,
          table: t.name,
          section: "pre-data",
          sql: statements(`${only} ALTER COLUMN ${c.qname} SET DEFAULT ${c.def}`),
          deps: [t.key],
        });
      }
    }
    for (const k of inlineChecks) {
      parts.push({
        key: k.key,
        kind: "CONSTRAINT",
        schema: t.schema,
        name: k.conname,
        table: t.name,
        section: "pre-data",
        sql: statements(`ALTER TABLE ${t.q} ADD CONSTRAINT ${k.qname} ${k.def}`),
        deps: [t.key],
      });
    }

    // Settings of inherited-only columns of an inheritance child that differ from the parent's.
    const inheritedFixes: string[] = [];
    if (isChild) {
      for (const c of cols.filter((c) => !c.isLocal)) {
        const fromParents = t.parentKeys.map((k) => (columns.get(k) ?? []).find((p) => p.name === c.name)).filter((p) => p !== undefined);
        const parentDef = fromParents.find((p) => p.def !== null)?.def ?? null;
        if (c.def !== parentDef && c.generated === "") {
          inheritedFixes.push(c.def === null ? `${only} ALTER COLUMN ${c.qname} DROP DEFAULT` : `${only} ALTER COLUMN ${c.qname} SET DEFAULT ${c.def}`);
        }
        if (c.notNull && !fromParents.some((p) => p.notNull)) inheritedFixes.push(`${only} ALTER COLUMN ${c.qname} SET NOT NULL`);
      }
    }

    const render = (split: ReadonlySet<string>): string => {
      const lines = t.ofType
        ? listed.map((c) => typedColumnDef(c, split)).filter((l): l is string => l !== null).map((l) => `    ${l}`)
        : listed.map((c) => `    ${columnDef(c, split)}`);
      for (const k of inlineChecks) if (!split.has(k.key)) lines.push(`    CONSTRAINT ${k.qname} ${k.def}`);
      const body = lines.length ? `\n${lines.join(",\n")}\n` : "";
      let create = `CREATE ${t.persistence === "u" ? "UNLOGGED " : ""}TABLE ${t.q}`;
      create += t.ofType ? ` OF ${t.ofType}${body ? ` (${body})` : ""}` : ` (${body})`;
      if (isChild) create += `\nINHERITS (${t.qparents.join(", ")})`;
      if (t.partKey) create += `\nPARTITION BY ${t.partKey}`;
      if (t.am && t.am !== "heap") create += `\nUSING ${t.am}`;
      const opts = [...(t.options ?? []).map(optionText), ...(t.toastOptions ?? []).map((o) => `toast.${optionText(o)}`)];
      if (opts.length) create += `\nWITH (${opts.join(", ")})`;
      const attach = t.isPartition ? `ALTER TABLE ONLY ${t.qparents[0]} ATTACH PARTITION ${t.q} ${t.bound}` : null;
      const settings = cols.flatMap((c) => columnSettings(only, c));
      const replident = t.replident === "f" ? `ALTER TABLE ONLY ${t.q} REPLICA IDENTITY FULL` : t.replident === "n" ? `ALTER TABLE ONLY ${t.q} REPLICA IDENTITY NOTHING` : null;
      return statements(create, attach, ...inheritedFixes, ...settings, replident);
    };

    out.items.push({
      key: t.key,
      kind: "TABLE",
      schema: t.schema,
      name: t.name,
      table: t.name,
      section: "pre-data",
      sql: render,
      deps: [...t.parentKeys],
      parts,
    });
    out.items.push(ownerItem({ objectKey: t.key, alter: `TABLE ${t.q}`, owner: t.owner, schema: t.schema, name: t.name, table: t.name }));
    out.comments.push({
      catalogKey: t.key,
      itemKey: t.key,
      target: `TABLE ${t.q}`,
      columnsOf: t.q,
      label: `TABLE ${t.name}`,
      columnsLabel: t.name,
      schema: t.schema,
      table: t.name,
      section: "pre-data",
    });
    for (const k of inlineChecks) {
      out.comments.push({
        catalogKey: k.key,
        itemKey: k.key,
        target: `CONSTRAINT ${k.qname} ON ${t.q}`,
        label: `CONSTRAINT ${k.conname} ON ${t.name}`,
        schema: t.schema,
        table: t.name,
        section: "pre-data",
      });
    }
    out.acls.push({
      objectKey: t.key,
      objtype: "r",
      onWhat: `TABLE ${t.q}`,
      label: `TABLE ${t.name}`,
      schema: t.schema,
      table: t.name,
      owner: t.owner,
      acl: t.acl,
      base: t.base,
      columns: cols.filter((c) => c.acl?.length).map((c) => ({ name: c.qname, acl: c.acl! })),
    });
  }
  return out;
}

function identityClause(c: Column): string {
  const s = c.identitySeq;
  const how = c.identity === "a" ? "ALWAYS" : "BY DEFAULT";
  if (!s) return `GENERATED ${how} AS IDENTITY`;
  const opts = [
    `SEQUENCE NAME ${s.qname}`,
    `START WITH ${s.start}`,
    `INCREMENT BY ${s.increment}`,
    `MINVALUE ${s.min}`,
    `MAXVALUE ${s.max}`,
    `CACHE ${s.cache}`,
    s.cycle ? "CYCLE" : "NO CYCLE",
  ];
  return `GENERATED ${how} AS IDENTITY (\n        ${opts.join("\n        ")}\n    )`;
}

/** A typed table's column: only what it adds to its type's attribute; null when nothing. */
function typedColumnDef(c: Column, split: ReadonlySet<string>): string | null {
  let s = "";
  if (c.def !== null && c.generated === "" && !(c.defKey && split.has(c.defKey))) s += ` DEFAULT ${c.def}`;
  if (c.notNull) s += " NOT NULL";
  return s ? `${c.qname} WITH OPTIONS${s}` : null;
}

function columnDef(c: Column, split: ReadonlySet<string>): string {
  let s = `${c.qname} ${c.type}`;
  if (c.collation) s += ` COLLATE ${c.collation}`;
  if (c.generated === "s") s += ` GENERATED ALWAYS AS (${c.def}) STORED`;
  else if (c.identity) s += ` ${identityClause(c)}`;
  else if (c.def !== null && !(c.defKey && split.has(c.defKey))) s += ` DEFAULT ${c.def}`;
  if (c.notNull) s += " NOT NULL";
  return s;
}
