/**
 * The dependency facts order.ts works from: pg_depend rows between user objects (OIDs from
 * FirstNormalObjectId up; built-in objects are always there), keyed like the items.
 */
import type { Db } from "../db.ts";
import { query } from "./sql.ts";

export interface DependRow {
  /** Catalog key of the dependent object (`pg_class:16384`; sub-object ignored). */
  dep: string;
  /** Catalog key of the referenced object. */
  ref: string;
  /** pg_depend.deptype: n, a, i, e, x, P, S. */
  type: string;
}

/** OIDs below this belong to objects initdb made (PostgreSQL's FirstNormalObjectId). */
const FIRST_NORMAL_OID = 16384;

export async function readDepends(db: Db): Promise<DependRow[]> {
  return query<DependRow>(
    db,
    `select d.classid::regclass::text || ':' || d.objid as dep,
            d.refclassid::regclass::text || ':' || d.refobjid as ref,
            d.deptype::text as type
       from pg_depend d
      where d.objid >= ${FIRST_NORMAL_OID} and d.refobjid >= ${FIRST_NORMAL_OID}
        and d.deptype in ('n', 'a', 'i', 'e', 'x', 'P', 'S')`,
  );
}

/** `pg_describe_object` of catalog keys, for `SchemaDump.requires`. */
export async function describeKeys(db: Db, keys: string[]): Promise<string[]> {
  if (!keys.length) return [];
  const classes = keys.map((k) => k.slice(0, k.indexOf(":")));
  const oids = keys.map((k) => k.slice(k.indexOf(":") + 1));
  const rows = await query<{ d: string | null }>(
    db,
    `select pg_describe_object(k.cls::regclass, k.oid::oid, 0) as d
       from unnest($1::text[], $2::text[]) as k(cls, oid)`,
    [classes, oids],
  );
  return rows.map((r) => r.d).filter((d): d is string => d !== null);
}
