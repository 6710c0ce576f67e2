/**
 * Typed calls of Cofre's RPCs (schema `cofre`) over a postgres.js connection, for the Edge
 * Functions and the worker. Names, arguments and results come from the generated
 * `Database` type (database.types.ts, `npx tsx scripts/db/gen-types.ts`), so a renamed RPC or
 * argument stops the callers from type-checking.
 *
 * Arguments are passed by name (`p_owner_id => $1`), as PostgREST does; arguments left
 * undefined take their SQL defaults. Results are read through `to_jsonb`, so they have exactly
 * the JSON shape the generated types (and PostgREST) describe — timestamps as ISO strings,
 * bigints as numbers, rows as objects — not postgres.js's own parsing (Date, string bigints).
 *
 * Bound parameters only: values are never spliced into the SQL text, and names are checked
 * against the identifier pattern (they come from the types, not from input).
 */
import type { Db } from "../sources/postgres/db.ts";
import type { Database } from "./database.types.ts";

export type CofreFunctions = Database["cofre"]["Functions"];
export type CofreFunctionName = keyof CofreFunctions & string;
export type RpcArgs<N extends CofreFunctionName> = CofreFunctions[N]["Args"];
export type RpcReturns<N extends CofreFunctionName> = CofreFunctions[N]["Returns"];
/** The argument list of `rpc`: none for a function without arguments (`Args: never`). */
type ArgsParam<N extends CofreFunctionName> = [RpcArgs<N>] extends [never] ? [] : [args: RpcArgs<N>];
/** Functions that return a set (`returns table`/`setof`): their Returns is an array. */
export type SetReturningName = { [N in CofreFunctionName]: RpcReturns<N> extends readonly unknown[] ? N : never }[CofreFunctionName];

const IDENT = /^[a-z_][a-z0-9_]*$/;

function callText(name: string, args: Record<string, unknown> | undefined): { call: string; params: unknown[] } {
  if (!IDENT.test(name)) throw new TypeError(`not an RPC name: ${JSON.stringify(name)}`);
  const params: unknown[] = [];
  const named: string[] = [];
  for (const [k, v] of Object.entries(args ?? {})) {
    if (v === undefined) continue;
    if (!IDENT.test(k)) throw new TypeError(`not an argument name: ${JSON.stringify(k)}`);
    // postgres.js sends JS arrays as Postgres arrays; other objects are JSON (json/jsonb arguments).
    params.push(v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) ? JSON.stringify(v) : v);
    named.push(`${k} => $${params.length}`);
  }
  return { call: `cofre.${name}(${named.join(", ")})`, params };
}

/** Calls an RPC that returns one value (a scalar, JSON, or a row as an object). */
export async function rpc<N extends Exclude<CofreFunctionName, SetReturningName>>(
  db: Db,
  name: N,
  ...args: ArgsParam<N>
): Promise<RpcReturns<N>> {
  const { call, params } = callText(name, args[0] as Record<string, unknown> | undefined);
  const rows = await db.unsafe(`select to_jsonb(${call}) as value`, params as never[]);
  return (rows[0] as unknown as { value: unknown } | undefined)?.value as RpcReturns<N>;
}

/** Calls a set-returning RPC (`returns table`, `setof`); every row, in the function's order. */
export async function rpcRows<N extends SetReturningName>(db: Db, name: N, ...args: ArgsParam<N>): Promise<RpcReturns<N>> {
  const { call, params } = callText(name, args[0] as Record<string, unknown> | undefined);
  const rows = await db.unsafe(
    // A plain function scan aggregates in the order the function returns its rows. `r` is the
    // row (returns table / setof a row type) or the value itself (setof a scalar).
    `select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) as value from ${call} as r`,
    params as never[],
  );
  return (rows[0] as unknown as { value: unknown }).value as RpcReturns<N>;
}
