/**
 * A whole restore into a new schema beside the original (names in DDL, defaults, function
 * and view bodies, policies and grants rewritten), and the Supabase grants (anon,
 * authenticated, service_role) kept by a restore into a Supabase-shaped project.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renameSchemaInSql } from "@cofre/shared/engine/restore-rename.ts";
import { fixtureBackup, rowsChecksum, withDb } from "./support.ts";

let fx: Awaited<ReturnType<typeof fixtureBackup>>;

beforeAll(async () => {
  fx = await fixtureBackup("schema");
});
afterAll(async () => fx?.cleanup());

const API_ROLES = ["anon", "authenticated", "service_role"];

/** Table, sequence and function privileges of the API roles in `schema`, schema name left out. */
function privileges(url: string, schema: string) {
  return withDb(url, async (sql) => {
    const tables = await sql<{ g: string }[]>`
      select grantee || ' ' || privilege_type || ' on ' || table_name as g from information_schema.role_table_grants
       where table_schema = ${schema} and grantee = any(${API_ROLES}) order by 1`;
    const routines = await sql<{ g: string }[]>`
      select grantee || ' EXECUTE on ' || routine_name as g from information_schema.role_routine_grants
       where routine_schema = ${schema} and grantee = any(${API_ROLES}) order by 1`;
    const seqs = await sql<{ g: string }[]>`
      select c.relname || ' ' || coalesce(array_to_string(c.relacl, ','), '') as g from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = ${schema} and c.relkind = 'S' order by 1`;
    return [...tables, ...routines, ...seqs].map((r) => r.g);
  });
}

describe("restore under a new schema name", () => {
  it("rewrites qualified names, not look-alikes", () => {
    const sql = `CREATE VIEW public.v AS SELECT p.id FROM public.patients p WHERE p.x = 'public'::text;
ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT nextval('public.t_id_seq'::regclass);
GRANT USAGE ON SCHEMA public TO anon; REVOKE ALL ON FUNCTION public.f() FROM PUBLIC;
CREATE FUNCTION public.g() RETURNS int LANGUAGE sql SET search_path TO 'public', 'extensions' AS $$ select my_public.x from "public".y $$;`;
    expect(renameSchemaInSql(sql, "public", "restored")).toBe(`CREATE VIEW restored.v AS SELECT p.id FROM restored.patients p WHERE p.x = 'public'::text;
ALTER TABLE ONLY restored.t ALTER COLUMN id SET DEFAULT nextval('restored.t_id_seq'::regclass);
GRANT USAGE ON SCHEMA restored TO anon; REVOKE ALL ON FUNCTION restored.f() FROM PUBLIC;
CREATE FUNCTION restored.g() RETURNS int LANGUAGE sql SET search_path TO 'restored', 'extensions' AS $$ select my_public.x from restored.y $$;`);
  });

  it("restores the whole backup beside the original schema, in the live database", async () => {
    const live = fx.sourceUrl;
    const s = await fx.restore(live, { intoSchema: "public_restored" });
    expect(s.mode).toBe("whole");
    for (const t of ["patients", "appointments", "treatment_plan_items", "procedures"]) {
      expect(await rowsChecksum(live, `public_restored.${t}`), t).toEqual(await rowsChecksum(live, `public.${t}`));
    }
    // auth.users rows are already there: not loaded twice, said in a warning.
    expect(s.warnings.some((w) => w.includes("auth.users"))).toBe(true);
    await withDb(live, async (sql) => {
      // Defaults, functions, views and triggers point at the new schema's objects.
      const [p] = await sql`insert into public_restored.patients (clinic_id, full_name) values ('0a000000-0000-4000-8000-00000000000a', 'Novo') returning id, updated_at`;
      expect(Number(p!.id)).toBe(41);
      const [c] = await sql`select public_restored.patient_count('0a000000-0000-4000-8000-00000000000a') as n`;
      expect(Number(c!.n)).toBe(21);
      const [v] = await sql`select count(*)::int as n from public_restored.patient_overview`;
      expect(v!.n).toBe(41);
      const [d] = await sql`select pg_get_viewdef('public_restored.patient_overview'::regclass) as def`;
      expect(d!.def).not.toContain("public.");
      const [t] = await sql`select count(*)::int as n from pg_policies where schemaname = 'public_restored'`;
      expect(t!.n).toBe(1);
    });
    // The original is untouched; grants follow the new names.
    expect(await privileges(live, "public_restored")).toEqual(await privileges(live, "public"));
  });

  it("refuses a new schema name that already holds tables", async () => {
    await expect(fx.restore(fx.sourceUrl, { intoSchema: "public" })).rejects.toMatchObject({ code: "RESTORE_TARGET_NOT_EMPTY" });
  });
});

describe("Supabase grants", () => {
  it("after a restore into a Supabase-shaped project, anon/authenticated/service_role have the source's privileges", async () => {
    const url = await fx.scratch("grants");
    await fx.restore(url);
    const source = await privileges(fx.sourceUrl, "public");
    expect(source.some((g) => g.startsWith("anon SELECT on procedures"))).toBe(true);
    expect(source.some((g) => g.startsWith("authenticated EXECUTE on patient_count"))).toBe(true);
    expect(await privileges(url, "public")).toEqual(source);
  });
});
