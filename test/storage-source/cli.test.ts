/**
 * The Storage source from the real `cofre` command line: `backup --buckets` (endpoint from
 * COFRE_SUPABASE_STORAGE_ENDPOINT, credentials from COFRE_SUPABASE_STORAGE_*), `restore
 * --buckets --bucket-map` without a database, the conflict refusal's exit code, and a bucket
 * that does not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cofre } from "../support/cli.ts";
import { seedStorage } from "../../scripts/seed/storage.ts";
import { bucket, bucketName, bucketState, context, emptyBucket, endpoint, env, sourceDb } from "./support.ts";
import type { S3Destination } from "@cofre/shared/destinations/s3.ts";

const SRC = bucketName("cli");
const XR = bucketName("cli-x");
const DST = bucketName("cli-to");
let src: S3Destination;
let dst: S3Destination;
let db: Awaited<ReturnType<typeof sourceDb>>;
const dir = mkdtempSync(join(tmpdir(), "cofre-storage-cli-"));
const run = (args: string[]) => cofre(args, { ...env, COFRE_LANG: "en", SRC_DB: db.url });

beforeAll(async () => {
  db = await sourceDb("cli");
  await seedStorage({ endpoint, context, names: { "orthoplus-docs": SRC, "orthoplus-xrays": XR } });
  src = await bucket(SRC);
  dst = await bucket(DST);
}, 60_000);

afterAll(async () => {
  for (const [b, n] of [[src, SRC], [dst, DST]] as const) if (b) await emptyBucket(b, n).catch(() => {});
  await emptyBucket(await bucket(XR, false), XR).catch(() => {});
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("cofre backup/restore --buckets", () => {
  it("backs a bucket up with the database and restores it alone into another bucket; a second restore finds it equal; a differing object is refused", async () => {
    const b = run(["backup", "--db-env", "SRC_DB", "--to", `file://${dir}`, "--buckets", SRC, "--json"]);
    expect(b.status, b.stderr).toBe(0);
    const summary = JSON.parse(b.stdout);
    expect(summary.storage).toMatchObject({ buckets: 1, objects: 13, stored: 13 });
    expect(readdirSync(join(dir, summary.backupId))).toContain("manifest.json");

    const args = ["restore", "--from", `file://${dir}`, "--backup", "latest", "--buckets", SRC, "--bucket-map", `${SRC}=${DST}`];
    const r = run(args);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/13 restored, 0 already equal/);
    expect(await bucketState(dst, DST)).toEqual(await bucketState(src, SRC));
    expect(run(args).stdout).toMatch(/0 restored, 13 already equal/);

    await dst.put("leia-me.txt", new Blob(["outro"]).stream());
    const c = run(args);
    expect(c.status).toBe(1);
    expect(c.stderr).toMatch(/1 object\(s\) already exist/);
    expect(run([...args, "--overwrite"]).stdout).toMatch(/0 restored, 12 already equal, 1 overwritten/);
  }, 120_000);

  it("names a bucket that does not exist", () => {
    const r = run(["backup", "--db-env", "SRC_DB", "--to", `file://${dir}`, "--buckets", bucketName("missing")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/does not exist in the project's Supabase Storage/);
  }, 60_000);
});
