/**
 * Picking the objects for a restore of selected tables.
 */
import type { SchemaDump, SchemaObject } from "./model.ts";

export interface TableRef {
  schema: string;
  name: string;
}

/**
 * The objects a restore of `tables` applies, in dump order: every object attached to those
 * tables (the table, its defaults, constraints, indexes, triggers, policies, RLS, owned
 * sequences, comments, grants, owner), plus everything those need (schemas, extensions, types,
 * functions, sequences, parent tables…, transitively) with the comments, owners and grants of
 * what was pulled in.
 *
 * Foreign keys that reference a table outside the selection are left out (and whatever
 * depends on them), so the result applies to an empty database; a caller restoring into a
 * database that has the referenced tables can add them back from the dump.
 */
export function objectsForTables(dump: SchemaDump, tables: readonly TableRef[]): SchemaObject[] {
  const wanted = new Set(tables.map((t) => `${t.schema}\u0000${t.name}`));
  const byId = new Map(dump.objects.map((o) => [o.id, o]));
  const selectedTable = (o: SchemaObject) => o.table !== null && o.schema !== null && wanted.has(`${o.schema}\u0000${o.table}`);

  const chosen = new Set<string>();
  const skipped = new Set<string>();
  // Foreign keys to unselected tables, and what hangs on them.
  for (const o of dump.objects) {
    const skipFk =
      o.kind === "FK CONSTRAINT" &&
      o.deps.some((d) => {
        const t = byId.get(d);
        return t !== undefined && t.table !== null && !selectedTable(t);
      });
    if (skipFk || o.deps.some((d) => skipped.has(d))) skipped.add(o.id);
  }
  for (const o of dump.objects) if (selectedTable(o) && !skipped.has(o.id)) chosen.add(o.id);

  const close = () => {
    const stack = [...chosen];
    while (stack.length) {
      const o = byId.get(stack.pop()!);
      for (const d of o?.deps ?? []) {
        if (!chosen.has(d)) {
          chosen.add(d);
          stack.push(d);
        }
      }
    }
  };
  close();
  // Comments, owners and grants of what was pulled in.
  const decorations = new Set(["COMMENT", "OWNER", "ACL"]);
  // Array order puts an object's OWNER before its ACL, so one pass suffices.
  for (const o of dump.objects) {
    if (decorations.has(o.kind) && !skipped.has(o.id) && o.deps.length > 0 && o.deps.every((d) => chosen.has(d))) chosen.add(o.id);
  }
  close();
  return dump.objects.filter((o) => chosen.has(o.id));
}
