/**
 * The change capture must never hurt the application it protects, nor leak what it logs:
 *
 * - a backup never makes the app's writers queue behind it: with capture installed (and even
 *   when its DDL must be upgraded) a backup started while a write transaction stays open goes
 *   on, and a second writer is not blocked meanwhile;
 * - a column added and dropped again between two backups (same schema digest, but logged rows
 *   that no longer fit the table) turns the next incremental into a full with a warning —
 *   through the DDL event trigger, and without it (non-superuser) through the failed cast —
 *   and no error or warning text carries the row's values;
 * - a destination not seen for the max age loses its record, so the log stops keeping patient
 *   rows for it (and its next incremental becomes a full);
 * - a transaction open across a backup's snapshot that commits after it lands in the next
 *   incremental.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createScratchDb, dropScratchDb, stackEnv } from "../support/stack.ts";
import { runBackup } from "../../packages/shared/src/engine/backup.ts";
import { runRestore } from "../../packages/shared/src/engine/restore.ts";
import { openDestination } from "../../packages/shared/src/destinations/registry.ts";
import { dropDestinationConsumer, pruneChanges } from "../../packages/shared/src/sources/postgres/capture/mod.ts";
import { connectTo, run, scratchName, stateOf } from "./support.ts";

const SRC = scratchName("cs_src");
const NOSU = scratchName("cs_nosu");
const DST = scratchName("cs_dst");
const ROLE = scratchName("cs_role");
let src = "";
let nosu = "";
const dirs: string[] = [];

async function newDest() {
  const dir = mkdtempSync(join(tmpdir(), "cofre-capture-safety-"));
  dirs.push(dir);
  return await openDestination(`file://${dir}`);
}

/** Opens a transaction on `url` that runs `text` and stays open until release() commits it. */
async function holdOpen(url: string, text: string) {
  const sql = connectTo(url);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const ready = new Promise<void>((r) => (started = r));
  const done = sql.begin(async (tx) => {
    await tx.unsafe(text);
    started();
    await gate;
  });
  await Promise.race([ready, done]);
  return {
    async commit() {
      release();
      await done;
      await sql.end();
    },
  };
}

/** Milliseconds one more write transaction on `url` takes (capped: "blocked" past the cap). */
async function timedWrite(url: string, text: string, capMs: number): Promise<number> {
  const sql = connectTo(url);
  const t0 = Date.now();
  try {
    const write = sql.unsafe(text).simple().then(() => Date.now() - t0);
    const cap = new Promise<number>((r) => setTimeout(() => r(Number.POSITIVE_INFINITY), capMs));
    return await Promise.race([write, cap]);
  } finally {
    await sql.end({ timeout: 0 });
  }
}

beforeAll(async () => {
  src = await createScratchDb(SRC);
  await run(src, "create table public.t (id int primary key, v text); insert into public.t select g, 'v' from generate_series(1, 10) g;");
  // A database owned by a role that is not a superuser: the DDL event trigger cannot be made.
  nosu = await createScratchDb(NOSU);
  await run(stackEnv().DATABASE_URL, `drop role if exists ${ROLE}; create role ${ROLE} login password 'nosu'; alter database ${NOSU} owner to ${ROLE};`);
  const u = new URL(nosu);
  u.username = ROLE;
  u.password = "nosu";
  nosu = u.toString();
  await run(nosu, "create table public.t (id int primary key, v text); insert into public.t select g, 'v' from generate_series(1, 10) g;");
}, 30_000);

afterAll(async () => {
  await dropScratchDb(SRC);
  await dropScratchDb(NOSU);
  await dropScratchDb(DST);
  await run(stackEnv().DATABASE_URL, `drop role if exists ${ROLE}`).catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("change capture safety", () => {
  it("never makes the app's writers wait behind a backup while a write transaction stays open", async () => {
    const dest = await newDest();
    await runBackup({ sourceUrl: src, destination: dest, capture: true });
    for (const upgrade of [false, true]) {
      // upgrade: an older installation, so the backup must run the capture DDL again.
      if (upgrade) await run(src, "update cofre_capture.state set version = '0'");
      const open = await holdOpen(src, `insert into public.t values (${upgrade ? 101 : 100}, 'open')`);
      try {
        const backup = runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
        await new Promise((r) => setTimeout(r, 300));
        const ms = await timedWrite(src, `update public.t set v = 'second ${upgrade}' where id = 1`, 5000);
        expect(ms, `second writer (upgrade: ${upgrade})`).toBeLessThan(2500);
        const b = await backup;
        expect(b.type).toBe("incremental");
      } finally {
        await open.commit();
      }
    }
    const sql = connectTo(src);
    try {
      const [s] = await sql`select version from cofre_capture.state`;
      expect(s!.version).not.toBe("0");
    } finally {
      await sql.end();
    }
  }, 30_000);

  it("turns the incremental after a column was added and dropped again into a full, via the DDL event trigger", async () => {
    const dest = await newDest();
    await runBackup({ sourceUrl: src, destination: dest, capture: true });
    await run(src, "alter table public.t add column x text; insert into public.t values (2000, 'with x', null); alter table public.t drop column x;");
    const failed = await runBackup({ sourceUrl: src, destination: dest, type: "incremental", whenChainBroken: "fail" }).catch((e) => e);
    expect(failed.messages?.en ?? String(failed)).toContain("DDL changed public.t");
    expect(failed).toMatchObject({ code: "CHAIN_BROKEN" });
    const b = await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    expect(b.type).toBe("full");
    expect(b.warnings.join("\n")).toContain("full backup made instead");
    // The forced full restarts the chain.
    await run(src, "update public.t set v = 'after' where id = 2000");
    expect((await runBackup({ sourceUrl: src, destination: dest, type: "incremental" })).type).toBe("incremental");
  }, 30_000);

  it("without the event trigger (not a superuser), maps the failed cast of logged rows to a full, showing no row values", async () => {
    const dest = await newDest();
    const first = await runBackup({ sourceUrl: nosu, destination: dest, capture: true });
    expect(first.warnings.join("\n")).toContain("cofre_capture_ddl could not be created");
    await run(nosu, "alter table public.t add column x text; insert into public.t values (2, 'with x', null) on conflict (id) do update set v = 'with x'; alter table public.t drop column x;");
    const failed = await runBackup({ sourceUrl: nosu, destination: dest, type: "incremental", whenChainBroken: "fail" }).catch((e) => e);
    expect(failed).toMatchObject({ code: "CHAIN_BROKEN", details: { table: "public.t", sqlstate: "22P02" } });
    expect(failed.cause).toBeUndefined();
    const errorText = JSON.stringify({ m: failed.messages, d: failed.details, s: String(failed), stack: failed.stack });
    expect(errorText).not.toContain("with x");
    const b = await runBackup({ sourceUrl: nosu, destination: dest, type: "incremental" });
    expect(b.type).toBe("full");
    expect(JSON.stringify(b)).not.toContain("with x");
    expect(b.warnings.join("\n")).toContain("no longer fit the table");
    // The forced full is whole and correct (the refused incremental's partial entries are gone).
    const url = await createScratchDb(DST);
    await runRestore({ destination: dest, backupId: b.backupId, targetUrl: url });
    expect(await stateOf(url, ["public"])).toEqual(await stateOf(nosu, ["public"]));
  }, 30_000);

  it("expires a destination not seen for the max age (and retention can drop one), so the log stops keeping rows for it", async () => {
    const dest = await newDest();
    await runBackup({ sourceUrl: src, destination: dest, capture: true });
    await run(src, "update public.t set v = 'kept' where id = 3");
    const sql = connectTo(src);
    const logged = async () => (await sql`select count(*)::int as n from cofre_capture.change_log`)[0]!.n as number;
    try {
      // Other destinations of earlier tests: forget them, leaving only this one's record.
      await sql`delete from cofre_capture.consumer where name <> ${`destination:${dest.displaySpec}`}`;
      await pruneChanges(sql); // what only those needed
      expect(await logged()).toBeGreaterThan(0);
      await sql`update cofre_capture.consumer set updated_at = now() - interval '36 days'`;
      expect(await pruneChanges(sql, undefined, 40)).toBe(0); // younger than 40 days: kept
      expect(await logged()).toBeGreaterThan(0);
      expect(await pruneChanges(sql)).toBeGreaterThan(0); // older than the default 35 days: gone
      expect(await logged()).toBe(0);
      expect((await sql`select count(*)::int as n from cofre_capture.consumer`)[0]!.n).toBe(0);
    } finally {
      await sql.end();
    }
    const b = await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    expect(b.type).toBe("full");
    expect(b.warnings.join("\n")).toContain("no longer keeps this destination's changes");

    // Retention's call: the record goes, and the next incremental is a full again.
    const admin = connectTo(src);
    try {
      await dropDestinationConsumer(admin, dest.displaySpec);
      expect((await admin`select count(*)::int as n from cofre_capture.consumer`)[0]!.n).toBe(0);
    } finally {
      await admin.end();
    }
    expect((await runBackup({ sourceUrl: src, destination: dest, type: "incremental" })).type).toBe("full");
  }, 30_000);

  it("puts a transaction open across a backup's snapshot, committed after it, in the next incremental", async () => {
    const dest = await newDest();
    await runBackup({ sourceUrl: src, destination: dest, capture: true });
    const open = await holdOpen(src, "insert into public.t values (3000, 'in flight'); update public.t set v = 'in flight' where id = 4");
    let i1: Awaited<ReturnType<typeof runBackup>>;
    try {
      i1 = await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    } finally {
      await open.commit();
    }
    expect(i1.type).toBe("incremental");
    const i2 = await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    expect(i2.type).toBe("incremental");
    expect(i2.parentId).toBe(i1.backupId);
    expect(i2.changeRows).toBe(2);
    const url = await createScratchDb(DST);
    await runRestore({ destination: dest, backupId: i2.backupId, targetUrl: url });
    expect(await stateOf(url, ["public"])).toEqual(await stateOf(src, ["public"]));
    const target = postgres(url, { max: 1, onnotice: () => {} });
    try {
      expect((await target`select v from public.t where id in (3000, 4) order by id`).map((r) => r.v)).toEqual(["in flight", "in flight"]);
    } finally {
      await target.end();
    }
  }, 30_000);
});
