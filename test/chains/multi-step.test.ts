/**
 * A full dump split into many steps (each its own transaction and snapshot) while writers
 * keep inserting, updating and deleting rows in tables linked by foreign keys (patients →
 * appointments, invoices → payments, cascades included) and in a table without a primary
 * key, restores to ONE consistent point: the last step's snapshot (issue 4 item 3).
 *
 * Reference: the writers run from before the first step until after the dump returns, the
 * last step included. Each step's snapshot is exported to a transaction the test holds
 * (BackupOptions.onSnapshot), so the source is read exactly as of the last step's snapshot —
 * the backup's point — while it keeps changing. Tables read in earlier steps must have been
 * brought forward by the captured changes. The test checks that this really happened (several
 * steps, change sets for the written tables, writes during the last step, a source that has
 * moved on since), so it cannot pass by accident.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type postgres from "postgres";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { seedDemo } from "../../scripts/seed/seed.ts";
import { runBackup } from "../../packages/shared/src/engine/backup.ts";
import { runRestore } from "../../packages/shared/src/engine/restore.ts";
import { readManifest } from "../../packages/shared/src/engine/catalog.ts";
import { openDestination } from "../../packages/shared/src/destinations/registry.ts";
import { connectTo, holdSnapshot, run, scratchName, stateOf } from "./support.ts";

const SRC = scratchName("ms_src");
const DST = scratchName("ms_dst");
const SCHEMAS = ["public", "auth"];
let src = "";
let dir = "";

beforeAll(async () => {
  src = await createScratchDb(SRC, { supabaseShape: true });
  await seedDemo({ url: src, scale: 0.03, seed: 11 });
  await run(src, `create table public.audit_trail (at timestamptz not null default now(), what text);
    insert into public.audit_trail (what) select 'seed ' || g from generate_series(1, 50) g;`);
  dir = mkdtempSync(join(tmpdir(), "cofre-multistep-"));
}, 60_000);

afterAll(async () => {
  await dropScratchDb(SRC);
  await dropScratchDb(DST);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One write transaction of kind `n % 6`, on rows picked deterministically from `n`. */
async function write(sql: postgres.Sql, n: number): Promise<void> {
  await sql.begin(async (tx) => {
    switch (n % 6) {
      case 0: { // a new patient with an appointment, an invoice and a payment
        const [p] = await tx<{ id: string; clinic_id: string }[]>`
          insert into public.patients (clinic_id, full_name, cpf, street, number, bairro, cidade, uf, cep, anamnesis)
          select id, ${"Concorrente " + n}, ${`900.000.${String(n % 1000).padStart(3, "0")}-${String(n % 100).padStart(2, "0")}`},
                 'Rua das Flores', ${String(n)}, 'Centro', 'Natal', 'RN', '59000-000', ${tx.json({ n })}
            from public.clinics order by id limit 1
          on conflict do nothing
          returning id, clinic_id`;
        if (!p) return;
        await tx`insert into public.appointments (clinic_id, patient_id, dentist_id, starts_at, ends_at, reason)
                 select ${p.clinic_id}, ${p.id}, d.id, now(), now() + interval '30 minutes', 'avaliação'
                   from public.dentists d where d.clinic_id = ${p.clinic_id} order by d.id limit 1`;
        const [inv] = await tx<{ id: string }[]>`
          insert into public.invoices (clinic_id, patient_id, number, issued_on, due_on, amount)
          values (${p.clinic_id}, ${p.id}, ${"C-" + n}, current_date, current_date + 30, ${100 + n}) returning id`;
        await tx`insert into public.payments (clinic_id, invoice_id, paid_at, amount, method)
                 values (${p.clinic_id}, ${inv!.id}, now(), ${50 + n}, 'pix')`;
        break;
      }
      case 1:
        await tx`update public.appointments set status = 'completed', notes = ${"nota " + n}
                  where id = (select id from public.appointments order by id offset ${(n * 37) % 3000} limit 1)`;
        break;
      case 2: // a patient without invoices, with its appointments, plans and documents (ON DELETE CASCADE)
        await tx`delete from public.patients where id = (
                   select p.id from public.patients p
                    where not exists (select from public.invoices i where i.clinic_id = p.clinic_id and i.patient_id = p.id)
                    order by p.id offset ${(n * 13) % 200} limit 1)`;
        break;
      case 3: // an invoice and its payments (cascade)
        await tx`delete from public.invoices where id = (select id from public.invoices order by id offset ${(n * 7) % 500} limit 1)`;
        break;
      case 4:
        await tx`update public.patients set full_name = full_name || ' Jr', notes = ${"n" + n}
                  where id = (select id from public.patients order by id desc offset ${(n * 11) % 300} limit 1)`;
        await tx`update public.payments set amount = amount + 1 where id = (select id from public.payments order by id offset ${(n * 5) % 400} limit 1)`;
        break;
      case 5: // no primary key: appends, and deletes one of the rows
        await tx`insert into public.audit_trail (what) values (${"w" + n}), (${"w" + n})`;
        await tx`delete from public.audit_trail where ctid = (select ctid from public.audit_trail order by what offset ${n % 40} limit 1)`;
        break;
    }
  });
}

describe("a multi-step full dump under concurrent writes", () => {
  it("restores to the last step's snapshot exactly", async () => {
    const dest = await openDestination(`file://${dir}`);
    const writer = connectTo(src);
    let n = 0;
    let stop = false;
    let steps = 0;
    /** The source as of the latest step's snapshot (imported from the step's transaction). */
    let atStep: Awaited<ReturnType<typeof holdSnapshot>> | null = null;
    let writesAtLastSnapshot = 0;
    // Writers run for the whole dump, the last step included, interleaved with its queries…
    const loop = (async () => {
      while (!stop) {
        await write(writer, n++);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    try {
      const summary = await runBackup({
        sourceUrl: src, destination: dest, noDefaultExcludes: true,
        partSize: 64 * 1024, stepBytes: 96 * 1024,
        onStep: async (step) => {
          steps = step;
          // …and a burst of every kind of write between steps makes sure every table read so
          // far changes after its snapshot.
          for (let i = 0; i < 6; i++) await write(writer, n++);
        },
        onSnapshot: async (exported) => {
          const held = await holdSnapshot(src, exported);
          await atStep?.close();
          atStep = held;
          writesAtLastSnapshot = n;
        },
      });
      // Writers still ran after the last step's snapshot (while it read and built change sets).
      const writesDuringLastStep = n - writesAtLastSnapshot;
      stop = true;
      await loop;
      expect(writesDuringLastStep).toBeGreaterThan(0);
      expect(summary.type).toBe("full");
      expect(summary.steps).toBeGreaterThan(5);
      expect(summary.steps).toBe(steps + 1);
      expect(n).toBeGreaterThan(60);

      const manifest = await readManifest(dest, summary.backupId);
      expect(manifest.consistency.steps.length).toBe(summary.steps);
      expect(manifest.consistency.snapshot).toBe(manifest.consistency.steps.at(-1)!.snapshot);
      const changed = new Map(manifest.changes.map((c) => [c.name, c.rows]));
      for (const t of ["appointments", "audit_trail", "invoices", "patients", "payments"]) {
        expect(changed.get(t) ?? 0, `change rows of ${t}`).toBeGreaterThan(0);
      }
      // A table without a primary key is read within one step.
      const trail = manifest.consistency.steps.filter((s) => s.tables.includes("public.audit_trail"));
      expect(trail.length).toBe(1);

      // The reference: the source read in the last step's own snapshot; it differs from the
      // source now (writers kept going), so the restore cannot match by accident.
      const expected = await atStep!.tables(SCHEMAS);
      const now = await stateOf(src, SCHEMAS);
      expect(now.tables).not.toEqual(expected);
      const dst = await createScratchDb(DST, { supabaseShape: true });
      await runRestore({ destination: dest, backupId: summary.backupId, targetUrl: dst });
      expect((await stateOf(dst, SCHEMAS)).tables).toEqual(expected);
    } finally {
      stop = true;
      await loop.catch(() => {});
      await (atStep as { close(): Promise<void> } | null)?.close();
      await writer.end();
    }
  }, 60_000);
});
