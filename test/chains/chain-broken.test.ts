/**
 * Chains speak up instead of guessing: an incremental without a full to start from, a
 * restore whose chain lost a link, and an incremental after a schema change are refused with
 * CHAIN_BROKEN; the source's change log keeps only what the next backups need; a manifest
 * written before chains existed still reads (defaults).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { runBackup } from "../../packages/shared/src/engine/backup.ts";
import { runRestore } from "../../packages/shared/src/engine/restore.ts";
import { resolveChain } from "../../packages/shared/src/engine/chain.ts";
import { openDestination } from "../../packages/shared/src/destinations/registry.ts";
import type { Destination } from "../../packages/shared/src/destinations/contract.ts";
import { BackupManifest } from "../../packages/shared/src/config/manifest.ts";
import { pruneChanges } from "../../packages/shared/src/sources/postgres/capture/mod.ts";
import { connectTo, run, scratchName } from "./support.ts";

const SRC = scratchName("cb_src");
const DST = scratchName("cb_dst");
let src = "";
let dir = "";
let dest: Destination;
let fullId = "";

beforeAll(async () => {
  src = await createScratchDb(SRC);
  await run(src, "create table public.t (id int primary key, v text); insert into public.t select g, 'v' from generate_series(1, 10) g;");
  dir = mkdtempSync(join(tmpdir(), "cofre-broken-"));
  dest = await openDestination(`file://${dir}`);
}, 30_000);

afterAll(async () => {
  await dropScratchDb(SRC);
  await dropScratchDb(DST);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("broken chains", () => {
  it("with whenChainBroken: fail, refuses an incremental with no full to start from, and leaves no partial backup", async () => {
    const fail = { sourceUrl: src, destination: dest, whenChainBroken: "fail" } as const;
    await expect(runBackup({ ...fail, type: "incremental" })).rejects.toMatchObject({ code: "CHAIN_BROKEN" });
    await expect(runBackup({ ...fail, type: "differential" })).rejects.toMatchObject({ code: "CHAIN_BROKEN" });
    expect(readdir()).toEqual([]);
  });

  it("by default makes a full instead of an incremental with nothing to start from, and says so", async () => {
    const b = await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    expect(b.type).toBe("full");
    expect(b.parentId).toBeNull();
    expect(b.warnings.join("\n")).toContain("full backup made instead of the requested incremental");
    // The forced full starts a chain: the next incremental continues it.
    await run(src, "update public.t set v = 'f' where id = 3");
    const next = await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    expect(next.type).toBe("incremental");
    expect(next.parentId).toBe(b.backupId);
    await run(src, "update public.t set v = 'v' where id = 3");
  });

  it("refuses to restore a chain with a missing link, naming it", async () => {
    // Capture was installed by the refused incremental, so a plain full now starts a chain.
    const full = await runBackup({ sourceUrl: src, destination: dest });
    fullId = full.backupId;
    await run(src, "update public.t set v = 'a' where id = 1");
    const i1 = await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    await run(src, "update public.t set v = 'b' where id = 2");
    const i2 = await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    expect((await resolveChain(dest, i2.backupId)).map((m) => m.backupId)).toEqual([full.backupId, i1.backupId, i2.backupId]);

    await dest.remove(`${i1.backupId}/manifest.json`);
    await expect(resolveChain(dest, i2.backupId)).rejects.toMatchObject({ code: "CHAIN_BROKEN", details: { missing: i1.backupId } });
    const url = await createScratchDb(DST);
    await expect(runRestore({ destination: dest, backupId: i2.backupId, targetUrl: url })).rejects.toMatchObject({ code: "CHAIN_BROKEN" });
  }, 30_000);

  it("after a schema change, refuses an incremental (fail) or makes a full instead (default)", async () => {
    await run(src, "alter table public.t add column w int");
    const e = await runBackup({ sourceUrl: src, destination: dest, type: "incremental", whenChainBroken: "fail" }).catch((x) => x);
    expect(e).toMatchObject({ code: "CHAIN_BROKEN" });
    expect(String(e.messages.en)).toContain("Run a full backup");
    const forced = await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    expect(forced.type).toBe("full");
    expect(forced.warnings.join("\n")).toContain("full backup made instead");
  });

  it("keeps in the source's change log only what the destination's next backups need", async () => {
    const count = async () => {
      const sql = connectTo(src);
      try {
        const [r] = await sql`select count(*)::int as n from cofre_capture.change_log`;
        return r!.n as number;
      } finally {
        await sql.end();
      }
    };
    await run(src, "update public.t set w = 1 where id <= 3");
    expect(await count()).toBeGreaterThanOrEqual(3);
    // A new full: every change it already holds is pruned.
    await runBackup({ sourceUrl: src, destination: dest });
    expect(await count()).toBe(0);
    await run(src, "update public.t set w = 2 where id = 1");
    await runBackup({ sourceUrl: src, destination: dest, type: "incremental" });
    // Kept: a differential from the full still needs it, even when a caller passes a later watermark.
    const sql = connectTo(src);
    try {
      const [now] = await sql`select pg_current_snapshot()::text as s`;
      expect(await pruneChanges(sql, now!.s)).toBe(0);
    } finally {
      await sql.end();
    }
    expect(await count()).toBe(1);
  }, 30_000);

  it("reads a manifest written before chains (no baseId, changes, since, capture, steps, digest)", () => {
    const doc = JSON.parse(readFileSync(join(dir, fullId, "manifest.json"), "utf8"));
    expect(doc.consistency.capture.epoch).toMatch(/^[0-9a-f-]{36}$/);
    delete doc.baseId;
    delete doc.changes;
    delete doc.schema.digest;
    doc.consistency = { snapshot: doc.consistency.snapshot, lsn: doc.consistency.lsn, at: doc.consistency.at };
    const m = BackupManifest.parse(doc);
    expect([m.baseId, m.changes, m.consistency.since, m.consistency.capture, m.consistency.steps]).toEqual([null, [], null, null, []]);
  });
});

function readdir(): string[] {
  return readdirSync(dir).sort();
}
