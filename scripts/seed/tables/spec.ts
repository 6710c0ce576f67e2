/**
 * The contract between table generators and the loader.
 */
import type { World } from "../world.ts";

export interface TableSpec {
  /** Schema-qualified table, e.g. `public.patients`. */
  readonly table: string;
  /** Columns in the order `lines()` writes them. */
  readonly columns: readonly string[];
  /**
   * The table's rows as COPY text lines (see copy.ts), generated lazily.
   * MUST be deterministic in (world.seed, world.scale) and MUST NOT keep rows in memory.
   * Ids, where the table has one, are 1..n in the order produced.
   */
  lines(world: World): Iterable<string>;
  /**
   * True when the seeder created the table in the loading transaction, so
   * `COPY … (FREEZE)` is allowed. False for tables it does not own (auth.users).
   */
  readonly owned: boolean;
}
