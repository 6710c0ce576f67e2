/**
 * Applying schema objects of a backup to the target, one at a time, with the failure policy
 * of docs/restore.md: an OWNER/ACL/DEFAULT ACL statement naming a role the target lacks is
 * skipped with a warning; an object a partial restore only needs (a type, a function) that
 * the target already has is kept as it is, with a note; anything else fails the restore
 * naming the object.
 */
import { CofreError, describeError } from "../errors.ts";
import type { SchemaDumpDoc } from "../config/schema-dump.ts";
import type { Db } from "../sources/postgres/db.ts";

export type SchemaObjectDoc = SchemaDumpDoc["objects"][number];

/** Objects that depend on roles existing in the target; a missing role is a warning, not a failure. */
const ROLE_DEPENDENT_KINDS = new Set(["OWNER", "ACL", "DEFAULT ACL"]);
const UNDEFINED_OBJECT = "42704";
/** duplicate_object, duplicate_table, duplicate_function, duplicate_schema. */
const ALREADY_EXISTS = new Set(["42710", "42P07", "42723", "42P06"]);

export function objectLabel(obj: SchemaObjectDoc): string {
  return `${obj.kind} ${obj.schema ? `${obj.schema}.` : ""}${obj.name}`;
}

/**
 * Runs one object's SQL. `mayExist`: the object is only a dependency of what is restored, and
 * one the target already has is fine (kept as it is).
 */
export async function applyObject(tx: Db, obj: SchemaObjectDoc, warnings: string[], opts: { mayExist?: boolean } = {}) {
  const label = objectLabel(obj);
  const guarded = ROLE_DEPENDENT_KINDS.has(obj.kind) || opts.mayExist;
  try {
    if (guarded && "savepoint" in tx) {
      await tx.savepoint((sp) => sp.unsafe(obj.sql).simple());
    } else {
      await tx.unsafe(obj.sql).simple();
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (ROLE_DEPENDENT_KINDS.has(obj.kind) && code === UNDEFINED_OBJECT) {
      warnings.push(`${label}: ${describeError(e)} — skipped`);
      return;
    }
    if (opts.mayExist && code !== undefined && ALREADY_EXISTS.has(code)) {
      warnings.push(`${label}: already in the target — kept as it is`);
      return;
    }
    throw new CofreError("RESTORE_FAILED", {
      "pt-BR": `A restauração falhou em ${label}: ${describeError(e)}. Nada foi gravado no banco de destino.`,
      en: `The restore failed at ${label}: ${describeError(e)}. Nothing was written to the target database.`,
    }, { details: { object: label, sqlstate: code }, cause: e });
  }
}
