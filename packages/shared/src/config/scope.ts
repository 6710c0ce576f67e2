/**
 * What a backup covers by default: every schema that is neither the system's nor Supabase's
 * own (nor Cofre's), minus temporary and cache tables — the seed's "Exclui: tabelas
 * temporárias (_temp_*), cache tables".
 */

/** Schemas owned by PostgreSQL, Supabase's services and Cofre itself: never backed up as DDL. */
export const SYSTEM_SCHEMAS: readonly string[] = [
  "pg_catalog", "information_schema", "pg_toast",
  "auth", "storage", "realtime", "_realtime", "supabase_functions", "supabase_migrations",
  "vault", "extensions", "graphql", "graphql_public", "pgsodium", "pgsodium_masks", "net",
  "cron", "pgbouncer", "_analytics", "pgtle", "pgmq", "cofre", "cofre_private",
  // Cofre's change capture in a source database (sources/postgres/capture): never user data.
  "cofre_capture",
];

export function isSystemSchema(name: string): boolean {
  return SYSTEM_SCHEMAS.includes(name) || name.startsWith("pg_temp_") || name.startsWith("pg_toast_temp_");
}

/** Default table exclusions (globs matched against `table` and `schema.table`). */
export const DEFAULT_EXCLUDES: readonly string[] = ["_temp_*", "*_cache", "cache_*"];

/** `*` any run of characters, `?` one character; everything else literal. Case-sensitive. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${body}$`);
}

/** The first pattern that excludes `schema.name`, or null. */
export function matchExclusion(patterns: readonly string[], schema: string, name: string): string | null {
  for (const p of patterns) {
    const re = globToRegExp(p);
    if (re.test(name) || re.test(`${schema}.${name}`)) return p;
  }
  return null;
}
