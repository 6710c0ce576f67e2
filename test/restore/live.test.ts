/**
 * Restore into the live database after a dry run: the dry run reports per table the rows it
 * would insert, update and delete and writes nothing; `apply` with the dry run's id writes
 * exactly that (checked against the rows themselves), and refuses when the database changed
 * in between; tables without a primary key are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLINIC_A, CLINIC_B, clinicChecksums, fixtureBackup, rowsChecksum, withDb } from "./support.ts";

let fx: Awaited<ReturnType<typeof fixtureBackup>>;
const SCOPE = ["public.patients", "public.appointments"];

beforeAll(async () => {
  fx = await fixtureBackup("live");
});
afterAll(async () => fx?.cleanup());

const byTable = (changes: { table: string; insert: number; update: number; delete: number }[]) =>
  Object.fromEntries(changes.map((c) => [c.table, { insert: c.insert, update: c.update, delete: c.delete }]));

describe("live restore with a dry run", () => {
  it("reports per table, writes nothing, then applies exactly what it reported", async () => {
    const live = await fx.scratch("target");
    await fx.restore(live);
    const backedUp = { patients: await rowsChecksum(live, "public.patients"), appointments: await rowsChecksum(live, "public.appointments") };
    // Drift: 3 patients deleted (with their 9 appointments), 2 edited, 1 added with 1 appointment.
    await withDb(live, async (sql) => {
      await sql`delete from public.patients where id in (1, 2, 3)`;
      await sql`update public.patients set notes = 'editado' where id in (10, 11)`;
      const [p] = await sql`insert into public.patients (clinic_id, full_name) values (${CLINIC_A}, 'Paciente novo') returning id`;
      await sql`insert into public.appointments (clinic_id, patient_id, starts_at) values (${CLINIC_A}, ${p!.id}, now())`;
    });
    const drifted = await rowsChecksum(live, "public.patients");

    const dry = await fx.restore(live, { tables: SCOPE, dryRun: true });
    expect(dry.applied).toBe(false);
    expect(dry.dryRunId).toMatch(/^dr-[0-9a-f]{32}$/);
    expect(byTable(dry.changes!)).toEqual({
      '"public"."patients"': { insert: 3, update: 2, delete: 1 },
      '"public"."appointments"': { insert: 9, update: 0, delete: 1 },
    });
    expect(await rowsChecksum(live, "public.patients")).toEqual(drifted);

    // The same dry run again gives the same id (it is a function of the difference).
    expect((await fx.restore(live, { tables: SCOPE, dryRun: true })).dryRunId).toBe(dry.dryRunId);

    const applied = await fx.restore(live, { tables: SCOPE, apply: dry.dryRunId });
    expect(applied.applied).toBe(true);
    expect(byTable(applied.changes!)).toEqual(byTable(dry.changes!));
    expect(applied.rows).toBe(3 + 2 + 1 + 9 + 1);
    // What was applied is what was reported: the tables are now the backup's rows exactly
    // (the updated_at trigger did not fire on the 2 updated rows).
    expect(await rowsChecksum(live, "public.patients")).toEqual(backedUp.patients);
    expect(await rowsChecksum(live, "public.appointments")).toEqual(backedUp.appointments);
    // Nothing left to do.
    const after = await fx.restore(live, { tables: SCOPE, dryRun: true });
    expect(after.changes!.every((c) => c.insert + c.update + c.delete === 0)).toBe(true);
  });

  it("refuses to apply when the database changed after the dry run", async () => {
    const live = await fx.scratch("changed");
    await fx.restore(live);
    await withDb(live, (sql) => sql`update public.patients set notes = 'x' where id = 5`);
    const dry = await fx.restore(live, { tables: ["public.patients"], dryRun: true });
    await withDb(live, (sql) => sql`update public.patients set notes = 'y' where id = 6`);
    const before = await rowsChecksum(live, "public.patients");
    await expect(fx.restore(live, { tables: ["public.patients"], apply: dry.dryRunId })).rejects.toMatchObject({
      code: "RESTORE_CONFLICT", details: { dryRunId: dry.dryRunId },
    });
    expect(await rowsChecksum(live, "public.patients")).toEqual(before);
  });

  it("scopes a merge to one tenant: the other clinic's rows are not touched", async () => {
    const live = await fx.scratch("tenant");
    await fx.restore(live);
    await withDb(live, async (sql) => {
      await sql`update public.patients set notes = 'A mudou' where clinic_id = ${CLINIC_A} and id = 2`;
      await sql`update public.patients set notes = 'B mudou' where clinic_id = ${CLINIC_B} and id = 1`;
    });
    const b = await clinicChecksums(live, CLINIC_B);
    // audit_log has clinic A's rows but no primary key: a merge over every table is refused…
    await expect(fx.restore(live, { tenant: `clinic_id=${CLINIC_A}`, dryRun: true })).rejects.toMatchObject({
      code: "RESTORE_CONFLICT", details: { tables: ['"public"."audit_log"'] },
    });
    // … so the scope leaves it out.
    const tables = ["clinics", "clinic_members", "procedures", "patients", "appointments", "treatment_plans", "treatment_plan_items"].map((t) => `public.${t}`);
    const dry = await fx.restore(live, { tenant: `clinic_id=${CLINIC_A}`, tables, dryRun: true });
    const changed = dry.changes!.filter((c) => c.insert + c.update + c.delete > 0);
    expect(byTable(changed)).toEqual({ '"public"."patients"': { insert: 0, update: 1, delete: 0 } });
    await fx.restore(live, { tenant: `clinic_id=${CLINIC_A}`, tables, apply: dry.dryRunId });
    expect(await clinicChecksums(live, CLINIC_B)).toEqual(b);
    expect(await clinicChecksums(live, CLINIC_A)).toEqual(await clinicChecksums(fx.sourceUrl, CLINIC_A));
  });

  it("a tenant merge refuses a key that moved to another clinic: dry run and apply, nothing written", async () => {
    const live = await fx.scratch("moved");
    await fx.restore(live);
    const tables = ["clinics", "clinic_members", "procedures", "patients", "appointments", "treatment_plans", "treatment_plan_items"].map((t) => `public.${t}`);
    const earlier = await fx.restore(live, { tenant: `clinic_id=${CLINIC_A}`, tables, dryRun: true });
    // Patient 2 (clinic A's in the backup) now belongs to clinic B.
    await withDb(live, (sql) => sql`update public.patients set clinic_id = ${CLINIC_B}, notes = 'transferido' where id = 2`);
    const before = await rowsChecksum(live, "public.patients");
    const crossTenant = { code: "RESTORE_CONFLICT", details: { reason: "cross-tenant-key", tables: [{ table: '"public"."patients"', rows: 1 }] } };
    await expect(fx.restore(live, { tenant: `clinic_id=${CLINIC_A}`, tables, dryRun: true })).rejects.toMatchObject(crossTenant);
    await expect(fx.restore(live, { tenant: `clinic_id=${CLINIC_A}`, tables, apply: earlier.dryRunId })).rejects.toMatchObject(crossTenant);
    expect(await rowsChecksum(live, "public.patients")).toEqual(before);
    expect(await withDb(live, (sql) => sql`select clinic_id::text from public.patients where id = 2`)).toEqual([{ clinic_id: CLINIC_B }]);
  });

  it("refuses tables without a primary key, naming them", async () => {
    const live = await fx.scratch("nopk");
    await fx.restore(live);
    await expect(fx.restore(live, { tables: ["public.audit_log"], dryRun: true })).rejects.toMatchObject({
      code: "RESTORE_CONFLICT", details: { tables: ['"public"."audit_log"'] },
    });
  });
});
