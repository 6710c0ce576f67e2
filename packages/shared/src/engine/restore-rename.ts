/**
 * Restoring a backup under another schema name: the schema dump's SQL names every object
 * outside pg_catalog schema-qualified (it is applied with an empty search_path), so renaming
 * is rewriting the qualified references to the old schema.
 *
 * Rewritten, in every object's SQL (DDL, function and view bodies, defaults, policies, grants):
 * - `old.` and `"old".` used as a qualifier, including inside string literals such as
 *   `nextval('public.patients_id_seq'::regclass)` and `'x'::public.status`;
 * - `SCHEMA old` / `SCHEMA "old"` (CREATE/COMMENT/GRANT … ON SCHEMA, IN SCHEMA);
 * - the schema's name as an element of a `search_path` setting on a line that sets it.
 *
 * Not rewritten (documented limits, docs/restore.md): names built at run time (`format('%I.%I',
 * 'public', t)`, `EXECUTE 'select … from ' || s`), a bare unqualified name resolved through a
 * caller's search_path, and any other text that happens to look like `old.` inside a string
 * (a comment's text that says "see public.x" is rewritten too).
 */

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Rewrites references to schema `from` into `to` in one SQL text (see the module comment). */
export function renameSchemaInSql(sql: string, from: string, to: string): string {
  const target = quoteIdent(to);
  const quotedFrom = `"${from.replaceAll('"', '""')}"`;
  const forms = [escapeRe(quotedFrom)];
  if (/^[a-z_][a-z0-9_$]*$/.test(from)) forms.push(escapeRe(from));
  const form = `(?:${forms.join("|")})`;
  // Qualifier: the name, not glued to a preceding identifier character, quote or dot, then ".".
  const qualifier = new RegExp(`(^|[^A-Za-z0-9_$".])${form}(?=\\.)`, "g");
  // After the SCHEMA keyword (ON SCHEMA x, IN SCHEMA x, CREATE SCHEMA x, COMMENT ON SCHEMA x).
  const afterSchema = new RegExp(`(\\bSCHEMA\\s+)${form}(?![A-Za-z0-9_$"])`, "gi");
  let out = sql.replace(qualifier, (_m, pre: string) => `${pre}${target}`).replace(afterSchema, (_m, pre: string) => `${pre}${target}`);
  // search_path settings: `SET search_path TO 'public', 'extensions'` / `search_path = public`.
  out = out.split("\n").map((line) => {
    if (!/search_path/i.test(line)) return line;
    return line.replace(new RegExp(`(['\\s,=])${form}(?=['\\s,;]|$)`, "g"), (m, pre: string, offset: number) => {
      const before = line.slice(0, offset + 1);
      return /search_path/i.test(before) ? `${pre}${target}` : m;
    });
  }).join("\n");
  return out;
}

/** A name as used for an object in the target: the renamed schema if it is the one renamed. */
export function renamedSchema(schema: string, rename: SchemaRename | null): string {
  return rename && schema === rename.from ? rename.to : schema;
}

export interface SchemaRename {
  from: string;
  to: string;
}
