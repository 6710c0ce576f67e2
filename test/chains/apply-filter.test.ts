/**
 * applyChangeSets with a filter, as a tenant or table restore uses it (docs/postgres-chains.md
 * §5): only the rows the row filter selects are deleted, replaced or inserted — in tables with
 * and without a primary key, through a truncate marker too — and the counts say exactly what
 * happened; a table filter skips other tables' change sets; `into` redirects to another schema.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { runBackup } from "../../packages/shared/src/engine/backup.ts";
import { runRestore } from "../../packages/shared/src/engine/restore.ts";
import { applyChangeSets } from "../../packages/shared/src/engine/apply-changes.ts";
import { openRestoreSource } from "../../packages/shared/src/engine/restore-source.ts";
import { openDestination } from "../../packages/shared/src/destinations/registry.ts";
import type { Destination } from "../../packages/shared/src/destinations/contract.ts";
import { connectTo, run, scratchName } from "./support.ts";

const SRC = scratchName("af_src");
const DST = scratchName("af_dst");
let src = "";
let dst = "";
let dir = "";
let dest: Destination;
let incId = "";

const rowsOf = async (url: string, q: string) => {
  const sql = connectTo(url);
  try {
    return (await sql.unsafe(q)).map((r) => ({ ...r }));
  } finally {
    await sql.end();
  }
};
const ITEMS = "select clinic_id, id, v from public.items order by 1, 2";
const NOTES = "select clinic_id, txt from public.notes order by 1, 2";

beforeAll(async () => {
  src = await createScratchDb(SRC);
  await run(src, `
    create table public.items (id int primary key, clinic_id int not null, v text);
    create table public.notes (clinic_id int, txt text);
    create table public.other (id int primary key, v text);
    insert into public.items select g, 1 + g % 2, 'v' || g from generate_series(1, 20) g;
    insert into public.notes select 1 + g % 2, 'n' || (g % 3) from generate_series(1, 12) g;
    insert into public.other values (1, 'a');`);
  dir = mkdtempSync(join(tmpdir(), "cofre-apply-"));
  dest = await openDestination(`file://${dir}`);
  const full = await runBackup({ sourceUrl: src, destination: dest, capture: true });
  dst = await createScratchDb(DST);
  await runRestore({ destination: dest, backupId: full.backupId, targetUrl: dst });
  await run(src, `
    update public.items set v = 'changed' where id in (1, 2, 3, 4);   -- clinic 2, 1, 2, 1
    delete from public.items where id in (5, 6);                     -- clinic 2, 1
    insert into public.items values (101, 1, 'new1'), (102, 2, 'new2');
    update public.items set v = 'eight' where id = 8;               -- clinic 1
    truncate public.notes;
    insert into public.notes values (1, 'after'), (2, 'after'), (1, 'after');
    update public.other set v = 'b';`);
  incId = (await runBackup({ sourceUrl: src, destination: dest, type: "incremental" })).backupId;
}, 60_000);

afterAll(async () => {
  await dropScratchDb(SRC);
  await dropScratchDb(DST);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("applyChangeSets with a filter", () => {
  it("changes only clinic 1's rows, reports them, and skips tables outside the filter", async () => {
    const before = { items: await rowsOf(dst, ITEMS), notes: await rowsOf(dst, NOTES) };
    const source = await openRestoreSource(dest, incId);
    const sql = connectTo(dst);
    try {
      const applied = await sql.begin((tx) =>
        applyChangeSets(tx, source.manifest, source.entryData, {
          filter: { tables: new Set(["public.items", "public.notes"]), rowFilter: () => ({ column: "clinic_id", value: "1" }) },
        })
      );
      expect(applied).toEqual([
        // clinic 1: 2 and 4 updated, 6 deleted, 101 inserted (8 re-written: updated)
        { schema: "public", name: "items", truncated: false, inserted: 1, updated: 3, deleted: 1 },
        // clinic 1's 6 notes truncated away, its 2 new ones inserted
        { schema: "public", name: "notes", truncated: true, inserted: 2, updated: 0, deleted: 6 },
      ]);
    } finally {
      await sql.end();
    }
    const srcItems = await rowsOf(src, ITEMS);
    const got = await rowsOf(dst, ITEMS);
    expect(got.filter((r) => r.clinic_id === 1)).toEqual(srcItems.filter((r) => r.clinic_id === 1));
    expect(got.filter((r) => r.clinic_id === 2)).toEqual(before.items.filter((r) => r.clinic_id === 2));
    const notes = await rowsOf(dst, NOTES);
    expect(notes.filter((r) => r.clinic_id === 1)).toEqual((await rowsOf(src, NOTES)).filter((r) => r.clinic_id === 1));
    expect(notes.filter((r) => r.clinic_id === 2)).toEqual(before.notes.filter((r) => r.clinic_id === 2));
    expect(await rowsOf(dst, "select v from public.other")).toEqual([{ v: "a" }]);
  });

  it("applies into another schema with `into`", async () => {
    await run(dst, "create schema copy; create table copy.other (id int primary key, v text); insert into copy.other values (1, 'a');");
    const source = await openRestoreSource(dest, incId);
    const sql = connectTo(dst);
    try {
      await sql.begin((tx) =>
        applyChangeSets(tx, source.manifest, source.entryData, {
          filter: { tables: new Set(["public.other"]) },
          into: (t) => ({ schema: "copy", name: t.name }),
        })
      );
    } finally {
      await sql.end();
    }
    expect(await rowsOf(dst, "select v from copy.other")).toEqual([{ v: "b" }]);
    expect(await rowsOf(dst, "select v from public.other")).toEqual([{ v: "a" }]);
  });
});
