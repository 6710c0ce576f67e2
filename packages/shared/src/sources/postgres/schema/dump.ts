/**
 * dumpSchema: reads the catalogs for the schemas in scope and returns the ordered objects.
 */
import type postgres from "postgres";
import { CofreError, describeError, ErrorCode } from "../../../errors.ts";
import type { Db } from "../db.ts";
import { aclItem, defaultAclItems, readDefaultAcls } from "./acl.ts";
import { readColumns } from "./columns.ts";
import { readComments } from "./comments.ts";
import { readConstraints } from "./constraints.ts";
import { describeKeys, readDepends } from "./depend.ts";
import { readFunctions } from "./functions.ts";
import { readIndexes } from "./indexes.ts";
import type { Harvest, Item, SchemaDump, SchemaScope } from "./model.ts";
import { orderItems } from "./order.ts";
import { readPolicies } from "./policies.ts";
import { readSchemas } from "./schemas.ts";
import { readSequences } from "./sequences.ts";
import { query } from "./sql.ts";
import { readTables } from "./tables.ts";
import { readTriggers } from "./triggers.ts";
import { readTypes } from "./types.ts";
import { unsupportedWarnings } from "./unsupported.ts";
import { readViews } from "./views.ts";

/**
 * Dumps the schema (DDL, no data) of `scope.schemas`.
 *
 * Runs inside `db` when it is a transaction — the caller opens REPEATABLE READ so schema and
 * data come from one snapshot — and otherwise opens its own REPEATABLE READ READ ONLY
 * transaction. It changes no state that outlives it: search_path, DateStyle, IntervalStyle
 * and extra_float_digits are set LOCAL for the deparsers (so every name outside pg_catalog is
 * schema-qualified) and put back before it returns. Queries are set-based: one per object family.
 *
 * @throws CofreError SOURCE_QUERY when a catalog query fails.
 */
export async function dumpSchema(db: Db, scope: SchemaScope): Promise<SchemaDump> {
  if (typeof (db as { savepoint?: unknown }).savepoint === "function") return dumpIn(db, scope);
  const pool = db as postgres.Sql;
  return (await pool.begin("isolation level repeatable read read only", (tx) => dumpIn(tx, scope))) as SchemaDump;
}

const SETTINGS: [name: string, value: string][] = [
  ["search_path", ""],
  ["DateStyle", "ISO"],
  ["IntervalStyle", "postgres"],
  ["extra_float_digits", "3"],
];

async function dumpIn(db: Db, scope: SchemaScope): Promise<SchemaDump> {
  let saved: string[] | null = null;
  try {
    const [before] = await query<{ v: string[] }>(db, `select array[${SETTINGS.map(([n]) => `current_setting('${n}')`).join(", ")}] as v`);
    saved = before!.v;
    await setAll(db, SETTINGS.map(([, v]) => v));
    const dump = await collect(db, scope);
    await setAll(db, saved);
    return dump;
  } catch (e) {
    if (e instanceof CofreError) throw e;
    throw new CofreError(
      ErrorCode.SOURCE_QUERY,
      {
        "pt-BR": `Não foi possível ler o esquema do banco de dados: ${describeError(e)}`,
        en: `Could not read the database schema: ${describeError(e)}`,
      },
      { cause: e, details: { schemas: scope.schemas } },
    );
  }
}

async function setAll(db: Db, values: string[]) {
  await query(db, `select ${SETTINGS.map(([n], i) => `set_config('${n}', $${i + 1}, true)`).join(", ")}`, values);
}

async function collect(db: Db, scope: SchemaScope): Promise<SchemaDump> {
  const [version] = await query<{ v: string }>(db, "select current_setting('server_version') as v");
  const present = await query<{ key: string; name: string }>(
    db,
    `select 'pg_namespace:' || oid as key, nspname as name from pg_namespace where nspname = any($1::text[]) order by nspname`,
    [scope.schemas],
  );
  const schemas = present.map((s) => s.name);
  const warnings: string[] = scope.schemas.filter((s) => !schemas.includes(s)).map((s) => `schema ${s} does not exist`);

  const columns = await readColumns(db, schemas);
  const harvests: Harvest[] = await Promise.all([
    readSchemas(db, schemas),
    readTypes(db, schemas),
    readFunctions(db, schemas),
    readSequences(db, schemas),
    readTables(db, schemas, columns),
    readViews(db, schemas, columns),
    readConstraints(db, schemas),
    readIndexes(db, schemas),
    readTriggers(db, schemas),
    readPolicies(db, schemas),
  ]);
  const [defaults, depends, unsupported] = await Promise.all([readDefaultAcls(db), readDepends(db), unsupportedWarnings(db, schemas)]);
  warnings.push(...harvests.flatMap((h) => h.warnings), ...unsupported);

  // excludeTable: relations left out with everything attached to them.
  const excludedRel = new Set<string>();
  const exclude = scope.excludeTable;
  if (exclude) {
    for (const h of harvests) {
      for (const it of h.items) {
        if (["TABLE", "VIEW", "MATERIALIZED VIEW"].includes(it.kind) && it.schema !== null && exclude(it.schema, it.name)) {
          excludedRel.add(`${it.schema}\u0000${it.name}`);
        }
      }
    }
  }
  const isExcluded = (x: { schema: string | null; table: string | null }) =>
    x.table !== null && x.schema !== null && excludedRel.has(`${x.schema}\u0000${x.table}`);

  const items: Item[] = [];
  const excluded = new Set<string>();
  const keep = (it: Item) => {
    if (!isExcluded(it)) return items.push(it);
    excluded.add(it.key);
    for (const p of it.parts ?? []) excluded.add(p.key);
  };
  for (const h of harvests) h.items.forEach(keep);

  const targets = harvests.flatMap((h) => h.comments).filter((t) => !isExcluded(t));
  (await readComments(db, targets)).forEach(keep);
  for (const spec of harvests.flatMap((h) => h.acls)) {
    if (isExcluded(spec)) continue;
    const it = aclItem(spec, defaults, spec.schema);
    if (it) items.push(it);
  }
  items.push(...defaultAclItems(defaults, new Set(schemas)));

  const ordered = orderItems({ items, depends, provided: new Set(present.map((s) => s.key)), excluded });
  warnings.push(...ordered.warnings);
  const requires = [...new Set(await describeKeys(db, ordered.unresolved))].sort();
  return { serverVersion: version!.v, schemas, objects: ordered.objects, requires, warnings };
}
