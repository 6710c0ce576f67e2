/**
 * `--tenant clinic_id=<uuid>`: one clinic's rows, plus the rows they need (the clinic row,
 * the procedures its plan items use, its users) and the children without the tenant column
 * (plan items) — and nothing of the other clinic, proven by checksums of clinic B's rows
 * before and after. Tenant safety: a key that belongs to another clinic in the target, and
 * another clinic's row the target lacks, are refused (RESTORE_CONFLICT, tables and counts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLINIC_A, CLINIC_B, clinicChecksums, fixtureBackup, rowsChecksum, withDb } from "./support.ts";

let fx: Awaited<ReturnType<typeof fixtureBackup>>;
let backedUpA: Awaited<ReturnType<typeof clinicChecksums>>;

beforeAll(async () => {
  fx = await fixtureBackup("tenant");
  backedUpA = await clinicChecksums(fx.sourceUrl, CLINIC_A);
});
afterAll(async () => fx?.cleanup());

describe("tenant restore", () => {
  it("brings one clinic's deleted rows back into the live database without touching the other clinic", async () => {
    const live = fx.sourceUrl;
    // After the backup: clinic A loses its patients (cascading to appointments and plans);
    // clinic B keeps working (an edit and a new patient).
    await withDb(live, async (sql) => {
      await sql`delete from public.patients where clinic_id = ${CLINIC_A}`;
      await sql`update public.patients set notes = 'editado depois do backup' where clinic_id = ${CLINIC_B} and id = 1`;
      await sql`insert into public.patients (clinic_id, full_name) values (${CLINIC_B}, 'Paciente novo da B')`;
    });
    const bBefore = await clinicChecksums(live, CLINIC_B);
    const procBefore = await rowsChecksum(live, "public.procedures");
    expect((await clinicChecksums(live, CLINIC_A))["public.patients"]!.rows).toBe(0);

    const summary = await fx.restore(live, { tenant: `clinic_id=${CLINIC_A}` });
    expect(summary.mode).toBe("tenant");
    const byTable = Object.fromEntries(summary.changes!.map((c) => [c.table, c]));
    expect(byTable['"public"."patients"']!.insert).toBe(20);
    expect(byTable['"public"."treatment_plan_items"']!.insert).toBe(backedUpA["public.treatment_plan_items"]!.rows);
    expect(byTable['"public"."clinics"']?.insert ?? 0).toBe(0);

    // Clinic A is back exactly as backed up; clinic B and the shared catalogue are untouched.
    expect(await clinicChecksums(live, CLINIC_A)).toEqual(backedUpA);
    expect(await clinicChecksums(live, CLINIC_B)).toEqual(bBefore);
    expect(await rowsChecksum(live, "public.procedures")).toEqual(procBefore);
    // Sequences moved past the restored ids: a new patient does not collide.
    await withDb(live, (sql) => sql`insert into public.patients (clinic_id, full_name) values (${CLINIC_A}, 'Depois da restauração')`);
  });

  it("into an empty database: the schema, the clinic's rows and the parents they need, nothing of clinic B", async () => {
    const url = await fx.scratch("empty");
    const summary = await fx.restore(url, { tenant: `clinic_id=${CLINIC_A}` });
    expect(summary.rows).toBeGreaterThan(0);
    expect(await clinicChecksums(url, CLINIC_A)).toEqual(backedUpA);
    const b = await clinicChecksums(url, CLINIC_B);
    for (const [table, c] of Object.entries(b)) expect(c.rows, table).toBe(0);
    // Only the procedures clinic A's plan items use, and only clinic A's user.
    const used = await withDb(url, (sql) => sql`select count(distinct procedure_id)::int as n from public.treatment_plan_items`);
    expect((await rowsChecksum(url, "public.procedures")).rows).toBe(used[0]!.n);
    expect((await rowsChecksum(url, "auth.users")).rows).toBe(1);
  });

  it("speaks up when a tenant row exists with other values, naming the table and the count", async () => {
    const url = await fx.scratch("conflict");
    await fx.restore(url, { tenant: `clinic_id=${CLINIC_A}` });
    await withDb(url, (sql) => sql`update public.patients set notes = 'mudou' where clinic_id = ${CLINIC_A} and id in (2, 4)`);
    const before = await clinicChecksums(url, CLINIC_A);
    await expect(fx.restore(url, { tenant: `clinic_id=${CLINIC_A}` })).rejects.toMatchObject({
      code: "RESTORE_CONFLICT",
      details: { tables: [{ table: '"public"."patients"', rows: 2 }] },
    });
    expect(await clinicChecksums(url, CLINIC_A)).toEqual(before);
  });

  it("refuses keys that belong to another clinic in the target, directly or through a parent, and writes nothing", async () => {
    const url = await fx.scratch("moved");
    await fx.restore(url);
    // After the backup: patient 2 (clinic A's) moved to clinic B; one of clinic A's plan items
    // (no clinic_id column) moved under a plan of clinic B.
    await withDb(url, async (sql) => {
      await sql`update public.patients set clinic_id = ${CLINIC_B} where id = 2`;
      await sql`update public.treatment_plan_items set plan_id = (select min(id) from public.treatment_plans where clinic_id = ${CLINIC_B})
                 where id = (select min(i.id) from public.treatment_plan_items i join public.treatment_plans p on p.id = i.plan_id
                              where p.clinic_id = ${CLINIC_A})`;
    });
    const before = { a: await clinicChecksums(url, CLINIC_A), b: await clinicChecksums(url, CLINIC_B) };
    const err = await fx.restore(url, { tenant: `clinic_id=${CLINIC_A}` }).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({
      code: "RESTORE_CONFLICT",
      details: {
        reason: "cross-tenant-key",
        tables: [{ table: '"public"."patients"', rows: 1 }, { table: '"public"."treatment_plan_items"', rows: 1 }],
      },
    });
    // Tables and counts only: no row value in the message or the details.
    expect(JSON.stringify(err) + String((err as Error).message)).not.toMatch(/Paciente|São José|clinica-a/);
    expect({ a: await clinicChecksums(url, CLINIC_A), b: await clinicChecksums(url, CLINIC_B) }).toEqual(before);
  });

  it("refuses to re-create another clinic's rows this clinic references, unless --recreate-other-tenant-parents", async () => {
    // In this backup one of clinic A's appointments is for patient 1, a patient of clinic B.
    const fx2 = await fixtureBackup("tenant_xref", `insert into public.appointments (clinic_id, patient_id, starts_at)
      values ('${CLINIC_A}', 1, '2025-07-01T09:00:00Z')`);
    try {
      const url = await fx2.scratch("empty");
      await expect(fx2.restore(url, { tenant: `clinic_id=${CLINIC_A}` })).rejects.toMatchObject({
        code: "RESTORE_CONFLICT",
        details: { reason: "other-tenant-parents", tables: [{ table: '"public"."patients"', rows: 1 }] },
      });
      // Nothing was written, not even the schema (one transaction).
      expect(await withDb(url, (sql) => sql`select to_regclass('public.patients') is null as absent`)).toEqual([{ absent: true }]);

      const summary = await fx2.restore(url, { tenant: `clinic_id=${CLINIC_A}`, recreateOtherTenantParents: true });
      expect(summary.warnings.some((w) => w.startsWith('"public"."patients": 1 row(s) of another clinic_id'))).toBe(true);
      expect(await withDb(url, (sql) => sql`select id::int, clinic_id::text from public.patients where clinic_id = ${CLINIC_B}`))
        .toEqual([{ id: 1, clinic_id: CLINIC_B }]);
    } finally {
      await fx2.cleanup();
    }
  });

  it("refuses a tenant column no table has", async () => {
    const url = await fx.scratch("badcol");
    await expect(fx.restore(url, { tenant: `tenant_id=${CLINIC_A}` })).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});
