/**
 * The schema dump's promise: test/fixtures/all-objects.sql applied to a Supabase-shaped
 * database A, dumped with dumpSchema, and the dump applied object by object to an empty
 * Supabase-shaped database B, gives a B whose
 * `pg_dump --schema-only -n public -n clinic_ext -n Relatórios` equals A's.
 *
 * Normalisation of the pg_dump output: none. The one line that differs between two runs of
 * pg_dump 15.14+ (`\restrict <random key>`) is made equal by passing the same --restrict-key to
 * both runs; the `-- Dumped from/by` lines name the same server and client, so they are equal.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { dumpSchema, renderSql, RESTORE_PREAMBLE, type SchemaDump } from "../../packages/shared/src/sources/postgres/schema/mod.ts";
import { applyObjects, connectTo, dumpFrom, fixture, pgDumpSchema, psqlFile, scratchName } from "./support.ts";

const A = scratchName("rt_a");
const B = scratchName("rt_b");
const SCHEMAS = ["public", "clinic_ext", "Relatórios"];
let urlA = "";
let urlB = "";
let dump: SchemaDump;

beforeAll(async () => {
  urlA = await createScratchDb(A, { supabaseShape: true });
  urlB = await createScratchDb(B, { supabaseShape: true });
  psqlFile(urlA, fixture("all-objects.sql"));
  dump = await dumpFrom(urlA, { schemas: SCHEMAS });
});

afterAll(async () => {
  await dropScratchDb(A);
  await dropScratchDb(B);
});

describe("dumpSchema on the all-objects fixture", () => {
  it("reports the schemas, what the target must already have, and no warnings", () => {
    expect(dump.schemas).toEqual(["Relatórios", "clinic_ext", "public"].sort());
    expect(dump.serverVersion).toMatch(/^15\./);
    expect(dump.requires).toEqual(["function auth.uid()"]);
    expect(dump.warnings).toEqual([]);
  });

  it("restores into an empty Supabase-shaped database with an identical pg_dump --schema-only", async () => {
    await applyObjects(urlB, dump.objects);
    expect(pgDumpSchema(urlB, SCHEMAS)).toBe(pgDumpSchema(urlA, SCHEMAS));
  });

  it("populates the materialized views that were populated, and only those", async () => {
    const q = `select c.relname, c.relispopulated from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relkind = 'm' and n.nspname = 'clinic_ext' order by 1`;
    const a = connectTo(urlA);
    const b = connectTo(urlB);
    try {
      const rowsA = await a.unsafe(q);
      expect(rowsA.map((r) => [r.relname, r.relispopulated])).toEqual([
        ["busy_days", true],
        ["pending_report", false],
        ["visit_counts", true],
      ]);
      expect(await b.unsafe(q)).toEqual(rowsA);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("lists every dependency before its dependent, with unique ids", () => {
    const seen = new Set<string>();
    for (const o of dump.objects) {
      expect(seen.has(o.id)).toBe(false);
      for (const d of o.deps) expect(seen.has(d), `${o.id} needs ${d} first`).toBe(true);
      seen.add(o.id);
    }
  });

  it("puts pre-data first and the post-data kinds after it", () => {
    const firstPost = dump.objects.findIndex((o) => o.section === "post-data");
    expect(dump.objects.slice(firstPost).every((o) => o.section === "post-data")).toBe(true);
    const kindsIn = (section: string) => new Set(dump.objects.filter((o) => o.section === section).map((o) => o.kind));
    const post = kindsIn("post-data");
    for (const k of ["CONSTRAINT", "FK CONSTRAINT", "INDEX", "INDEX ATTACH", "TRIGGER", "RULE", "POLICY", "ROW SECURITY", "STATISTICS", "MATERIALIZED VIEW DATA", "DEFAULT ACL"]) {
      expect(post.has(k), k).toBe(true);
    }
    const pre = kindsIn("pre-data");
    for (const k of ["SCHEMA", "EXTENSION", "COLLATION", "TYPE", "DOMAIN", "FUNCTION", "PROCEDURE", "AGGREGATE", "SEQUENCE", "SEQUENCE OWNED BY", "TABLE", "DEFAULT", "VIEW", "MATERIALIZED VIEW", "COMMENT", "OWNER", "ACL"]) {
      expect(pre.has(k), k).toBe(true);
    }
  });

  it("orders by dependency: functions before the tables that use them, SQL-standard bodies after what they read", () => {
    const at = (kind: string, name: string) => {
      const i = dump.objects.findIndex((o) => o.kind === kind && o.name === name);
      expect(i, `${kind} ${name}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at("FUNCTION", "is_valid_cpf(text)")).toBeGreaterThan(at("FUNCTION", "normalize_cpf(text)"));
    expect(at("TABLE", "patients")).toBeGreaterThan(at("FUNCTION", "is_valid_cpf(text)"));
    expect(at("TABLE", "patients")).toBeGreaterThan(at("FUNCTION", "next_code()"));
    expect(at("VIEW", "Active Patient Names")).toBeGreaterThan(at("VIEW", "active_patients"));
    expect(at("FUNCTION", "active_count()")).toBeGreaterThan(at("VIEW", "Active Patient Names"));
    expect(at("TABLE", "visits_2025")).toBeGreaterThan(at("TABLE", "visits"));
    expect(at("MATERIALIZED VIEW DATA", "busy_days")).toBeGreaterThan(at("MATERIALIZED VIEW DATA", "visit_counts"));
    // The default that calls a BEGIN ATOMIC function reading its own table is set after both.
    expect(at("FUNCTION", "next_invoice_number()")).toBeGreaterThan(at("TABLE", "invoices"));
    expect(at("DEFAULT", "number")).toBeGreaterThan(at("FUNCTION", "next_invoice_number()"));
  });

  it("never emits an extension's member objects", () => {
    expect(dump.objects.some((o) => o.kind === "FUNCTION" && o.name.startsWith("gbt_"))).toBe(false);
    expect(dump.objects.some((o) => o.kind === "TYPE" && o.name === "citext")).toBe(false);
    expect(dump.objects.filter((o) => o.kind === "EXTENSION").map((o) => o.name)).toEqual(["btree_gist", "citext"]);
  });

  it("attaches table objects to their table, so a restore of chosen tables can pick them", () => {
    const ofPatients = new Set(dump.objects.filter((o) => o.schema === "public" && o.table === "patients").map((o) => `${o.kind} ${o.name}`));
    for (const k of ["TABLE patients", "CONSTRAINT patients_pkey", "CONSTRAINT patients_email_key", "TRIGGER patients_touch", "POLICY Owners can read their patients", "ROW SECURITY patients", "ACL TABLE patients", "OWNER patients", "COMMENT COLUMN patients.Full Name", "ACL SEQUENCE patients_id_seq"]) {
      expect(ofPatients.has(k), k).toBe(true);
    }
  });

  it("is deterministic and leaves the caller's session settings as they were", async () => {
    const sql = connectTo(urlA);
    try {
      const again = await sql.begin("isolation level repeatable read", async (tx) => {
        await tx.unsafe("set local search_path = public, extensions; set local datestyle = 'SQL, DMY'");
        const d = await dumpSchema(tx, { schemas: SCHEMAS });
        const [after] = await tx.unsafe("select current_setting('search_path') as sp, current_setting('DateStyle') as ds");
        return { d, after };
      });
      expect(again.after).toEqual({ sp: "public, extensions", ds: "SQL, DMY" });
      expect(again.d).toEqual(dump);
      // Outside a transaction it opens its own.
      expect(await dumpSchema(sql, { schemas: SCHEMAS })).toEqual(dump);
    } finally {
      await sql.end();
    }
  });

  it("renders pg_dump-style SQL with the preamble and a header per object", () => {
    const text = renderSql(dump);
    expect(text.startsWith("--\n-- Cofre schema dump\n")).toBe(true);
    expect(text).toContain(RESTORE_PREAMBLE);
    expect(text).toContain('--\n-- Name: patients; Type: TABLE; Schema: public\n--\n\nCREATE TABLE public.patients (');
    expect(text).toContain("-- Name: Owners can read their patients; Type: POLICY; Schema: public\n");
    const pre = renderSql(dump, "pre-data");
    expect(pre).not.toContain("Type: POLICY;");
    expect(pre).toContain("Type: TABLE;");
    const post = renderSql(dump, "post-data");
    expect(post).toContain("Type: POLICY;");
    expect(post).not.toContain("Type: TABLE;");
  });
});
