/**
 * Triggers (pg_get_triggerdef, constraint triggers included) and rewrite rules other than a
 * view's own (pg_get_ruledef), both post-data, with their enabled state. Triggers a partition
 * got from its partitioned parent are not emitted: the parent's trigger recreates them.
 */
import type { Db } from "../db.ts";
import { emptyHarvest, type Harvest } from "./model.ts";
import { bare, extensionMember, query, statements } from "./sql.ts";

interface TriggerRow {
  key: string;
  name: string;
  qname: string;
  relKey: string;
  schema: string;
  relname: string;
  q: string;
  def: string;
  enabled: string;
}

const ENABLE: Record<string, string> = { D: "DISABLE", R: "ENABLE REPLICA", A: "ENABLE ALWAYS" };

export async function readTriggers(db: Db, schemas: string[]): Promise<Harvest> {
  const out = emptyHarvest();
  const [triggers, rules] = await Promise.all([
    query<TriggerRow>(
      db,
      `select 'pg_trigger:' || t.oid as key, t.tgname as name, quote_ident(t.tgname) as qname,
              'pg_class:' || t.tgrelid as "relKey", n.nspname as schema, c.relname,
              quote_ident(n.nspname) || '.' || quote_ident(c.relname) as q,
              pg_get_triggerdef(t.oid) as def, t.tgenabled::text as enabled
         from pg_trigger t
         join pg_class c on c.oid = t.tgrelid
         join pg_namespace n on n.oid = c.relnamespace
        where not t.tgisinternal and t.tgparentid = 0 and n.nspname = any($1::text[])
          and not ${extensionMember("pg_class", "c.oid")}
          -- Cofre's own change capture (sources/postgres/capture) is not part of the user's schema.
          and t.tgfoid not in (select p.oid from pg_proc p join pg_namespace pn on pn.oid = p.pronamespace where pn.nspname = 'cofre_capture')
        order by n.nspname, c.relname, t.tgname`,
      [schemas],
    ),
    query<TriggerRow>(
      db,
      `select 'pg_rewrite:' || r.oid as key, r.rulename as name, quote_ident(r.rulename) as qname,
              'pg_class:' || r.ev_class as "relKey", n.nspname as schema, c.relname,
              quote_ident(n.nspname) || '.' || quote_ident(c.relname) as q,
              pg_get_ruledef(r.oid) as def, r.ev_enabled::text as enabled
         from pg_rewrite r
         join pg_class c on c.oid = r.ev_class
         join pg_namespace n on n.oid = c.relnamespace
        where r.rulename <> '_RETURN' and n.nspname = any($1::text[])
          and not ${extensionMember("pg_class", "c.oid")}
        order by n.nspname, c.relname, r.rulename`,
      [schemas],
    ),
  ]);
  for (const [rows, kind] of [[triggers, "TRIGGER"], [rules, "RULE"]] as const) {
    for (const t of rows) {
      const state = ENABLE[t.enabled];
      out.items.push({
        key: t.key,
        kind,
        schema: t.schema,
        name: t.name,
        table: t.relname,
        section: "post-data",
        sql: statements(bare(t.def), state ? `ALTER TABLE ${t.q} ${state} ${kind} ${t.qname}` : null),
        deps: [t.relKey],
      });
      out.comments.push({
        catalogKey: t.key,
        itemKey: t.key,
        target: `${kind} ${t.qname} ON ${t.q}`,
        label: `${kind} ${t.name} ON ${t.relname}`,
        schema: t.schema,
        table: t.relname,
        section: "post-data",
      });
    }
  }
  return out;
}
