/**
 * Restores of chosen tables (objectsForTables) and dumps that leave tables out (excludeTable):
 * each result applies cleanly to an empty Supabase-shaped database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { objectsForTables, type SchemaDump } from "../../packages/shared/src/sources/postgres/schema/mod.ts";
import { applyObjects, connectTo, dumpFrom, fixture, psqlFile, scratchName } from "./support.ts";

const SRC = scratchName("sel_src");
const DST = scratchName("sel_dst");
const SCHEMAS = ["public", "clinic_ext"];
let srcUrl = "";
let dump: SchemaDump;

beforeAll(async () => {
  srcUrl = await createScratchDb(SRC, { supabaseShape: true });
  psqlFile(srcUrl, fixture("all-objects.sql"));
  dump = await dumpFrom(srcUrl, { schemas: SCHEMAS });
});

afterAll(async () => {
  await dropScratchDb(SRC);
  await dropScratchDb(DST);
});

async function relationsIn(url: string): Promise<string[]> {
  const sql = connectTo(url);
  try {
    const rows = await sql.unsafe(
      `select n.nspname || '.' || c.relname as r from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('public', 'clinic_ext') and c.relkind in ('r', 'p', 'v', 'm')
          and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        order by 1`,
    );
    return rows.map((r) => r.r as string);
  } finally {
    await sql.end();
  }
}

describe("objectsForTables", () => {
  const cases: { tables: { schema: string; name: string }[]; relations: string[] }[] = [
    // Its types (domain over an enum, composite, citext), functions (default, CHECK, trigger),
    // identity sequence, policies; not the tables whose foreign keys point at it.
    { tables: [{ schema: "public", name: "patients" }], relations: ["public.patients"] },
    // A partition brings its partitioned parent (without the other partitions).
    { tables: [{ schema: "public", name: "visits_2025" }], relations: ["public.visits", "public.visits_2025"] },
    // Foreign keys to unselected tables are left out.
    { tables: [{ schema: "public", name: "appointments" }], relations: ["public.appointments"] },
    { tables: [{ schema: "clinic_ext", name: "audit_patients" }], relations: ["clinic_ext.audit_base", "clinic_ext.audit_patients"] },
    // The default split out of a dependency cycle comes along.
    { tables: [{ schema: "public", name: "invoices" }], relations: ["public.invoices"] },
    { tables: [{ schema: "clinic_ext", name: "Consultório São João" }], relations: ["clinic_ext.Consultório São João"] },
    // Both ends of a foreign key: it is kept.
    {
      tables: [
        { schema: "public", name: "appointments" },
        { schema: "public", name: "patients" },
      ],
      relations: ["public.appointments", "public.patients"],
    },
  ];

  for (const c of cases) {
    const label = c.tables.map((t) => `${t.schema}.${t.name}`).join(" + ");
    it(`applies ${label} alone to an empty database`, async () => {
      const objects = objectsForTables(dump, c.tables);
      const url = await createScratchDb(DST, { supabaseShape: true });
      await applyObjects(url, objects);
      expect(await relationsIn(url)).toEqual(c.relations);
      // Every object attached to a chosen table is there, except foreign keys to other tables.
      const chosen = new Set(objects.map((o) => o.id));
      const attached = dump.objects.filter((o) => c.tables.some((t) => t.schema === o.schema && t.name === o.table));
      const missing = attached.filter((o) => !chosen.has(o.id)).map((o) => o.id);
      expect(missing.every((id) => id.startsWith("FK CONSTRAINT|"))).toBe(true);
    });
  }

  it("keeps what a table needs and nothing attached to other tables", () => {
    const objects = objectsForTables(dump, [{ schema: "public", name: "patients" }]);
    const has = (kind: string, name: string) => objects.some((o) => o.kind === kind && o.name === name);
    expect(has("DOMAIN", "open_status")).toBe(true);
    expect(has("TYPE", "appointment_status")).toBe(true);
    expect(has("FUNCTION", "is_valid_cpf(text)")).toBe(true);
    expect(has("FUNCTION", "normalize_cpf(text)")).toBe(true);
    expect(has("FUNCTION", "touch_updated_at()")).toBe(true);
    expect(has("EXTENSION", "citext")).toBe(true);
    expect(has("POLICY", "Owners can read their patients")).toBe(true);
    expect(has("TABLE", "appointments")).toBe(false);
    expect(has("FK CONSTRAINT", "appointments_patient_id_fkey")).toBe(false);
    expect(objects.map((o) => o.id)).toEqual(dump.objects.filter((o) => objects.includes(o)).map((o) => o.id));
  });
});

describe("excludeTable", () => {
  it("leaves out a table with everything attached to it and, with a warning, what depends on it", async () => {
    const d = await dumpFrom(srcUrl, { schemas: SCHEMAS, excludeTable: (s, n) => s === "public" && n === "visits" });
    expect(d.objects.some((o) => o.schema === "public" && o.table === "visits")).toBe(false);
    const partitionObjects = ["2024", "2025", "2026", "default"].flatMap((p) => [
      `table public.visits_${p}`,
      `constraint public.visits_${p}_pkey`,
      `index public.visits_${p}_patient_id_idx`,
      `index attach public.visits_${p}_patient_id_idx`,
      `index attach public.visits_${p}_pkey`,
    ]);
    expect(d.warnings).toEqual(
      [
        "materialized view clinic_ext.busy_days",
        "materialized view clinic_ext.visit_counts",
        "materialized view data clinic_ext.busy_days",
        "materialized view data clinic_ext.visit_counts",
        "index clinic_ext.visit_counts_day",
        ...partitionObjects,
      ]
        .map((o) => `${o} left out: it depends on an excluded table`)
        .sort(),
    );
    const url = await createScratchDb(DST, { supabaseShape: true });
    await applyObjects(url, d.objects);
    const rels = await relationsIn(url);
    expect(rels).toContain("public.patients");
    expect(rels.filter((r) => r.includes("visit"))).toEqual([]);
  });
});
