/**
 * seedDemo(): builds the Ortho+ demo database — schema and rows — in `public` of a
 * Supabase-shaped database.
 *
 * Contract:
 * - Idempotent: drops and recreates only its own objects (sql/drop.sql lists them) and its
 *   demo users in auth.users; other schemas and other objects in `public` are left alone.
 * - Atomic: everything happens in one transaction; a failed run leaves the database as it was.
 * - Deterministic: the same (seed, scale) gives identical rows (ids, timestamps, bytes) on
 *   every run and machine; nothing reads the clock or Math.random.
 * - Bounded memory: rows are generated lazily and streamed with COPY FROM STDIN.
 * - The target must look like a Supabase database: roles anon/authenticated/service_role,
 *   auth.users and auth.uid() (the local stack's supabase-compat.sql provides them).
 */
import { readFileSync } from "node:fs";
import type postgres from "postgres";
import { connect } from "./connect.ts";
import { copyRows } from "./copy.ts";
import { TABLES } from "./tables/index.ts";
import { buildWorld } from "./world.ts";
import { describeDatabase } from "../../packages/shared/src/sources/postgres/connect.ts";

/** Used when no seed is given, so `npm run seed` is reproducible out of the box. */
export const DEFAULT_SEED = 20_261_125;
/** Scale 1 ≈ 50 MB of table data; this cap keeps a typo from filling the disk. */
export const MAX_SCALE = 200;

export interface SeedOptions {
  /** postgres:// URL of the target database. */
  url: string;
  /** Size multiplier, > 0 (fractions allowed). 1 ≈ 50 MB of table data. */
  scale: number;
  /** Integer in [0, 2³²). Defaults to DEFAULT_SEED. */
  seed?: number;
  /** Progress lines (one per loaded table). */
  log?: (message: string) => void;
}

export interface TableSummary {
  /** Schema-qualified name. */
  table: string;
  rows: number;
  /** pg_table_size: heap + TOAST + free-space and visibility maps. */
  tableBytes: number;
  /** pg_total_relation_size: tableBytes + indexes. */
  bytesWithIndexes: number;
}

export interface SeedSummary {
  /** The target as `host:port/database` (never credentials). */
  database: string;
  scale: number;
  seed: number;
  /** The tables of `public` the seeder filled, in load order. */
  tables: TableSummary[];
  /** Rows written to auth.users (demo users). Not counted in the byte totals. */
  demoUsers: number;
  totalRows: number;
  /** Sum of tableBytes: "table data", the figure the scale is calibrated on (scale 1 ≈ 50 MB). */
  totalBytes: number;
  /** Sum of bytesWithIndexes. */
  totalBytesWithIndexes: number;
  elapsedMs: number;
}

const sqlFile = (name: string) => readFileSync(new URL(`./sql/${name}`, import.meta.url), "utf8");

export function validateOptions(scale: number, seed: number) {
  if (!Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new RangeError(`scale must be a number in (0, ${MAX_SCALE}], got ${scale}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
}

/** Fails early, with a useful message, when the target is not Supabase-shaped. */
async function checkSupabaseShape(sql: postgres.Sql) {
  const [row] = await sql<{ users: boolean; uid: boolean; roles: number }[]>`
    select to_regclass('auth.users') is not null as users,
           to_regprocedure('auth.uid()') is not null as uid,
           (select count(*)::int from pg_roles where rolname in ('anon', 'authenticated', 'service_role')) as roles`;
  const missing = [
    !row?.users && "auth.users",
    !row?.uid && "auth.uid()",
    row?.roles !== 3 && "roles anon/authenticated/service_role",
  ].filter(Boolean);
  if (missing.length) {
    throw new Error(
      `the target database is not Supabase-shaped (missing ${missing.join(", ")}); ` +
        "apply scripts/stack/sql/supabase-compat.sql or use a Supabase project's database",
    );
  }
}

export async function seedDemo(opts: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  const seed = opts.seed ?? DEFAULT_SEED;
  validateOptions(opts.scale, seed);
  const world = buildWorld(seed, opts.scale);
  const sql = connect(opts.url);
  try {
    await checkSupabaseShape(sql);
    const rows = new Map<string, number>();
    await sql.begin(async (tx) => {
      await tx.unsafe("set local maintenance_work_mem = '128MB'");
      await tx.unsafe(sqlFile("drop.sql"));
      await tx.unsafe(sqlFile("pre-data.sql"));
      for (const spec of TABLES) {
        const t0 = performance.now();
        const n = await copyRows(tx, spec.table, spec.columns, spec.lines(world), { freeze: spec.owned });
        rows.set(spec.table, n);
        opts.log?.(`${spec.table.padEnd(30)} ${String(n).padStart(9)} rows  ${Math.round(performance.now() - t0)} ms`);
      }
      await tx.unsafe(sqlFile("sequences.sql"));
      const t0 = performance.now();
      await tx.unsafe(sqlFile("post-data.sql"));
      opts.log?.(`constraints, indexes, RLS, grants  ${Math.round(performance.now() - t0)} ms`);
      const owned = TABLES.filter((t) => t.owned).map((t) => t.table);
      await tx.unsafe(`analyze ${owned.join(", ")}`);
    });

    const owned = TABLES.filter((t) => t.owned);
    const sizes = await sql<{ name: string; table_bytes: string; total_bytes: string }[]>`
      select t.name, pg_table_size(t.name::regclass)::text as table_bytes,
             pg_total_relation_size(t.name::regclass)::text as total_bytes
      from unnest(${owned.map((t) => t.table)}::text[]) as t(name)`;
    const byName = new Map(sizes.map((s) => [s.name, s]));
    const tables = owned.map((t) => ({
      table: t.table,
      rows: rows.get(t.table) ?? 0,
      tableBytes: Number(byName.get(t.table)?.table_bytes ?? 0),
      bytesWithIndexes: Number(byName.get(t.table)?.total_bytes ?? 0),
    }));
    return {
      database: describeDatabase(opts.url),
      scale: opts.scale,
      seed,
      tables,
      demoUsers: rows.get("auth.users") ?? 0,
      totalRows: tables.reduce((a, t) => a + t.rows, 0),
      totalBytes: tables.reduce((a, t) => a + t.tableBytes, 0),
      totalBytesWithIndexes: tables.reduce((a, t) => a + t.bytesWithIndexes, 0),
      elapsedMs: Math.round(performance.now() - started),
    };
  } finally {
    await sql.end();
  }
}
