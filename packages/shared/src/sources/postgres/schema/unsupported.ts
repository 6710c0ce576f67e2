/**
 * Object kinds in scope this module does not reproduce, named so a dump never drops them
 * silently: operators, operator classes and families, text search objects, conversions.
 */
import type { Db } from "../db.ts";
import { extensionMember, query } from "./sql.ts";

const KINDS: [catalog: string, nspColumn: string][] = [
  ["pg_operator", "oprnamespace"],
  ["pg_opclass", "opcnamespace"],
  ["pg_opfamily", "opfnamespace"],
  ["pg_ts_config", "cfgnamespace"],
  ["pg_ts_dict", "dictnamespace"],
  ["pg_ts_parser", "prsnamespace"],
  ["pg_ts_template", "tmplnamespace"],
  ["pg_conversion", "connamespace"],
];

export async function unsupportedWarnings(db: Db, schemas: string[]): Promise<string[]> {
  const union = KINDS.map(
    ([cat, nsp]) =>
      `select pg_describe_object('${cat}'::regclass, x.oid, 0) as d from ${cat} x join pg_namespace n on n.oid = x.${nsp}
        where n.nspname = any($1::text[]) and not ${extensionMember(cat, "x.oid")}`,
  ).join("\n union all\n");
  const rows = await query<{ d: string }>(db, `select d from (${union}) u order by d`, [schemas]);
  return rows.map((r) => `${r.d} is not reproduced`);
}
