/**
 * Privileges: ACL items (GRANT/REVOKE on one object, its columns included) and DEFAULT ACL
 * items (ALTER DEFAULT PRIVILEGES … IN SCHEMA …), computed from the aclitem arrays.
 *
 * Contract of an ACL item: applied after the object is created and its OWNER item applied, it
 * leaves the object's ACL equal to the source's — same items, same order (pg_dump lists grants
 * in array order, so order is part of what a dump shows) — provided the privileges the target
 * gave the new object come from the built-in default (`acldefault`) and from default
 * privileges whose grantees the source's default privileges for that schema also name
 * (Supabase's `public`: anon, authenticated, service_role, postgres) — for a schema, which may
 * pre-exist in the target, any role the source's default privileges name. It leaves alone the
 * leading entries the source shares with the built-in default, REVOKEs ALL from every other
 * possible holder, and GRANTs the rest in the source's order.
 */
import type { Db } from "../db.ts";
import type { Item, Section } from "./model.ts";
import { query, statements } from "./sql.ts";

/** One aclexplode row: [grantee ("PUBLIC" or quoted role), quoted grantor, privilege, grantable]. */
export type AclRow = [grantee: string, grantor: string, privilege: string, grantable: boolean];

/**
 * SQL for a JSON array of AclRow from an aclitem[] expression, in array order. Use in the select
 * list of a catalog query.
 */
export function aclRowsSql(expr: string): string {
  return `(select coalesce(json_agg(json_build_array(
             case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end,
             quote_ident(pg_get_userbyid(a.grantor)), a.privilege_type, a.is_grantable) order by a.n), '[]'::json)
     from aclexplode(${expr}) with ordinality a(grantor, grantee, privilege_type, is_grantable, n))`;
}

/** `aclexplode` type letters of `acldefault`, with the matching `pg_default_acl.defaclobjtype`. */
export type AclObjType = "r" | "s" | "f" | "T" | "n";
const DEFACL_TYPE: Record<AclObjType, string> = { r: "r", s: "S", f: "f", T: "T", n: "n" };
const DEFACL_WORD: Record<string, string> = { r: "TABLES", S: "SEQUENCES", f: "FUNCTIONS", T: "TYPES", n: "SCHEMAS" };

/** What a catalog reader knows about one object's privileges. */
export interface AclSpec {
  /** Key of the object's item; the ACL item depends on it and on `owner:<objectKey>` if present. */
  objectKey: string;
  objtype: AclObjType;
  /** SQL after `ON `: `TABLE public.t`, `FUNCTION public.f(integer)`, `SCHEMA s`… */
  onWhat: string;
  /** Unqualified label used as the ACL item's name, e.g. `TABLE t`. */
  label: string;
  schema: string | null;
  table: string | null;
  section?: Section;
  /** Quoted owner. */
  owner: string;
  /** The object's ACL (built-in default already substituted for NULL). */
  acl: AclRow[];
  /** What a new object starts with: pg_init_privs if recorded, else acldefault. */
  base: AclRow[];
  /** Keys of other items the ACL item must follow (e.g. the OWNER item of a sequence's table). */
  extraDeps?: string[];
  /** Column privileges (attacl), quoted column names. */
  columns?: { name: string; acl: AclRow[] }[];
}

interface Entry {
  grantee: string;
  grantor: string;
  privs: Map<string, boolean>;
}

function group(rows: AclRow[]): Entry[] {
  const out: Entry[] = [];
  for (const [grantee, grantor, privilege, grantable] of rows) {
    let e = out.find((x) => x.grantee === grantee && x.grantor === grantor);
    if (!e) out.push((e = { grantee, grantor, privs: new Map() }));
    e.privs.set(privilege, grantable);
  }
  return out;
}

function sameEntry(a: Entry, b: Entry): boolean {
  if (a.privs.size !== b.privs.size) return false;
  for (const [p, g] of a.privs) if (b.privs.get(p) !== g) return false;
  return true;
}

/** Default-privilege facts of the source, read once per dump. */
export interface DefaultAclInfo {
  /** Per acldefault type: every privilege an owner has (the universe for ALL). */
  universe: Record<AclObjType, string[]>;
  /** Per schema name ("" for the global entries) and pg_default_acl type: grantees. */
  grantees: Map<string, Set<string>>;
  rows: DefaultAclRow[];
}

interface DefaultAclRow {
  key: string;
  role: string;
  schema: string | null;
  qschema: string | null;
  objtype: string;
  acl: AclRow[];
}

/** Reads pg_default_acl and the privilege universe of each object type. */
export async function readDefaultAcls(db: Db): Promise<DefaultAclInfo> {
  const uni = await query<{ t: AclObjType; privs: string[] }>(
    db,
    `select v.t, array_agg(a.privilege_type order by a.privilege_type) as privs
       from (values ('r'), ('s'), ('f'), ('T'), ('n')) v(t),
            aclexplode(acldefault(v.t::"char", 10)) a
      where a.grantee = 10
      group by v.t`,
  );
  const rows = await query<DefaultAclRow>(
    db,
    `select 'pg_default_acl:' || d.oid as key, quote_ident(pg_get_userbyid(d.defaclrole)) as role,
            n.nspname as schema, quote_ident(n.nspname) as qschema, d.defaclobjtype::text as objtype,
            ${aclRowsSql("d.defaclacl")} as acl
       from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace
      order by n.nspname nulls first, pg_get_userbyid(d.defaclrole), d.defaclobjtype`,
  );
  const universe = { r: [], s: [], f: [], T: [], n: [] } as Record<AclObjType, string[]>;
  for (const u of uni) universe[u.t] = u.privs;
  const grantees = new Map<string, Set<string>>();
  for (const r of rows) {
    const k = `${r.schema ?? ""}\u0000${r.objtype}`;
    const set = grantees.get(k) ?? new Set<string>();
    for (const [g] of r.acl) if (g !== "PUBLIC") set.add(g);
    grantees.set(k, set);
  }
  return { universe, grantees, rows };
}

function grantStatements(w: Entry, on: string, owner: string, universe: string[], column?: string): string[] {
  const plain = [...w.privs].filter(([, g]) => !g).map(([p]) => p);
  const withOption = [...w.privs].filter(([, g]) => g).map(([p]) => p);
  const grants: string[] = [];
  if (plain.length) grants.push(`GRANT ${privList(plain, universe, column)} ON ${on} TO ${w.grantee}`);
  if (withOption.length) grants.push(`GRANT ${privList(withOption, universe, column)} ON ${on} TO ${w.grantee} WITH GRANT OPTION`);
  // A grant made by someone other than the owner is made as that role, so it records the grantor.
  return w.grantor === owner ? grants : [`SET LOCAL ROLE ${w.grantor}`, ...grants, "RESET ROLE"];
}

function privList(privs: string[], universe: string[], column?: string): string {
  const col = column === undefined ? "" : `(${column})`;
  if (column === undefined && privs.length === universe.length && universe.every((p) => privs.includes(p))) return "ALL";
  return privs.map((p) => `${p}${col}`).join(",");
}

/** The GRANT/REVOKE statements for one object; null when the object has what a new one gets. */
export function aclItem(spec: AclSpec, info: DefaultAclInfo, schemaName: string | null): Item | null {
  const universe = info.universe[spec.objtype];
  const want = group(spec.acl);
  const base = group(spec.base);
  const on = spec.onWhat;
  const out: string[] = [];

  // Entries the source still has exactly as a new object gets them, at the start of the array,
  // are left alone; everything after them is revoked and granted again in the source's order.
  let prefix = 0;
  while (prefix < want.length && prefix < base.length && want[prefix]!.grantee === base[prefix]!.grantee && want[prefix]!.grantor === base[prefix]!.grantor && sameEntry(want[prefix]!, base[prefix]!)) prefix++;
  const kept = new Set(want.slice(0, prefix).map((e) => e.grantee));

  // Who may hold privileges on the new object: the built-in default's grantees, and the
  // grantees of the source's default privileges for this kind of object in this schema.
  const defType = DEFACL_TYPE[spec.objtype];
  const holders = new Set(base.map((b) => b.grantee));
  for (const scope of [schemaName ?? "", ""]) {
    for (const g of info.grantees.get(`${scope}\u0000${defType}`) ?? []) holders.add(g);
  }
  // A schema may exist in the target already (`public`) with the platform's grants: the roles
  // default privileges name anywhere are the ones such grants go to.
  if (spec.objtype === "n") for (const r of info.rows) for (const [g] of r.acl) holders.add(g);
  const revoke = [...holders].filter((g) => !kept.has(g)).sort((a, b) => (a === "PUBLIC" ? -1 : b === "PUBLIC" ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const cascade = want.some((w) => w.grantor !== spec.owner) ? " CASCADE" : "";
  if (revoke.length) out.push(`REVOKE ALL ON ${on} FROM ${revoke.join(", ")}${cascade}`);

  for (const w of want.slice(prefix)) out.push(...grantStatements(w, on, spec.owner, universe));

  // Column privileges (a new column has none).
  for (const col of spec.columns ?? []) {
    for (const w of group(col.acl)) out.push(...grantStatements(w, on, spec.owner, universe, col.name));
  }

  if (!out.length) return null;
  return {
    key: `acl:${spec.objectKey}`,
    kind: "ACL",
    schema: spec.schema,
    name: spec.label,
    table: spec.table,
    section: spec.section ?? "pre-data",
    sql: statements(...out),
    deps: [spec.objectKey, `owner:${spec.objectKey}`, ...(spec.extraDeps ?? [])],
  };
}

/**
 * DEFAULT ACL items for the schemas in scope: for each (role, object type) entry, revoke from
 * every grantee the source's default privileges name anywhere, then grant what the entry holds
 * in its order — so an entry the target already has (Supabase's `public`) ends up equal too.
 */
export function defaultAclItems(info: DefaultAclInfo, schemas: ReadonlySet<string>): Item[] {
  const everyone = new Set<string>();
  for (const r of info.rows) for (const [g] of r.acl) everyone.add(g);
  const items: Item[] = [];
  for (const r of info.rows) {
    if (r.schema === null || !schemas.has(r.schema)) continue;
    const word = DEFACL_WORD[r.objtype];
    if (!word) continue;
    const head = `ALTER DEFAULT PRIVILEGES FOR ROLE ${r.role} IN SCHEMA ${r.qschema}`;
    const universe = info.universe[r.objtype === "S" ? "s" : (r.objtype as AclObjType)] ?? [];
    const out = [`${head} REVOKE ALL ON ${word} FROM ${[...everyone].sort().join(", ")}`];
    for (const e of group(r.acl)) {
      const plain = [...e.privs].filter(([, g]) => !g).map(([p]) => p);
      const withOption = [...e.privs].filter(([, g]) => g).map(([p]) => p);
      if (plain.length) out.push(`${head} GRANT ${privList(plain, universe)} ON ${word} TO ${e.grantee}`);
      if (withOption.length) out.push(`${head} GRANT ${privList(withOption, universe)} ON ${word} TO ${e.grantee} WITH GRANT OPTION`);
    }
    items.push({
      key: r.key,
      kind: "DEFAULT ACL",
      schema: r.schema,
      name: `DEFAULT PRIVILEGES FOR ${word} FOR ROLE ${r.role}`,
      table: null,
      section: "post-data",
      sql: statements(...out),
      deps: [],
    });
  }
  return items;
}
