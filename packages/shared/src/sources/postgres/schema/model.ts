/**
 * The shape of a schema dump: the public types (what a backup stores) and the internal `Item`
 * the catalog readers produce before ordering.
 */
import type { AclSpec } from "./acl.ts";

/** pg_dump's split: pre-data runs before table data is loaded, post-data after. */
export type Section = "pre-data" | "post-data";

/** One restorable object, pg_dump-like (one archive TOC entry). */
export interface SchemaObject {
  /**
   * Stable identity within the dump (`kind`, schema, table and name joined), unique. Other
   * objects name it in `deps`.
   */
  id: string;
  /** pg_dump-like: "SCHEMA", "EXTENSION", "TYPE", "DOMAIN", "TABLE", "CONSTRAINT", "ACL", … */
  kind: string;
  /** Schema of the object (for COMMENT/ACL/OWNER: of the object they apply to); null for none. */
  schema: string | null;
  /** Identity within the schema, e.g. "patients", "patients_pkey", "fn(integer, text)", "TABLE patients" (COMMENT/ACL). */
  name: string;
  /**
   * For a table, view or materialized view and everything attached to one (columns' defaults,
   * constraints, indexes, triggers, policies, comments, grants, owned sequences): that
   * relation's name in `schema`. Null otherwise.
   */
  table: string | null;
  /** pre-data objects are applied before data is loaded, post-data ones after. */
  section: Section;
  /** Complete statement(s), each terminated by ";\n". Run after RESTORE_PREAMBLE. */
  sql: string;
  /** `id`s of objects of this dump that must be applied first; all appear earlier in `objects`. */
  deps: string[];
}

export interface SchemaDump {
  /** `server_version` of the source. */
  serverVersion: string;
  /** The schemas in scope that exist, sorted. */
  schemas: string[];
  /** In dependency order: applying them in array order (pre-data, data, post-data) works. */
  objects: SchemaObject[];
  /**
   * Objects outside the dump that objects in it need, as `pg_describe_object` names them
   * (e.g. "function auth.uid()", "extension pgcrypto"): the target must already have them.
   */
  requires: string[];
  /** Things in scope the dump does not reproduce, or reproduces only partly. Empty when complete. */
  warnings: string[];
}

/** What to dump. */
export interface SchemaScope {
  /** Schema names. Objects in other schemas are never emitted (only required, see `requires`). */
  schemas: string[];
  /**
   * Tables (and views/materialized views) to leave out, with everything attached to them;
   * objects that depend on them (views, foreign keys, partitions…) are left out too, with a warning.
   */
  excludeTable?: (schema: string, name: string) => boolean;
}

/**
 * What a catalog reader produces. `key` is the catalog identity (`pg_class:16384`) for objects
 * that are catalog rows, or a derived key (`owner:pg_class:16384`) for statements about one.
 * `deps` hold keys (item keys or any catalog key; order.ts resolves both through pg_depend).
 */
export interface Item {
  key: string;
  kind: string;
  schema: string | null;
  name: string;
  table: string | null;
  section: Section;
  /** The statement(s); a function when the text depends on which `parts` were split out. */
  sql: string | ((split: ReadonlySet<string>) => string);
  deps: string[];
  /**
   * Pieces written inside this item's statement (a column default, a CHECK) that may have to
   * become statements of their own to break a dependency cycle; each is its own complete Item
   * (keyed by its catalog identity) used only if split out.
   */
  parts?: Item[];
}

/** Where a comment on a catalog object goes, registered by the reader of that object. */
export interface CommentTarget {
  /** Catalog key of the commented object (`pg_class:16384`). */
  catalogKey: string;
  /** Key of the item the comment must follow (the object, or the item it is written inside). */
  itemKey: string;
  /** SQL after `COMMENT ON `, e.g. `TABLE public.patients`. */
  target: string;
  /** For `pg_class` objects with columns: the qualified relation, so `COLUMN <rel>.<col>` works. */
  columnsOf?: string;
  /** Unqualified relation name for the label of a column comment (`COLUMN patients.name`). */
  columnsLabel?: string;
  /** Unqualified label for the COMMENT object's name, e.g. `TABLE patients`. */
  label: string;
  schema: string | null;
  table: string | null;
  section: Section;
}

/** Everything one catalog reader returns. */
export interface Harvest {
  items: Item[];
  comments: CommentTarget[];
  acls: AclSpec[];
  warnings: string[];
}

export function emptyHarvest(): Harvest {
  return { items: [], comments: [], acls: [], warnings: [] };
}
