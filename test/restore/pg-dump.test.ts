/**
 * `cofre backup --pg-dump`: a `pg_dump -Fc` archive stored in the same backup, with its
 * stored size, SHA-256 and MD5 in the manifest, that stock `pg_restore` restores; sealed
 * like the volumes when the backup is encrypted; an incompatible binary is refused clearly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBackup } from "@cofre/shared/engine/backup.ts";
import { readManifest } from "@cofre/shared/engine/catalog.ts";
import { verifyBackup } from "@cofre/shared/engine/verify.ts";
import { compatiblePgDump, libpqEnv, pgDumpArtifact } from "@cofre/shared/sources/postgres/pg-dump-custom.ts";
import { cofre } from "../support/cli.ts";
import { fixtureBackup, rowsChecksum, withDb } from "./support.ts";

let fx: Awaited<ReturnType<typeof fixtureBackup>>;
let root = "";

beforeAll(async () => {
  fx = await fixtureBackup("pgdump");
  root = (fx.destination as unknown as { root: string }).root;
});
afterAll(async () => fx?.cleanup());

const PG_RESTORE = "/usr/lib/postgresql/15/bin/pg_restore";

describe("pg_dump -Fc artifact", () => {
  it("is stored in the backup, checksummed in the manifest, and restores with pg_restore", async () => {
    const r = cofre(["backup", "--db-env", "COFRE_TEST_SOURCE", "--to", `file://${root}`, "--schema", "public", "--pg-dump", "--json"], {
      COFRE_TEST_SOURCE: fx.sourceUrl,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const { backupId } = JSON.parse(r.stdout);
    const manifest = await readManifest(fx.destination, backupId);
    expect(manifest.artifacts).toHaveLength(1);
    const a = manifest.artifacts[0]!;
    expect(a).toMatchObject({ name: "pg_dump.dump", kind: "pg_dump-custom" });
    expect(a.tool).toMatch(/^pg_dump \(PostgreSQL\) 15\./);
    const bytes = readFileSync(join(root, backupId, a.name));
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("PGDMP");
    expect(a.size).toBe(bytes.length);
    expect(a.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(a.md5).toBe(createHash("md5").update(bytes).digest("hex"));

    const report = await verifyBackup(fx.destination, backupId);
    expect(report.objects.find((o) => o.name === "pg_dump.dump")).toMatchObject({ ok: true });

    const url = await fx.scratch("pgrestore");
    // The archive holds the backed-up schemas only; rows of Supabase's auth.users (which
    // Cofre's own format carries) must already be in the project, as they are in a real one.
    const users = await withDb(fx.sourceUrl, (sql) => sql<{ id: string; email: string }[]>`select id, email from auth.users`);
    await withDb(url, (sql) => sql`insert into auth.users ${sql(users, "id", "email")}`);
    const { PGDATABASE, ...env } = libpqEnv(url);
    // `pg_dump --schema public` writes CREATE SCHEMA public, which every database already has:
    // its table-of-contents entry is left out with -L, so --exit-on-error holds for the rest.
    const archive = join(root, backupId, a.name);
    const toc = execFileSync(PG_RESTORE, ["-l", archive], { encoding: "utf8" })
      .split("\n").filter((l) => !/ SCHEMA - public /.test(l)).join("\n");
    const list = join(root, "toc.list");
    writeFileSync(list, toc);
    execFileSync(PG_RESTORE, ["--no-owner", "--exit-on-error", "-L", list, "-d", PGDATABASE!, archive], {
      env: { ...process.env, ...env }, stdio: "pipe",
    });
    for (const t of ["public.patients", "public.appointments", "public.treatment_plan_items", "public.audit_log"]) {
      expect(await rowsChecksum(url, t), t).toEqual(await rowsChecksum(fx.sourceUrl, t));
    }
    // A changed byte in the stored archive is caught by `cofre verify`'s stored-object check.
    const mid = bytes.length >> 1;
    bytes[mid] = bytes[mid]! ^ 0xff;
    writeFileSync(archive, bytes);
    const after = await verifyBackup(fx.destination, backupId);
    expect(after.objects.find((o) => o.name === "pg_dump.dump")).toMatchObject({ ok: false });
  });

  it("is sealed like the volumes in an encrypted backup", async () => {
    const passphrase = "senha do teste pg_dump";
    const s = await runBackup({
      sourceUrl: fx.sourceUrl, destination: fx.destination, schemas: ["public"], passphrase, kdfIterations: 100_000,
      artifacts: [pgDumpArtifact(fx.sourceUrl)],
    });
    const manifest = await readManifest(fx.destination, s.backupId, { passphrase });
    const a = manifest.artifacts[0]!;
    expect(a.name).toBe("pg_dump.dump.cofre");
    const bytes = readFileSync(join(root, s.backupId, a.name));
    expect(bytes.subarray(0, 19).toString("latin1")).toBe("cofre-encrypted/v1\n");
    expect(bytes.includes(Buffer.from("Paciente"))).toBe(false);
    expect(a.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
  });

  it("refuses a pg_dump older than the server, saying what to install", () => {
    expect(() => compatiblePgDump(17, [{ path: "/x/pg_dump", version: "pg_dump (PostgreSQL) 15.18", major: 15 }]))
      .toThrow(expect.objectContaining({ code: "INVALID_INPUT", message: expect.stringContaining("postgresql-client-17") }));
  });
});
