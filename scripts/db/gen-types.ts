/**
 * `npx tsx scripts/db/gen-types.ts` — writes packages/shared/src/db/database.types.ts: the
 * TypeScript types of Cofre's API schema (`cofre`) read from the catalogs of the migrated stack
 * database, in the shape `supabase gen types typescript` (postgres-meta's typescript template)
 * produces, so supabase-js clients can be typed with it:
 *
 *   Database → cofre → Tables { <table>: { Row, Insert, Update, Relationships } }, Views,
 *   Functions { <fn>: { Args, Returns } }, Enums, CompositeTypes; plus `Json`, the helper
 *   generics and `Constants`.
 *
 * Mapping (postgres-meta's pgTypeToTsType): bool → boolean; int2/4/8, float4/8, numeric →
 * number; text-like, uuid, date/time types, bytea → string; json/jsonb → Json; void →
 * undefined; record → Record<string, unknown>; arrays → (T)[]; enums → Database["cofre"]["Enums"][…];
 * a table's row type → its Row; anything else (interval…) → unknown. Insert makes nullable,
 * defaulted and identity columns optional; identity ALWAYS and generated columns are `?: never`.
 * Functions: every function of the schema whose input arguments are all named (or one unnamed);
 * each signature `{ Args; Returns }` with arguments and `returns table` columns sorted by name,
 * `?` on arguments with defaults (`Args: never` without any); `returns table`/a table's row type
 * → an object, `[]` when set-returning with more than one row expected (prorows > 1), plus
 * `SetofOptions { from: "*", to, isOneToOne, isSetofReturn }` for a table's row type; overloads
 * as a union of signatures.
 * After `Database`, the helper generics the CLI emits, verbatim: `DatabaseWithoutInternals`,
 * `DefaultSchema` (the `public` schema, absent here, so it is `never` and callers name the schema:
 * `Tables<{ schema: "cofre" }, "runs">`), `Tables`, `TablesInsert`, `TablesUpdate`, `Enums`,
 * `CompositeTypes`, then `Constants` (postgres-meta src/server/templates/typescript.ts; current
 * CLI output: no-argument functions have `Args: never`).
 * Differences from the CLI: only schema `cofre` is emitted (public belongs to the host app; like
 * `supabase gen types typescript --schema cofre`), no `__InternalSupabase` block (the CLI adds it
 * only when told the PostgREST version), and the text is laid out by this script rather than by
 * prettier (same tokens, line breaks may differ).
 *
 * `--check` regenerates in memory and exits 1 if the file differs (test/db/types-drift.test.ts
 * does the same inside `npm test`).
 */
import postgres from "postgres";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { readEnvFile } from "../stack/env.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const TYPES_FILE = join(ROOT, "packages", "shared", "src", "db", "database.types.ts");
export const TYPES_COMMAND = "npx tsx scripts/db/gen-types.ts";
const SCHEMA = "cofre";

interface Column {
  table: string; name: string; type: string; type_schema: string; not_null: boolean; has_default: boolean;
  identity: string; generated: string;
}
interface Relationship {
  table: string; name: string; columns: string[]; referenced: string; referenced_columns: string[]; one_to_one: boolean;
}
interface Arg { name: string; mode: string; type: string; type_schema: string; has_default: boolean }
interface Fn {
  name: string; args: Arg[]; returns_set: boolean; return_type: string; return_type_schema: string; return_relation: string | null;
  /** pg_proc.prorows: the planner's row estimate; > 1 means "returns multiple rows" to postgres-meta. */
  rows: number;
}

async function readCatalog(sql: postgres.Sql) {
  const tables = (await sql<{ name: string }[]>`
    select c.relname as name from pg_class c
     where c.relnamespace = ${SCHEMA}::regnamespace and c.relkind in ('r', 'p', 'f') order by 1`).map((t) => t.name);
  const views = (await sql<{ name: string }[]>`
    select c.relname as name from pg_class c
     where c.relnamespace = ${SCHEMA}::regnamespace and c.relkind in ('v', 'm') order by 1`).map((t) => t.name);
  const columns = await sql<Column[]>`
    select c.relname as table, a.attname as name, t.typname as type, tn.nspname as type_schema,
           a.attnotnull as not_null, a.atthasdef as has_default, a.attidentity::text as identity,
           a.attgenerated::text as generated
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_type t on t.oid = a.atttypid
      join pg_namespace tn on tn.oid = t.typnamespace
     where c.relnamespace = ${SCHEMA}::regnamespace and c.relkind in ('r', 'p', 'f', 'v', 'm')
       and a.attnum > 0 and not a.attisdropped
     order by c.relname, a.attname`;
  const relationships = await sql<Relationship[]>`
    select c.relname as table, k.conname as name,
           array(select a.attname from unnest(k.conkey) with ordinality u(n, i)
                   join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i)::text[] as columns,
           f.relname as referenced,
           array(select a.attname from unnest(k.confkey) with ordinality u(n, i)
                   join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i)::text[] as referenced_columns,
           exists (select 1 from pg_constraint u where u.conrelid = k.conrelid and u.contype in ('p', 'u')
                     and (select array_agg(x order by x) from unnest(u.conkey) x) = (select array_agg(x order by x) from unnest(k.conkey) x))
             as one_to_one
      from pg_constraint k
      join pg_class c on c.oid = k.conrelid
      join pg_class f on f.oid = k.confrelid
     where k.contype = 'f' and c.relnamespace = ${SCHEMA}::regnamespace and f.relnamespace = ${SCHEMA}::regnamespace
     order by c.relname, k.conname`;
  const procs = await sql<{
    name: string; returns_set: boolean; return_type: string; return_type_schema: string; return_relation: string | null;
    rows: number; arg_names: string[] | null; arg_modes: string[] | null; arg_types: string[]; arg_type_schemas: string[]; n_defaults: number;
  }[]>`
    select p.proname as name, p.proretset as returns_set, p.prorows::float8 as rows, rt.typname as return_type, rtn.nspname as return_type_schema,
           (select r.relname from pg_class r where r.oid = rt.typrelid and r.relkind in ('r', 'p', 'v', 'm')
              and r.relnamespace = ${SCHEMA}::regnamespace) as return_relation,
           p.proargnames::text[] as arg_names, p.proargmodes::text[] as arg_modes,
           array(select t.typname from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality a(typ, i)
                   join pg_type t on t.oid = a.typ order by a.i)::text[] as arg_types,
           array(select n.nspname from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality a(typ, i)
                   join pg_type t on t.oid = a.typ join pg_namespace n on n.oid = t.typnamespace order by a.i)::text[] as arg_type_schemas,
           p.pronargdefaults::int as n_defaults
      from pg_proc p
      join pg_type rt on rt.oid = p.prorettype
      join pg_namespace rtn on rtn.oid = rt.typnamespace
     where p.pronamespace = ${SCHEMA}::regnamespace and p.prokind = 'f'
     order by p.proname, p.oid`;
  const MODES: Record<string, string> = { i: "in", o: "out", b: "inout", v: "variadic", t: "table" };
  const fns: Fn[] = procs.map((p) => {
    const modes = p.arg_types.map((_, i) => MODES[p.arg_modes?.[i] ?? "i"]!);
    const inputs = modes.map((m, i) => (["in", "inout", "variadic"].includes(m) ? i : -1)).filter((i) => i >= 0);
    // Defaults belong to the last pronargdefaults input arguments.
    const defaulted = new Set(inputs.slice(inputs.length - p.n_defaults));
    return {
      name: p.name, returns_set: p.returns_set, return_type: p.return_type, return_type_schema: p.return_type_schema,
      return_relation: p.return_relation, rows: p.rows,
      args: p.arg_types.map((type, i) => ({
        name: p.arg_names?.[i] ?? "", mode: modes[i]!, type, type_schema: p.arg_type_schemas[i]!, has_default: defaulted.has(i),
      })),
    };
  });
  const enums = await sql<{ name: string; labels: string[] }[]>`
    select t.typname as name, array_agg(e.enumlabel order by e.enumsortorder)::text[] as labels
      from pg_type t join pg_enum e on e.enumtypid = t.oid
     where t.typnamespace = ${SCHEMA}::regnamespace group by t.typname order by 1`;
  return { tables, views, columns, relationships, fns, enums };
}

type Catalog = Awaited<ReturnType<typeof readCatalog>>;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Object keys as prettier prints them (quoteProps "as-needed"). */
const key = (k: string) => (IDENT.test(k) ? k : JSON.stringify(k));

function tsType(type: string, typeSchema: string, cat: Catalog): string {
  if (type === "bool") return "boolean";
  if (["int2", "int4", "int8", "float4", "float8", "numeric"].includes(type)) return "number";
  if (["bytea", "bpchar", "varchar", "date", "text", "citext", "time", "timetz", "timestamp", "timestamptz", "uuid", "vector"].includes(type)) {
    return "string";
  }
  if (type === "json" || type === "jsonb") return "Json";
  if (type === "void") return "undefined";
  if (type === "record") return "Record<string, unknown>";
  if (type.startsWith("_")) {
    // Parenthesised only where prettier keeps the parentheses (a union).
    const inner = tsType(type.slice(1), typeSchema, cat);
    return inner.includes("|") ? `(${inner})[]` : `${inner}[]`;
  }
  if (typeSchema === SCHEMA && cat.enums.some((e) => e.name === type)) return `Database[${JSON.stringify(SCHEMA)}]["Enums"][${JSON.stringify(type)}]`;
  if (typeSchema === SCHEMA && cat.tables.includes(type)) return `Database[${JSON.stringify(SCHEMA)}]["Tables"][${JSON.stringify(type)}]["Row"]`;
  if (typeSchema === SCHEMA && cat.views.includes(type)) return `Database[${JSON.stringify(SCHEMA)}]["Views"][${JSON.stringify(type)}]["Row"]`;
  return "unknown";
}

/** Lays out nested blocks with two-space indentation. */
class Out {
  readonly lines: string[] = [];
  private depth = 0;
  line(s: string) {
    this.lines.push(s === "" ? "" : "  ".repeat(this.depth) + s);
  }
  open(s: string) {
    this.line(s);
    this.depth++;
  }
  close(s = "}") {
    this.depth--;
    this.line(s);
  }
}

/**
 * The helper generics `supabase gen types typescript` appends after `Database`, as the CLI prints
 * them (postgres-meta's template after prettier). They do not depend on the schema.
 */
const HELPER_GENERICS = `type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never`;

function union(labels: string[]): string {
  return labels.map((l) => JSON.stringify(l)).join(" | ");
}

export function renderTypes(cat: Catalog): string {
  const o = new Out();
  o.line("// Generated by `" + TYPES_COMMAND + "` from the migrated database. Do not edit.");
  o.line("export type Json =");
  for (const t of ["string", "number", "boolean", "null", "{ [key: string]: Json | undefined }", "Json[]"]) o.line(`  | ${t}`);
  o.line("");
  o.open("export type Database = {");
  o.open(`${key(SCHEMA)}: {`);

  const colsOf = (rel: string) => cat.columns.filter((c) => c.table === rel);
  const rowLine = (c: Column) => `${key(c.name)}: ${tsType(c.type, c.type_schema, cat)}${c.not_null ? "" : " | null"}`;

  o.open("Tables: {");
  if (cat.tables.length === 0) o.line("[_ in never]: never");
  for (const t of cat.tables) {
    o.open(`${key(t)}: {`);
    o.open("Row: {");
    for (const c of colsOf(t)) o.line(rowLine(c));
    o.close();
    for (const part of ["Insert", "Update"] as const) {
      o.open(`${part}: {`);
      for (const c of colsOf(t)) {
        if (c.identity === "a" || c.generated === "s") {
          o.line(`${key(c.name)}?: never`);
          continue;
        }
        const optional = part === "Update" || !c.not_null || c.identity !== "" || c.has_default;
        o.line(`${key(c.name)}${optional ? "?" : ""}: ${tsType(c.type, c.type_schema, cat)}${c.not_null ? "" : " | null"}`);
      }
      o.close();
    }
    const rels = cat.relationships.filter((r) => r.table === t)
      .sort((a, b) => a.name.localeCompare(b.name) || a.referenced.localeCompare(b.referenced));
    if (rels.length === 0) {
      o.line("Relationships: []");
    } else {
      o.open("Relationships: [");
      for (const r of rels) {
        o.open("{");
        o.line(`foreignKeyName: ${JSON.stringify(r.name)}`);
        o.line(`columns: ${JSON.stringify(r.columns).replaceAll(",", ", ")}`);
        o.line(`isOneToOne: ${r.one_to_one}`);
        o.line(`referencedRelation: ${JSON.stringify(r.referenced)}`);
        o.line(`referencedColumns: ${JSON.stringify(r.referenced_columns).replaceAll(",", ", ")}`);
        o.close("},");
      }
      o.close("]");
    }
    o.close();
  }
  o.close();

  o.open("Views: {");
  if (cat.views.length === 0) o.line("[_ in never]: never");
  for (const v of cat.views) {
    o.open(`${key(v)}: {`);
    o.open("Row: {");
    for (const c of colsOf(v)) o.line(rowLine(c));
    o.close();
    o.line("Relationships: []");
    o.close();
  }
  o.close();

  o.open("Functions: {");
  const fns = cat.fns.filter((f) => {
    const inArgs = f.args.filter((a) => ["in", "inout", "variadic"].includes(a.mode));
    return !inArgs.some((a) => a.name === "") || inArgs.length === 1;
  });
  if (fns.length === 0) o.line("[_ in never]: never");
  const names = [...new Set(fns.map((f) => f.name))].sort((a, b) => a.localeCompare(b));
  // One signature as the current template prints it: Args and `returns table` columns sorted by
  // name; `[]` when set-returning with more than one row expected; SetofOptions when the function
  // returns a table's row type (supabase-js uses it to type `.rpc(...).select(...)`).
  const signature = (f: Fn) => {
    const args = f.args.filter((a) => a.mode === "in").sort((a, b) => a.name.localeCompare(b.name));
    if (args.length === 0) {
      o.line("Args: never");
    } else {
      o.open("Args: {");
      for (const a of args) o.line(`${key(a.name)}${a.has_default ? "?" : ""}: ${tsType(a.type, a.type_schema, cat)}`);
      o.close();
    }
    const many = f.returns_set && f.rows > 1;
    const suffix = many ? "[]" : "";
    const tableCols = f.args.filter((a) => a.mode === "table").sort((a, b) => a.name.localeCompare(b.name));
    if (tableCols.length > 0 || f.return_relation) {
      o.open("Returns: {");
      if (tableCols.length > 0) {
        for (const a of tableCols) o.line(`${key(a.name)}: ${tsType(a.type, a.type_schema, cat)}`);
      } else {
        for (const c of colsOf(f.return_relation!)) o.line(rowLine(c));
      }
      o.close(`}${suffix}`);
    } else {
      o.line(`Returns: ${tsType(f.return_type, f.return_type_schema, cat)}${suffix}`);
    }
    if (f.return_relation) {
      o.open("SetofOptions: {");
      o.line('from: "*"');
      o.line(`to: ${JSON.stringify(f.return_relation)}`);
      o.line(`isOneToOne: ${!many}`);
      o.line(`isSetofReturn: ${f.returns_set}`);
      o.close();
    }
  };
  for (const name of names) {
    const overloads = fns.filter((f) => f.name === name);
    if (overloads.length === 1) {
      o.open(`${key(name)}: {`);
      signature(overloads[0]!);
      o.close();
      continue;
    }
    // Overloads: a union of whole signatures.
    o.open(`${key(name)}:`);
    for (const f of overloads) {
      o.open("| {");
      signature(f);
      o.close();
    }
    o.close("");
    o.lines.pop();
  }
  o.close();

  o.open("Enums: {");
  if (cat.enums.length === 0) o.line("[_ in never]: never");
  for (const e of cat.enums) {
    const one = `${key(e.name)}: ${union(e.labels)}`;
    if (one.length + 6 <= 80) {
      o.line(one);
    } else {
      o.open(`${key(e.name)}:`);
      for (const l of e.labels) o.line(`| ${JSON.stringify(l)}`);
      o.close("");
      o.lines.pop();
    }
  }
  o.close();
  o.open("CompositeTypes: {");
  o.line("[_ in never]: never");
  o.close();
  o.close();
  o.close();
  o.line("");
  o.lines.push(HELPER_GENERICS);
  o.line("");
  o.open("export const Constants = {");
  o.open(`${key(SCHEMA)}: {`);
  o.open("Enums: {");
  for (const e of cat.enums) o.line(`${key(e.name)}: [${e.labels.map((l) => JSON.stringify(l)).join(", ")}],`);
  o.close("},");
  o.close("},");
  o.close("} as const");
  return `${o.lines.join("\n")}\n`;
}

/** The types of the database at `url` (default: the stack's DATABASE_URL). */
export async function generateDatabaseTypes(url = readEnvFile().DATABASE_URL): Promise<string> {
  if (!url) throw new Error("the local stack is not running: `npm run stack:up`");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return renderTypes(await readCatalog(sql));
  } finally {
    await sql.end();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const text = await generateDatabaseTypes();
  if (process.argv.includes("--check")) {
    const current = readFileSync(TYPES_FILE, "utf8");
    if (current !== text) {
      console.error(`${TYPES_FILE} is out of date: run \`${TYPES_COMMAND}\``);
      process.exit(1);
    }
    console.log("database types are current");
  } else {
    writeFileSync(TYPES_FILE, text);
    console.log(`wrote ${TYPES_FILE}`);
  }
}
