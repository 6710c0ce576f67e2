/**
 * Partial restores of a chain (full → incremental): the change sets are applied to the
 * staged rows before a tenant's rows are picked, and to the selected tables — so what comes
 * back is the source at the incremental's point.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "@cofre/shared/engine/backup.ts";
import { CLINIC_A, CLINIC_B, clinicChecksums, fixtureBackup, rowsChecksum, withDb } from "./support.ts";

let fx: Awaited<ReturnType<typeof fixtureBackup>>;
let incrementalId = "";
let fullId = "";

beforeAll(async () => {
  fx = await fixtureBackup("chain");
  fullId = (await runBackup({ sourceUrl: fx.sourceUrl, destination: fx.destination, schemas: ["public"], capture: true })).backupId;
  await withDb(fx.sourceUrl, async (sql) => {
    await sql`delete from public.patients where id = 2`;
    await sql`update public.patients set notes = 'depois do full' where id in (4, 5)`;
    await sql`insert into public.patients (clinic_id, full_name) values (${CLINIC_A}, 'Paciente da incremental')`;
    await sql`insert into public.treatment_plan_items (plan_id, procedure_id, tooth) select id, 3, 21 from public.treatment_plans where clinic_id = ${CLINIC_A} order by id limit 1`;
  });
  incrementalId = (await runBackup({ sourceUrl: fx.sourceUrl, destination: fx.destination, schemas: ["public"], type: "incremental" })).backupId;
});
afterAll(async () => fx?.cleanup());

describe("partial restores of a chain", () => {
  it("restores one tenant at the incremental's point", async () => {
    const url = await fx.scratch("tenant");
    await fx.restore(url, { backupId: incrementalId, tenant: `clinic_id=${CLINIC_A}` });
    expect(await clinicChecksums(url, CLINIC_A)).toEqual(await clinicChecksums(fx.sourceUrl, CLINIC_A));
    for (const [t, c] of Object.entries(await clinicChecksums(url, CLINIC_B))) expect(c.rows, t).toBe(0);
  });

  it("restores selected tables at the incremental's point", async () => {
    const url = await fx.scratch("tables");
    await fx.restore(url, { backupId: incrementalId, tables: ["public.patients"], withDependencies: true });
    expect(await rowsChecksum(url, "public.patients")).toEqual(await rowsChecksum(fx.sourceUrl, "public.patients"));
  });

  it("a dry run from the incremental against a restore of the full reports the incremental's changes", async () => {
    const url = await fx.scratch("live");
    await fx.restore(url, { backupId: fullId });
    const dry = await fx.restore(url, { backupId: incrementalId, dryRun: true, tables: ["public.patients"] });
    expect(dry.changes).toEqual([{ table: '"public"."patients"', insert: 1, update: 2, delete: 1, uniqueConflicts: [] }]);
  });
});
