/**
 * The acceptance for each destination kind: `cofre backup --to <spec>` then
 * `cofre restore --from <spec>` of a small seeded demo clinic database, through the real
 * command line, gives back the same schema and the same rows. Adapter test files call
 * `describeDemoRoundTrip("sftp", () => stackEnv().DEST_SFTP!)`.
 *
 * The CLI runs with the stack's .stack/env (credentials, COFRE_ALLOW_PRIVATE_HOSTS), as a
 * person who ran `source .stack/env` would; the database URL travels by `--db-env`. The
 * backup is addressed by its id (never `latest`: other tests may share the destination) and
 * its objects are removed afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { listAll } from "@cofre/shared/destinations/contract.ts";
import { contextFromEnvironment } from "@cofre/shared/destinations/open-context.ts";
import { openDestination } from "@cofre/shared/destinations/registry.ts";
import { cofre } from "../support/cli.ts";
import { createScratchDb, dropScratchDb, stackEnv, urlForDb } from "../support/stack.ts";
import { schemaOnlyDump, tableChecksums } from "../../scripts/demo/compare.ts";
import { seedDemo } from "../../scripts/seed/seed.ts";
import { COMPAT_SQL } from "../../scripts/stack/postgres.ts";
import { ROOT } from "../../scripts/stack/paths.ts";

/** Tables whose data the default excludes leave out of every backup (definition kept). */
const EXCLUDED_DATA = ["public._temp_import_batches", "public.report_cache"];

const SEED = 7;

/** Names the seeded template by what it is made of: the seed's code, the compat SQL, scale. */
function templateName(scale: number): string {
  const hash = createHash("sha256").update(`${scale}/${SEED}`);
  const dir = join(ROOT, "scripts", "seed");
  for (const f of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    if (/\.(ts|sql)$/.test(f)) hash.update(f).update(readFileSync(join(dir, f)));
  }
  hash.update(readFileSync(COMPAT_SQL));
  return `rt_dest_tpl_${hash.digest("hex").slice(0, 12)}`;
}

/**
 * A fresh copy of the seeded demo database as `name`. The seed runs once per machine (and
 * again whenever its code changes): every adapter's round trip copies one template with
 * CREATE DATABASE … TEMPLATE, which takes a fraction of a second instead of a seeding run.
 * An advisory lock serialises workers; seeding goes to a side name renamed when complete.
 */
async function seededCopy(name: string, scale: number): Promise<string> {
  const tpl = templateName(scale);
  const admin = postgres(stackEnv().DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin`select pg_advisory_lock(hashtext('cofre-roundtrip-template'))`;
    try {
      const [exists] = await admin`select 1 from pg_database where datname = ${tpl}`;
      if (!exists) {
        const stale = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'rt\_dest\_tpl\_%'`;
        for (const { datname } of stale) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
        const building = `${tpl}_building`;
        const url = await createScratchDb(building, { supabaseShape: true });
        await seedDemo({ url, scale, seed: SEED });
        await admin.unsafe(`alter database "${building}" rename to "${tpl}"`);
      }
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.unsafe(`create database "${name}" template "${tpl}"`);
    } finally {
      await admin`select pg_advisory_unlock(hashtext('cofre-roundtrip-template'))`;
    }
  } finally {
    await admin.end();
  }
  return urlForDb(name);
}

export function describeDemoRoundTrip(kind: string, specFromEnv: () => string, opts: { scale?: number } = {}): void {
  const name = kind.toLowerCase().replace(/[^a-z0-9]+/g, "_");
  // The pid keeps two runs of one file (two people, one cluster) off each other's databases.
  const SRC = `rt_dest_${name}_${process.pid}_src`;
  const DST = `rt_dest_${name}_${process.pid}_dst`;

  describe(`demo round trip through ${kind} (cofre backup → cofre restore)`, () => {
    let env: Record<string, string> = {};
    let spec = "";
    let backupId = "";

    beforeAll(async () => {
      spec = specFromEnv();
      const src = await seededCopy(SRC, opts.scale ?? 0.02);
      const dst = await createScratchDb(DST, { supabaseShape: true });
      env = { ...stackEnv(), COFRE_RT_SOURCE_URL: src, COFRE_RT_TARGET_URL: dst };
    });

    afterAll(async () => {
      if (backupId && spec) {
        const dest = await openDestination(spec, contextFromEnvironment((n) => env[n] ?? process.env[n]));
        const keys: string[] = [];
        for await (const o of listAll(dest, `${backupId}/`)) keys.push(o.key);
        for (const k of keys) await dest.remove(k);
      }
      await dropScratchDb(SRC);
      await dropScratchDb(DST);
    });

    it(`backs up to ${kind}, lists and verifies it there, and restores it identical`, async () => {
      expect(spec, `no spec for ${kind}: is the stack up (npm run stack:up)?`).toMatch(/^[a-z][a-z0-9+.-]*:/);
      const b = cofre(["backup", "--db-env", "COFRE_RT_SOURCE_URL", "--to", spec, "--json"], env);
      expect(b.status, b.stderr).toBe(0);
      const summary = JSON.parse(b.stdout) as { backupId: string; rows: number; destination: string };
      backupId = summary.backupId;
      expect(summary.rows).toBeGreaterThan(1000);
      expect(summary.destination).not.toMatch(/:[^/@:]+@/); // no password shown back

      const ls = cofre(["ls", "--from", spec], env);
      expect(ls.status, ls.stderr).toBe(0);
      expect(ls.stdout).toContain(backupId);

      const v = cofre(["verify", spec, "--backup", backupId], env);
      expect(v.status, v.stdout + v.stderr).toBe(0);

      const r = cofre(["restore", "--from", spec, "--backup", backupId, "--db-env", "COFRE_RT_TARGET_URL"], env);
      expect(r.status, r.stderr).toBe(0);

      const src = env.COFRE_RT_SOURCE_URL!;
      const dst = env.COFRE_RT_TARGET_URL!;
      expect(schemaOnlyDump(dst, ["public"])).toBe(schemaOnlyDump(src, ["public"]));
      const before = await tableChecksums(src, ["public", "auth"]);
      const after = await tableChecksums(dst, ["public", "auth"]);
      expect(after.map((t) => t.table)).toEqual(before.map((t) => t.table));
      for (const t of before) {
        const back = after.find((a) => a.table === t.table)!;
        if (EXCLUDED_DATA.includes(t.table)) expect(back.rows).toBe(0);
        else expect(back, t.table).toEqual(t);
      }
    }, 240_000);
  });
}
