/**
 * Values survive the change log exactly, whatever the writing session's settings: rows
 * written under DateStyle 'SQL, DMY', IntervalStyle sql_standard, extra_float_digits -15,
 * bytea_output escape and a non-UTC TimeZone — floats with NaN/±Infinity and their last
 * digit, infinite dates, bytea, intervals, arrays, composites, ranges, json with its
 * whitespace and duplicate keys, money, bit strings, NULL vs '' — are restored, through an
 * incremental, with the source's exact text.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { runBackup } from "../../packages/shared/src/engine/backup.ts";
import { runRestore } from "../../packages/shared/src/engine/restore.ts";
import { openDestination } from "../../packages/shared/src/destinations/registry.ts";
import { run, scratchName, stateOf } from "./support.ts";

const SRC = scratchName("vt_src");
const DST = scratchName("vt_dst");
let src = "";
let dir = "";

const SESSION = `set datestyle = 'SQL, DMY'; set intervalstyle = 'sql_standard'; set extra_float_digits = -15;
  set bytea_output = 'escape'; set timezone = 'America/Sao_Paulo'; set lc_monetary = 'C';`;

beforeAll(async () => {
  src = await createScratchDb(SRC);
  await run(src, `
    create type public.pair as (a int, b text);
    create table public.v (
      id int primary key, f8 float8, f4 real, n numeric, d date, ts timestamp, tz timestamptz, iv interval,
      b bytea, arr int[], tarr text[], p public.pair, r tstzrange, j json, jb jsonb, m money, bits bit varying(8),
      u uuid, t text, c char(3));
    create table public.keyless (f8 float8, d date, j json);`);
  dir = mkdtempSync(join(tmpdir(), "cofre-types-"));
}, 30_000);

afterAll(async () => {
  await dropScratchDb(SRC);
  await dropScratchDb(DST);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("values through the change log", () => {
  it("restore exactly, whatever the writer's session settings", async () => {
    const dest = await openDestination(`file://${dir}`);
    await runBackup({ sourceUrl: src, destination: dest, capture: true });
    await run(src, `${SESSION}
      insert into public.v values
        (1, 0.1 + 0.2, 1.1, 1e-30, '31/12/2026', '01/02/2026 13:14:15.123456', '2026-06-01 10:00:00-03', '1 year 2 mons 3 days 04:05:06.789',
         '\\x00ff5c27', '{1,NULL,3}', '{"a,b","c\\"d",""}', '(1,"x, y")', '[2026-01-01 00:00+00,2026-02-01 00:00+00)',
         '{ "k" : 1, "k": 2 }', '{"z": [1, 2.50]}', '12.34', B'101', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', E'multi\\nline, "q"', 'ab'),
        (2, 'NaN', '-Infinity', 'NaN', 'infinity', '-infinity', 'infinity', '-1 day', '', '{}', '{NULL}', '(,)', 'empty',
         'null', 'null', '-0.01', B'', null, '', null),
        (3, 1.0000000000000002, 3.4028235e38, 123456789012345678901234567890.123456789, '01/01/0001', null, null, null,
         null, null, null, null, null, null, null, null, null, null, null, '   ');
      insert into public.keyless values (0.1 + 0.2, '29/02/2028', '[1,  2]'), (0.1 + 0.2, '29/02/2028', '[1,  2]');`);
    await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    await run(src, `${SESSION}
      update public.v set f8 = f8 * 3, tz = tz + interval '1 hour', iv = iv * 2, b = b || '\\x01'::bytea where id in (1, 2);
      delete from public.keyless where ctid = (select ctid from public.keyless limit 1);
      insert into public.keyless values ('Infinity', '-infinity', '{"a":1}');`);
    const last = await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    const expected = await stateOf(src, ["public"]);

    const dst = await createScratchDb(DST);
    await runRestore({ destination: dest, backupId: last.backupId, targetUrl: dst });
    expect(await stateOf(dst, ["public"])).toEqual(expected);
    expect(expected.tables.map((t) => t.rows)).toEqual([2, 3]);
  }, 30_000);
});
