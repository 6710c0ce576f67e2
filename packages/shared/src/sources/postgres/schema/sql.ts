/**
 * Small SQL-text helpers shared by the catalog readers. Identifiers are quoted by the server
 * (`quote_ident` in the catalog queries), so the text here only joins what the queries return.
 */
import type { Db } from "../db.ts";
import type { Item, Section } from "./model.ts";

/** A string literal under standard_conforming_strings = on (RESTORE_PREAMBLE sets it). */
export function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Joins statements, each terminated by ";\n" (statements must not carry their own `;`). */
export function statements(...parts: (string | null | undefined | false)[]): string {
  return parts.filter((p): p is string => typeof p === "string" && p.length > 0).map((p) => `${p};\n`).join("");
}

/** Strips one trailing `;` and whitespace (deparser output such as pg_get_ruledef carries one). */
export function bare(s: string): string {
  return s.trimEnd().replace(/;$/, "").trimEnd();
}

/** SQL that is true when catalog row (`classTable`, `oidExpr`) belongs to an extension. */
export function extensionMember(classTable: string, oidExpr: string): string {
  return `exists (select from pg_depend ext_d where ext_d.classid = '${classTable}'::regclass and ext_d.objid = ${oidExpr} and ext_d.deptype = 'e')`;
}

/** Runs a catalog query (static text, positional parameters). */
export async function query<T>(db: Db, text: string, params: unknown[] = []): Promise<T[]> {
  // postgres.js types `unsafe` params loosely; the values here are strings and string arrays.
  const rows = await db.unsafe(text, params as never[]);
  return rows as unknown as T[];
}

/** The ALTER … OWNER TO item for an object (kept separate so a restore can skip ownership). */
export function ownerItem(o: {
  objectKey: string;
  alter: string;
  owner: string;
  schema: string | null;
  name: string;
  table: string | null;
  section?: Section;
}): Item {
  return {
    key: `owner:${o.objectKey}`,
    kind: "OWNER",
    schema: o.schema,
    name: o.name,
    table: o.table,
    section: o.section ?? "pre-data",
    sql: statements(`ALTER ${o.alter} OWNER TO ${o.owner}`),
    deps: [o.objectKey],
  };
}

/** Rows grouped by a key, each group in input order. */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}
