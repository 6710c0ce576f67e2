/**
 * Functions, procedures (pg_get_functiondef) and aggregates (CREATE AGGREGATE from
 * pg_aggregate). Bodies are not checked at restore (RESTORE_PREAMBLE turns
 * check_function_bodies off), so only SQL-standard bodies (`BEGIN ATOMIC`, `RETURN`), whose
 * references pg_depend records, constrain the order.
 */
import type { Db } from "../db.ts";
import { aclRowsSql, type AclRow } from "./acl.ts";
import { emptyHarvest, type Harvest } from "./model.ts";
import { extensionMember, literal, ownerItem, query, statements } from "./sql.ts";

interface Aggregate {
  kind: string;
  sfunc: string;
  stype: string;
  sspace: number;
  finalfunc: string | null;
  finalextra: boolean;
  finalmodify: string;
  combinefunc: string | null;
  serialfunc: string | null;
  deserialfunc: string | null;
  initcond: string | null;
  msfunc: string | null;
  minvfunc: string | null;
  mstype: string | null;
  msspace: number;
  mfinalfunc: string | null;
  mfinalextra: boolean;
  mfinalmodify: string;
  minitcond: string | null;
  sortop: string | null;
  parallel: string;
}

interface FunctionRow {
  key: string;
  schema: string;
  name: string;
  q: string;
  prokind: string;
  identity: string;
  signature: string;
  args: string;
  def: string | null;
  owner: string;
  acl: AclRow[];
  base: AclRow[];
  agg: Aggregate | null;
}

const MODIFY: Record<string, string> = { r: "READ_ONLY", s: "SHAREABLE", w: "READ_WRITE" };
const PARALLEL: Record<string, string> = { s: "SAFE", r: "RESTRICTED" };

export async function readFunctions(db: Db, schemas: string[]): Promise<Harvest> {
  const out = emptyHarvest();
  const rows = await query<FunctionRow>(
    db,
    `select 'pg_proc:' || p.oid as key, n.nspname as schema, p.proname as name,
            quote_ident(n.nspname) || '.' || quote_ident(p.proname) as q, p.prokind::text as prokind,
            pg_get_function_identity_arguments(p.oid) as identity,
            oidvectortypes(p.proargtypes) as signature,
            pg_get_function_arguments(p.oid) as args,
            case when p.prokind <> 'a' then pg_get_functiondef(p.oid) end as def,
            quote_ident(pg_get_userbyid(p.proowner)) as owner,
            ${aclRowsSql("coalesce(p.proacl, acldefault('f', p.proowner))")} as acl,
            ${aclRowsSql("acldefault('f', p.proowner)")} as base,
            case when p.prokind = 'a' then (
              select json_build_object(
                'kind', a.aggkind::text,
                'sfunc', a.aggtransfn::regproc::text,
                'stype', format_type(a.aggtranstype, null),
                'sspace', a.aggtransspace,
                'finalfunc', case when a.aggfinalfn <> 0 then a.aggfinalfn::regproc::text end,
                'finalextra', a.aggfinalextra,
                'finalmodify', a.aggfinalmodify::text,
                'combinefunc', case when a.aggcombinefn <> 0 then a.aggcombinefn::regproc::text end,
                'serialfunc', case when a.aggserialfn <> 0 then a.aggserialfn::regproc::text end,
                'deserialfunc', case when a.aggdeserialfn <> 0 then a.aggdeserialfn::regproc::text end,
                'initcond', a.agginitval,
                'msfunc', case when a.aggmtransfn <> 0 then a.aggmtransfn::regproc::text end,
                'minvfunc', case when a.aggminvtransfn <> 0 then a.aggminvtransfn::regproc::text end,
                'mstype', case when a.aggmtranstype <> 0 then format_type(a.aggmtranstype, null) end,
                'msspace', a.aggmtransspace,
                'mfinalfunc', case when a.aggmfinalfn <> 0 then a.aggmfinalfn::regproc::text end,
                'mfinalextra', a.aggmfinalextra,
                'mfinalmodify', a.aggmfinalmodify::text,
                'minitcond', a.aggminitval,
                'sortop', case when a.aggsortop <> 0 then a.aggsortop::regoper::text end,
                'parallel', p.proparallel::text)
                from pg_aggregate a where a.aggfnoid = p.oid) end as agg
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any($1::text[]) and not ${extensionMember("pg_proc", "p.oid")}
        -- range and multirange constructors belong to their type
        and not exists (select from pg_depend i where i.classid = 'pg_proc'::regclass and i.objid = p.oid and i.deptype = 'i')
      order by n.nspname, p.proname, oidvectortypes(p.proargtypes)`,
    [schemas],
  );
  for (const f of rows) {
    const kind = f.prokind === "p" ? "PROCEDURE" : f.prokind === "a" ? "AGGREGATE" : "FUNCTION";
    const identity = kind === "AGGREGATE" && f.identity === "" ? "*" : f.identity;
    const ref = `${f.q}(${identity})`;
    let sql: string;
    if (f.agg) {
      sql = statements(aggregateSql(f, f.agg));
    } else {
      sql = `${f.def!.trimEnd()};\n`;
    }
    const name = `${f.name}(${f.signature})`;
    out.items.push({ key: f.key, kind, schema: f.schema, name, table: null, section: "pre-data", sql, deps: [] });
    out.items.push(ownerItem({ objectKey: f.key, alter: `${kind} ${ref}`, owner: f.owner, schema: f.schema, name, table: null }));
    out.comments.push({
      catalogKey: f.key,
      itemKey: f.key,
      target: `${kind} ${ref}`,
      label: `${kind} ${name}`,
      schema: f.schema,
      table: null,
      section: "pre-data",
    });
    out.acls.push({
      objectKey: f.key,
      objtype: "f",
      onWhat: `${kind === "PROCEDURE" ? "PROCEDURE" : "FUNCTION"} ${ref}`,
      label: `${kind} ${name}`,
      schema: f.schema,
      table: null,
      owner: f.owner,
      acl: f.acl,
      base: f.base,
    });
  }
  return out;
}

function aggregateSql(f: FunctionRow, a: Aggregate): string {
  const opts: string[] = [`SFUNC = ${a.sfunc}`, `STYPE = ${a.stype}`];
  if (a.sspace) opts.push(`SSPACE = ${a.sspace}`);
  if (a.finalfunc) {
    opts.push(`FINALFUNC = ${a.finalfunc}`);
    if (a.finalextra) opts.push("FINALFUNC_EXTRA");
    opts.push(`FINALFUNC_MODIFY = ${MODIFY[a.finalmodify] ?? "READ_ONLY"}`);
  }
  if (a.combinefunc) opts.push(`COMBINEFUNC = ${a.combinefunc}`);
  if (a.serialfunc) opts.push(`SERIALFUNC = ${a.serialfunc}`);
  if (a.deserialfunc) opts.push(`DESERIALFUNC = ${a.deserialfunc}`);
  if (a.initcond !== null) opts.push(`INITCOND = ${literal(a.initcond)}`);
  if (a.msfunc) {
    opts.push(`MSFUNC = ${a.msfunc}`, `MINVFUNC = ${a.minvfunc}`, `MSTYPE = ${a.mstype}`);
    if (a.msspace) opts.push(`MSSPACE = ${a.msspace}`);
    if (a.mfinalfunc) {
      opts.push(`MFINALFUNC = ${a.mfinalfunc}`);
      if (a.mfinalextra) opts.push("MFINALFUNC_EXTRA");
      opts.push(`MFINALFUNC_MODIFY = ${MODIFY[a.mfinalmodify] ?? "READ_ONLY"}`);
    }
    if (a.minitcond !== null) opts.push(`MINITCOND = ${literal(a.minitcond)}`);
  }
  if (a.sortop) opts.push(`SORTOP = ${a.sortop.includes(".") ? `OPERATOR(${a.sortop})` : a.sortop}`);
  if (a.kind === "h") opts.push("HYPOTHETICAL");
  const parallel = PARALLEL[a.parallel];
  if (parallel) opts.push(`PARALLEL = ${parallel}`);
  const args = f.args === "" ? "*" : f.args;
  return `CREATE AGGREGATE ${f.q}(${args}) (\n    ${opts.join(",\n    ")}\n)`;
}
