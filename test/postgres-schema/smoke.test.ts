/**
 * Smoke tests on databases this file does not write: the stack's own `postgres` database
 * (schema `public`, which others seed while tests run; empty is fine) and the demo clinic
 * seeded by scripts/seed. Each is dumped, applied to an empty Supabase-shaped database, and
 * compared with pg_dump. The stack's database may change during the test, so its pg_dump runs
 * on the very snapshot the dump read (`pg_export_snapshot` + `pg_dump --snapshot`).
 *
 * Normalisation of the pg_dump output: none (same fixed --restrict-key for both runs).
 */
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { createScratchDb, dropScratchDb, stackEnv } from "../support/stack.ts";
import { seedDemo } from "../../scripts/seed/seed.ts";
import { dumpSchema, type SchemaDump } from "../../packages/shared/src/sources/postgres/schema/mod.ts";
import { applyObjects, connectTo, dumpFrom, PG_BIN, pgDumpSchema, scratchName } from "./support.ts";

const DEMO = scratchName("smoke_demo");
const DST = scratchName("smoke_dst");

afterAll(async () => {
  await dropScratchDb(DEMO);
  await dropScratchDb(DST);
});

describe("schema dump smoke tests", () => {
  it("dumps the stack's postgres database (public) and applies it to an empty database", async () => {
    const src = connectTo(stackEnv().DATABASE_URL);
    let dump: SchemaDump | undefined;
    let expected = "";
    try {
      await src.begin("isolation level repeatable read", async (tx) => {
        const [snap] = await tx.unsafe("select pg_export_snapshot() as id");
        dump = await dumpSchema(tx, { schemas: ["public"] });
        const args = ["--schema-only", "--restrict-key=cofretest", `--snapshot=${snap!.id}`, "-n", "public", "-d", stackEnv().DATABASE_URL];
        expected = execFileSync(`${PG_BIN}/pg_dump`, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
      });
    } finally {
      await src.end();
    }
    expect(dump!.warnings).toEqual([]);
    const url = await createScratchDb(DST, { supabaseShape: true });
    await applyObjects(url, dump!.objects);
    expect(pgDumpSchema(url, ["public"])).toBe(expected);
  });

  it("round-trips the demo clinic's schema", async () => {
    const demoUrl = await createScratchDb(DEMO, { supabaseShape: true });
    await seedDemo({ url: demoUrl, scale: 0.01, seed: 42 });
    const dump = await dumpFrom(demoUrl, { schemas: ["public"] });
    expect(dump.warnings).toEqual([]);
    expect(dump.objects.filter((o) => o.kind === "TABLE").length).toBeGreaterThan(5);
    const url = await createScratchDb(DST, { supabaseShape: true });
    await applyObjects(url, dump.objects);
    expect(pgDumpSchema(url, ["public"])).toBe(pgDumpSchema(demoUrl, ["public"]));
  });
});
