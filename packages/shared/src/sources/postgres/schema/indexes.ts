/**
 * Post-data index objects: indexes that do not back a constraint (pg_get_indexdef; a
 * partitioned table's index is created ON ONLY it), "INDEX ATTACH" items that attach each
 * partition's index (constraint-backed or not) to its parent's, CLUSTER ON and REPLICA
 * IDENTITY USING INDEX, per-column statistics targets of expression indexes, and extended
 * statistics objects (CREATE STATISTICS). Invalid indexes (a failed CREATE INDEX CONCURRENTLY)
 * are skipped with a warning, as pg_dump skips them.
 */
import type { Db } from "../db.ts";
import { emptyHarvest, type Harvest } from "./model.ts";
import { extensionMember, ownerItem, query, statements } from "./sql.ts";

interface IndexRow {
  key: string;
  schema: string;
  name: string;
  q: string;
  qname: string;
  tableKey: string;
  tableName: string;
  qtable: string;
  def: string;
  clustered: boolean;
  replident: boolean;
  valid: boolean;
  partitioned: boolean;
  parentKey: string | null;
  qparent: string | null;
  constraintKey: string | null;
  stats: { attnum: number; target: number }[];
}

interface StatisticsRow {
  key: string;
  schema: string;
  name: string;
  q: string;
  tableKey: string;
  tableSchema: string;
  tableName: string;
  def: string;
  target: number | null;
  owner: string;
}

export async function readIndexes(db: Db, schemas: string[]): Promise<Harvest> {
  const out = emptyHarvest();
  const [rows, stats] = await Promise.all([
    query<IndexRow>(
      db,
      `select 'pg_class:' || i.indexrelid as key, n.nspname as schema, ic.relname as name,
              quote_ident(n.nspname) || '.' || quote_ident(ic.relname) as q, quote_ident(ic.relname) as qname,
              'pg_class:' || i.indrelid as "tableKey", tc.relname as "tableName",
              quote_ident(n.nspname) || '.' || quote_ident(tc.relname) as qtable,
              pg_get_indexdef(i.indexrelid) as def, i.indisclustered as clustered, i.indisreplident as replident,
              i.indisvalid as valid, ic.relkind = 'I' as partitioned,
              (select 'pg_class:' || h.inhparent from pg_inherits h where h.inhrelid = i.indexrelid) as "parentKey",
              (select quote_ident(pn.nspname) || '.' || quote_ident(pc.relname)
                 from pg_inherits h join pg_class pc on pc.oid = h.inhparent join pg_namespace pn on pn.oid = pc.relnamespace
                where h.inhrelid = i.indexrelid) as qparent,
              (select 'pg_constraint:' || k.oid from pg_constraint k
                where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x')) as "constraintKey",
              coalesce((select json_agg(json_build_object('attnum', a.attnum, 'target', a.attstattarget) order by a.attnum)
                          from pg_attribute a where a.attrelid = i.indexrelid and a.attstattarget > 0), '[]'::json) as stats
         from pg_index i
         join pg_class ic on ic.oid = i.indexrelid
         join pg_class tc on tc.oid = i.indrelid
         join pg_namespace n on n.oid = tc.relnamespace
        where tc.relkind in ('r', 'p', 'm') and n.nspname = any($1::text[]) and not ${extensionMember("pg_class", "tc.oid")}
        order by n.nspname, tc.relname, ic.relname`,
      [schemas],
    ),
    query<StatisticsRow>(
      db,
      `select 'pg_statistic_ext:' || s.oid as key, n.nspname as schema, s.stxname as name,
              quote_ident(n.nspname) || '.' || quote_ident(s.stxname) as q,
              'pg_class:' || s.stxrelid as "tableKey", tn.nspname as "tableSchema", c.relname as "tableName",
              pg_get_statisticsobjdef(s.oid) as def,
              case when s.stxstattarget >= 0 then s.stxstattarget::int end as target,
              quote_ident(pg_get_userbyid(s.stxowner)) as owner
         from pg_statistic_ext s
         join pg_namespace n on n.oid = s.stxnamespace
         join pg_class c on c.oid = s.stxrelid
         join pg_namespace tn on tn.oid = c.relnamespace
        where n.nspname = any($1::text[]) and not ${extensionMember("pg_statistic_ext", "s.oid")}
        order by n.nspname, s.stxname`,
      [schemas],
    ),
  ]);

  for (const x of rows) {
    // An index backing a constraint is created by the constraint (constraints.ts).
    const ownKey = x.constraintKey ?? x.key;
    if (!x.constraintKey) {
      if (!x.valid && !x.partitioned) {
        out.warnings.push(`index ${x.q} is invalid and is not reproduced`);
        continue;
      }
      const statSql = x.stats.map((s) => `ALTER INDEX ${x.q} ALTER COLUMN ${s.attnum} SET STATISTICS ${s.target}`);
      out.items.push({
        key: x.key,
        kind: "INDEX",
        schema: x.schema,
        name: x.name,
        table: x.tableName,
        section: "post-data",
        sql: statements(x.def, ...statSql),
        deps: [x.tableKey],
      });
      out.comments.push({
        catalogKey: x.key,
        itemKey: x.key,
        target: `INDEX ${x.q}`,
        label: `INDEX ${x.name}`,
        schema: x.schema,
        table: x.tableName,
        section: "post-data",
      });
    }
    if (x.parentKey) {
      out.items.push({
        key: `attach:${x.key}`,
        kind: "INDEX ATTACH",
        schema: x.schema,
        name: x.name,
        table: x.tableName,
        section: "post-data",
        sql: statements(`ALTER INDEX ${x.qparent} ATTACH PARTITION ${x.q}`),
        deps: [x.parentKey, ownKey],
      });
    }
    if (x.clustered) {
      out.items.push({
        key: `cluster:${x.key}`,
        kind: "CLUSTER ON",
        schema: x.schema,
        name: x.name,
        table: x.tableName,
        section: "post-data",
        sql: statements(`ALTER TABLE ${x.qtable} CLUSTER ON ${x.qname}`),
        deps: [ownKey],
      });
    }
    if (x.replident) {
      out.items.push({
        key: `replident:${x.key}`,
        kind: "REPLICA IDENTITY",
        schema: x.schema,
        name: x.name,
        table: x.tableName,
        section: "post-data",
        sql: statements(`ALTER TABLE ONLY ${x.qtable} REPLICA IDENTITY USING INDEX ${x.qname}`),
        deps: [ownKey],
      });
    }
  }

  for (const s of stats) {
    const table = s.tableSchema === s.schema ? s.tableName : null;
    out.items.push({
      key: s.key,
      kind: "STATISTICS",
      schema: s.schema,
      name: s.name,
      table,
      section: "post-data",
      sql: statements(s.def, s.target !== null ? `ALTER STATISTICS ${s.q} SET STATISTICS ${s.target}` : null),
      deps: [s.tableKey],
    });
    out.items.push(ownerItem({ objectKey: s.key, alter: `STATISTICS ${s.q}`, owner: s.owner, schema: s.schema, name: s.name, table, section: "post-data" }));
    out.comments.push({
      catalogKey: s.key,
      itemKey: s.key,
      target: `STATISTICS ${s.q}`,
      label: `STATISTICS ${s.name}`,
      schema: s.schema,
      table,
      section: "post-data",
    });
  }
  return out;
}
