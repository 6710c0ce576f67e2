import type postgres from "postgres";

/**
 * Anything that runs queries: a pool, a reserved connection or a transaction. Dump code takes
 * this so one REPEATABLE READ transaction can cover a whole backup step.
 */
export type Db = postgres.Sql | postgres.TransactionSql;

/** Quotes an identifier the way `quote_ident` does (always quoted, `"` doubled). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"` */
export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}
