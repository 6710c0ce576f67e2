/**
 * Incremental and differential chains restore exactly (issue 4 items 4, 5, 7), on the
 * all-objects fixture (every object type the schema dump knows, awkward names, partitions,
 * inheritance, a typed table, domains, composites, ranges, jsonb, identity and generated
 * columns, tables without a primary key and without updated_at, a table without columns):
 *
 *   full → (inserts, updates, deletes, a key change, a cross-partition move) → incremental 1
 *        → (more, incl. a row changed twice, deleted and re-inserted) → incremental 2 (CLI)
 *        → (TRUNCATEs, then inserts) → incremental 3
 *        → (a TRUNCATE and more) → differential (since the full)
 *
 * Restoring incremental 3 and the differential, each into an empty database, gives the
 * source's per-table ordered checksums and sequence positions at that backup's point, and
 * the source's `pg_dump --schema-only` (compared once Cofre's capture is removed from the
 * source, since it adds triggers there).
 *
 * The fixture's rows are written with session_replication_role = replica: some of the
 * fixture's triggers exist only to be dumped and would fail on real rows. Cofre's capture
 * triggers are ENABLE ALWAYS, so they still log every change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { cofre } from "../support/cli.ts";
import { fixture, pgDumpSchema, psqlFile } from "../postgres-schema/support.ts";
import { runBackup } from "../../packages/shared/src/engine/backup.ts";
import { runRestore } from "../../packages/shared/src/engine/restore.ts";
import { resolveChain } from "../../packages/shared/src/engine/chain.ts";
import { openDestination } from "../../packages/shared/src/destinations/registry.ts";
import type { Destination } from "../../packages/shared/src/destinations/contract.ts";
import { readManifest } from "../../packages/shared/src/engine/catalog.ts";
import { uninstallCapture } from "../../packages/shared/src/sources/postgres/capture/mod.ts";
import { connectTo, run, scratchName, stateOf, type DbState } from "./support.ts";

const SRC = scratchName("fx_src");
const DST_I = scratchName("fx_inc");
const DST_D = scratchName("fx_diff");
const SCHEMAS = ["public", "clinic_ext", "Relatórios"];
let src = "";
let dir = "";
let dest: Destination;
const ids: Record<string, string> = {};
const states: Record<string, DbState> = {};

const REPLICA = "set session_replication_role = replica;\n";

const ROUND0 = `${REPLICA}
insert into clinic_ext."Consultório São João" (nome, "Preço", faixa) values
  ('Sala Azul', 120.50, '[100,200)'), ('Sala Verde', 0, null), ('Sala Ímpar', 99.99, 'empty');
insert into public.patients ("Full Name", cpf, email, status, mood, home, nickname, notes)
  select 'Paciente ' || g, lpad(g::text, 11, '0'), 'p' || g || '@ex.com.br',
         (array['scheduled', 'confirmed', 'done'])[1 + g % 3]::public.appointment_status,
         (array['happy', 'sad', 'it''s complicated'])[1 + g % 3]::public."Mood",
         row('Rua ' || g, 'São Paulo', '01000-' || lpad(g::text, 3, '0'))::clinic_ext.address,
         case when g % 4 = 0 then null else 'nick"' || g end,
         case when g % 5 = 0 then '' else repeat(E'nota, com "aspas"\\n', g % 3) end
    from generate_series(1, 300) g;
insert into public.appointments (patient_id, room_id, room, during, price, status)
  select 100 + 2 * (g % 300), 1 + g % 3, g % 5,
         tstzrange('2026-01-01 08:00+00'::timestamptz + g * interval '1 hour', '2026-01-01 08:30+00'::timestamptz + g * interval '1 hour'),
         50 + g, 'scheduled'
    from generate_series(1, 400) g;
insert into public.visits (id, visited_on, patient_id, note)
  select g, date '2024-01-01' + g * 3, 100 + 2 * (g % 300), 'visita ' || g from generate_series(1, 500) g;
insert into clinic_ext.events
  select (array['exam', 'surgery', 'call'])[1 + g % 3], date '2025-01-01' + g % 300, jsonb_build_object('g', g, 'tags', jsonb_build_array('a', g))
    from generate_series(1, 90) g;
insert into clinic_ext.empty select from generate_series(1, 3);
insert into clinic_ext."weird ""quoted"" name" values (1, 'a', 'oi', true), (1, 'a', 'oi', true), (2, null, '', null);
insert into clinic_ext.addresses (street, city, zip) select 'Av ' || g, 'Rio', '20000-' || lpad(g::text, 3, '0') from generate_series(1, 20) g;
insert into clinic_ext.audit_base (who) select 'u' || g from generate_series(1, 10) g;
insert into clinic_ext.audit_patients (id, patient_id, who) select 1000 + g, 100 + g, 'x' from generate_series(1, 10) g;
insert into clinic_ext.cache (k, v, expires_at) select 'k' || g, jsonb_build_object('n', g), '2027-01-01'::timestamptz + g * interval '1 day' from generate_series(1, 20) g;
insert into public.invoices (id, number, total) select g, g, g * 10.5 from generate_series(1, 50) g;
insert into clinic_ext.room_tags select 1 + g % 3, 'tag' || (g % 4) from generate_series(1, 30) g;
`;

const ROUND1 = `${REPLICA}
insert into public.patients ("Full Name", cpf, email, status, home)
  select 'Nova ' || g, lpad(g::text, 11, '0'), 'n' || g || '@ex.com.br', 'confirmed', row('R', 'C', '0')::clinic_ext.address
    from generate_series(301, 320) g;
update public.patients set notes = 'alterado ' || id, nickname = null where id % 14 = 0;
update public.patients set home = row('Rua Nova', 'Campinas', '13000-000')::clinic_ext.address where id between 200 and 210;
delete from public.appointments where id % 10 = 0;
update public.appointments set status = 'done', price = price + 1 where id % 7 = 0;
update public.visits set visited_on = visited_on + 400 where id % 25 = 0;
delete from public.visits where id % 33 = 0;
insert into clinic_ext.room_tags values (1, 'tag1'), (1, 'tag1');
delete from clinic_ext.room_tags where ctid = (select ctid from clinic_ext.room_tags where tag = 'tag2' limit 1);
update clinic_ext.room_tags set tag = 'renamed' where tag = 'tag3';
insert into clinic_ext.empty select from generate_series(1, 2);
update clinic_ext.cache set v = v || '{"touched": true}' where k in ('k1', 'k2');
update clinic_ext.addresses set zip = '99999-999' where street = 'Av 3';
insert into clinic_ext.events values ('call', '2026-05-05', null);
`;

const ROUND2 = `${REPLICA}
update public.invoices set id = id + 1000 where id <= 5;
update public.patients set "Full Name" = "Full Name" || ' Silva' where id % 9 = 0;
delete from clinic_ext.events where kind = 'surgery' and at < '2025-03-01';
insert into clinic_ext.audit_patients (id, patient_id, who) values (2000, 5, 'r2');
delete from clinic_ext."weird ""quoted"" name" where ctid = (select ctid from clinic_ext."weird ""quoted"" name" where "order" = 1 limit 1);
update clinic_ext."Consultório São João" set "Preço" = 130 where id = 1;
delete from clinic_ext.empty where ctid = (select ctid from clinic_ext.empty limit 1);
update public.invoices set total = 1 where id = 10;
update public.invoices set total = 2 where id = 10;
delete from public.invoices where id = 11;
insert into public.invoices values (11, 999, 0.5);
`;

const ROUND3 = `${REPLICA}
truncate clinic_ext.room_tags;
insert into clinic_ext.room_tags values (2, 'pós-truncate'), (2, 'pós-truncate');
truncate clinic_ext.cache;
insert into clinic_ext.cache (k, v) values ('novo', '[1, 2]');
update clinic_ext.addresses set city = 'Niterói';
delete from public.appointments where patient_id = 102;
insert into public.patients ("Full Name", cpf) values ('Última', '12345678901');
`;

const ROUND4 = `${REPLICA}
truncate public.invoices;
insert into public.invoices values (1, 1, 10);
update public.visits set note = null where id % 4 = 0;
insert into clinic_ext.audit_base (who) values ('diff');
update clinic_ext.room_tags set room_id = 3;
`;

async function backup(type: "full" | "incremental" | "differential") {
  const s = await runBackup({ sourceUrl: src, destination: dest, type, capture: true, noDefaultExcludes: true });
  return s;
}

beforeAll(async () => {
  src = await createScratchDb(SRC, { supabaseShape: true });
  psqlFile(src, fixture("all-objects.sql"));
  await run(src, ROUND0);
  dir = mkdtempSync(join(tmpdir(), "cofre-chains-"));
  dest = await openDestination(`file://${dir}`);
}, 60_000);

afterAll(async () => {
  for (const db of [SRC, DST_I, DST_D]) await dropScratchDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a chain on the all-objects fixture", () => {
  it("makes a full, three incrementals (one from the CLI) and a differential", async () => {
    const full = await backup("full");
    expect(full.type).toBe("full");
    ids.full = full.backupId;
    await run(src, ROUND1);
    const i1 = await backup("incremental");
    expect([i1.parentId, i1.baseId]).toEqual([ids.full, ids.full]);
    expect(i1.tables).toBe(0);
    ids.i1 = i1.backupId;

    await run(src, ROUND2);
    const r = cofre(
      ["backup", "--db-env", "CHAINS_SOURCE_URL", "--to", `file://${dir}`, "--type", "incremental", "--no-default-excludes", "--json"],
      { CHAINS_SOURCE_URL: src },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const i2 = JSON.parse(r.stdout);
    expect([i2.type, i2.parentId, i2.baseId]).toEqual(["incremental", ids.i1, ids.full]);
    ids.i2 = i2.backupId;

    await run(src, ROUND3);
    const i3 = await backup("incremental");
    expect(i3.parentId).toBe(ids.i2);
    ids.i3 = i3.backupId;
    states.i3 = await stateOf(src, SCHEMAS);

    await run(src, ROUND4);
    const d = await backup("differential");
    expect([d.type, d.parentId, d.baseId]).toEqual(["differential", ids.full, ids.full]);
    ids.d = d.backupId;
    states.d = await stateOf(src, SCHEMAS);
  }, 60_000);

  it("records net changes per key, tombstones, ordered operations for keyless tables, and truncate markers", async () => {
    const i3 = await readManifest(dest, ids.i3!);
    const byName = new Map(i3.changes.map((c) => [`${c.schema}.${c.name}`, c]));
    const tags = byName.get("clinic_ext.room_tags")!;
    expect(tags).toMatchObject({ key: null, truncated: true, rows: 3 }); // T, I, I
    expect(byName.get("clinic_ext.cache")).toMatchObject({ key: ["k"], truncated: true, rows: 2 }); // T, U
    expect(byName.has("public.invoices")).toBe(false);
    const i2 = await readManifest(dest, ids.i2!);
    const inv = i2.changes.find((c) => c.name === "invoices")!;
    // keys 1–5 moved to 1001–1005 (5 tombstones + 5 states), 10 updated twice (1 state), 11 deleted and re-inserted (1 state)
    expect(inv).toMatchObject({ key: ["id"], truncated: false, rows: 12 });
    expect(i3.consistency.since).toBe(i2.consistency.snapshot);
    const chain = await resolveChain(dest, ids.i3!);
    expect(chain.map((m) => m.backupId)).toEqual([ids.full, ids.i1, ids.i2, ids.i3]);
    expect((await resolveChain(dest, ids.d!)).map((m) => m.backupId)).toEqual([ids.full, ids.d]);
  });

  it("restores full + three incrementals to the source's exact state at incremental 3", async () => {
    const url = await createScratchDb(DST_I, { supabaseShape: true });
    const summary = await runRestore({ destination: dest, backupId: ids.i3!, targetUrl: url });
    expect(summary.backupId).toBe(ids.i3);
    expect(await stateOf(url, SCHEMAS)).toEqual(states.i3);
  }, 30_000);

  it("restores full + differential to the source's exact state at the differential", async () => {
    const url = await createScratchDb(DST_D, { supabaseShape: true });
    await runRestore({ destination: dest, backupId: ids.d!, targetUrl: url });
    const got = await stateOf(url, SCHEMAS);
    expect(got).toEqual(states.d);
    expect(got.tables.find((t) => t.table === "public.invoices")?.rows).toBe(1);
  }, 30_000);

  it("gives the source's pg_dump --schema-only once Cofre's capture is removed from the source", async () => {
    const sql = connectTo(src);
    try {
      const [t] = await sql`select count(*)::int as n from pg_trigger where tgname like 'cofre_capture%'`;
      expect(t!.n).toBeGreaterThan(10);
      await uninstallCapture(sql);
    } finally {
      await sql.end();
    }
    const expected = pgDumpSchema(src, SCHEMAS);
    expect(expected).not.toContain("cofre_capture");
    expect(pgDumpSchema(await createScratchDbUrl(DST_I), SCHEMAS)).toBe(expected);
    expect(pgDumpSchema(await createScratchDbUrl(DST_D), SCHEMAS)).toBe(expected);
  });
});

async function createScratchDbUrl(name: string): Promise<string> {
  const { urlForDb } = await import("../support/stack.ts");
  return urlForDb(name);
}
