/**
 * `--tables`: one table into an empty database, refused when it references an unselected
 * table the target lacks, completed by `--with-dependencies`, and checked against the
 * target's rows when the referenced table is already there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureBackup, rowsChecksum, withDb } from "./support.ts";

let fx: Awaited<ReturnType<typeof fixtureBackup>>;

beforeAll(async () => {
  fx = await fixtureBackup("tables");
});
afterAll(async () => fx?.cleanup());

const tablesIn = (url: string) =>
  withDb(url, async (sql) => (await sql<{ t: string }[]>`select tablename as t from pg_tables where schemaname = 'public' order by 1`).map((r) => r.t));

describe("restore of selected tables", () => {
  it("restores one table, and its sequence position, into an empty database", async () => {
    const url = await fx.scratch("one");
    const s = await fx.restore(url, { tables: ["public.procedures"] });
    expect(s.mode).toBe("tables");
    expect(s.tables).toBe(1);
    expect(await tablesIn(url)).toEqual(["procedures"]);
    expect(await rowsChecksum(url, "public.procedures")).toEqual(await rowsChecksum(fx.sourceUrl, "public.procedures"));
    // The serial's sequence continues after the restored ids.
    const [r] = await withDb(url, (sql) => sql`insert into public.procedures (code, price) values ('99999999', 1) returning id`);
    expect(Number(r!.id)).toBe(4);
  });

  it("refuses a table that references an unselected table the target lacks, naming both", async () => {
    const url = await fx.scratch("refuse");
    await expect(fx.restore(url, { tables: ["public.treatment_plan_items"] })).rejects.toMatchObject({
      code: "RESTORE_CONFLICT",
      message: expect.stringContaining("public.treatment_plan_items → public.treatment_plans"),
    });
    expect(await tablesIn(url)).toEqual([]);
  });

  it("adds the referenced tables with --with-dependencies", async () => {
    const url = await fx.scratch("deps");
    const s = await fx.restore(url, { tables: ["public.treatment_plan_items"], withDependencies: true });
    // clinic_members comes too, empty: the patients' RLS policy reads it — said in a warning.
    expect(await tablesIn(url)).toEqual(["clinic_members", "clinics", "patients", "procedures", "treatment_plan_items", "treatment_plans"]);
    expect(s.warnings.some((w) => w.startsWith("public.clinic_members: created without rows"))).toBe(true);
    expect((await rowsChecksum(url, "public.clinic_members")).rows).toBe(0);
    expect(s.tables).toBe(5);
    for (const t of ["public.treatment_plan_items", "public.treatment_plans", "public.patients"]) {
      expect(await rowsChecksum(url, t), t).toEqual(await rowsChecksum(fx.sourceUrl, t));
    }
  });

  it("uses referenced rows the target already has, and speaks up (with counts) when some are missing", async () => {
    const url = await fx.scratch("existing");
    await fx.restore(url, { tables: ["public.clinics", "public.patients"] });
    await fx.restore(url, { tables: ["public.appointments"] });
    expect(await rowsChecksum(url, "public.appointments")).toEqual(await rowsChecksum(fx.sourceUrl, "public.appointments"));

    const partial = await fx.scratch("partial");
    await fx.restore(partial, { tables: ["public.clinics", "public.patients"] });
    await withDb(partial, (sql) => sql`delete from public.patients where id in (1, 2)`);
    await expect(fx.restore(partial, { tables: ["public.appointments"] })).rejects.toMatchObject({
      code: "RESTORE_CONFLICT",
      details: { orphans: [{ constraint: "appointments_patient_id_fkey", rows: 6 }] },
    });
    expect(await tablesIn(partial)).toEqual(["clinic_members", "clinics", "patients"]);
  });

  it("refuses a selected table that already has rows in the target", async () => {
    const url = await fx.scratch("full");
    await fx.restore(url, { tables: ["public.procedures"] });
    await expect(fx.restore(url, { tables: ["public.procedures"] })).rejects.toMatchObject({ code: "RESTORE_TARGET_NOT_EMPTY" });
  });
});
