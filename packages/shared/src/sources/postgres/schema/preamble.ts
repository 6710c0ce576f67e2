/**
 * Statements to run at the start of every transaction that applies objects of a dump, before
 * the first object (pg_dump's preamble, as SET LOCAL so nothing outlives the transaction and
 * nothing leaks into a pooled connection). With search_path empty, everything the dump names
 * outside pg_catalog is schema-qualified, as the deparsers wrote it; with
 * check_function_bodies off, functions can be created before the tables their bodies use.
 */
export const RESTORE_PREAMBLE = [
  "SET LOCAL statement_timeout = 0;",
  "SET LOCAL lock_timeout = 0;",
  "SET LOCAL idle_in_transaction_session_timeout = 0;",
  "SET LOCAL standard_conforming_strings = on;",
  "SELECT pg_catalog.set_config('search_path', '', true);",
  "SET LOCAL check_function_bodies = false;",
  "SET LOCAL xmloption = content;",
  "SET LOCAL client_min_messages = warning;",
  "SET LOCAL default_table_access_method = heap;",
  "SET LOCAL default_tablespace = '';",
  "",
].join("\n");
