/**
 * Cofre's logical schema dump: the DDL of chosen schemas, read from the system catalogs with
 * PostgreSQL's own deparsers, split into pg_dump-like objects in dependency order. Runs on
 * Node and Deno (postgres.js only), inside the backup's REPEATABLE READ transaction.
 *
 * Applying a dump: in one transaction (or several, each starting with RESTORE_PREAMBLE), run
 * RESTORE_PREAMBLE, then every pre-data object's `sql` in array order, load the data, then
 * every post-data object's `sql` in array order. OWNER, ACL and DEFAULT ACL objects may be
 * skipped (e.g. when restoring as a role that cannot own or grant).
 */
export type { Section, SchemaObject, SchemaDump, SchemaScope } from "./model.ts";
export { dumpSchema } from "./dump.ts";
export { RESTORE_PREAMBLE } from "./preamble.ts";
export { renderSql } from "./render.ts";
export { objectsForTables, type TableRef } from "./select.ts";
