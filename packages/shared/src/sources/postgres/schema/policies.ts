/**
 * Row-level security: "ROW SECURITY" items (ENABLE / FORCE) and CREATE POLICY, post-data as in
 * pg_dump, so the data load is not filtered by policies.
 */
import type { Db } from "../db.ts";
import { emptyHarvest, type Harvest } from "./model.ts";
import { extensionMember, query, statements } from "./sql.ts";

interface PolicyRow {
  key: string;
  name: string;
  qname: string;
  relKey: string;
  schema: string;
  relname: string;
  q: string;
  cmd: string;
  permissive: boolean;
  roles: string[];
  qual: string | null;
  check: string | null;
}

const CMD: Record<string, string> = { "*": "ALL", r: "SELECT", a: "INSERT", w: "UPDATE", d: "DELETE" };

export async function readPolicies(db: Db, schemas: string[]): Promise<Harvest> {
  const out = emptyHarvest();
  const [rls, policies] = await Promise.all([
    query<{ key: string; schema: string; name: string; q: string; enabled: boolean; forced: boolean }>(
      db,
      `select 'pg_class:' || c.oid as key, n.nspname as schema, c.relname as name,
              quote_ident(n.nspname) || '.' || quote_ident(c.relname) as q,
              c.relrowsecurity as enabled, c.relforcerowsecurity as forced
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and (c.relrowsecurity or c.relforcerowsecurity)
          and n.nspname = any($1::text[]) and not ${extensionMember("pg_class", "c.oid")}
        order by n.nspname, c.relname`,
      [schemas],
    ),
    query<PolicyRow>(
      db,
      `select 'pg_policy:' || p.oid as key, p.polname as name, quote_ident(p.polname) as qname,
              'pg_class:' || p.polrelid as "relKey", n.nspname as schema, c.relname,
              quote_ident(n.nspname) || '.' || quote_ident(c.relname) as q,
              p.polcmd::text as cmd, p.polpermissive as permissive,
              array(select case when r.oid = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(r.oid)) end
                      from unnest(p.polroles) with ordinality r(oid, i) order by r.i) as roles,
              pg_get_expr(p.polqual, p.polrelid) as qual, pg_get_expr(p.polwithcheck, p.polrelid) as check
         from pg_policy p
         join pg_class c on c.oid = p.polrelid
         join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any($1::text[]) and not ${extensionMember("pg_class", "c.oid")}
        order by n.nspname, c.relname, p.polname`,
      [schemas],
    ),
  ]);
  for (const r of rls) {
    out.items.push({
      key: `rls:${r.key}`,
      kind: "ROW SECURITY",
      schema: r.schema,
      name: r.name,
      table: r.name,
      section: "post-data",
      sql: statements(
        r.enabled ? `ALTER TABLE ${r.q} ENABLE ROW LEVEL SECURITY` : null,
        r.forced ? `ALTER TABLE ${r.q} FORCE ROW LEVEL SECURITY` : null,
      ),
      deps: [r.key],
    });
  }
  for (const p of policies) {
    let sql = `CREATE POLICY ${p.qname} ON ${p.q}`;
    if (!p.permissive) sql += " AS RESTRICTIVE";
    sql += ` FOR ${CMD[p.cmd] ?? "ALL"}`;
    if (!(p.roles.length === 1 && p.roles[0] === "PUBLIC")) sql += ` TO ${p.roles.join(", ")}`;
    if (p.qual !== null) sql += ` USING (${p.qual})`;
    if (p.check !== null) sql += ` WITH CHECK (${p.check})`;
    out.items.push({
      key: p.key,
      kind: "POLICY",
      schema: p.schema,
      name: p.name,
      table: p.relname,
      section: "post-data",
      sql: statements(sql),
      deps: [p.relKey],
    });
    out.comments.push({
      catalogKey: p.key,
      itemKey: p.key,
      target: `POLICY ${p.qname} ON ${p.q}`,
      label: `POLICY ${p.name} ON ${p.relname}`,
      schema: p.schema,
      table: p.relname,
      section: "post-data",
    });
  }
  return out;
}
