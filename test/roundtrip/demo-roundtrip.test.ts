/**
 * The foundation's promise: the demo clinic database, backed up with `cofre backup` to a
 * local folder and restored with `cofre restore` into an empty Supabase-shaped database,
 * comes back identical — same `pg_dump --schema-only`, same rows in every table.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { cofre } from "../support/cli.ts";
import { schemaOnlyDump, tableChecksums } from "../../scripts/demo/compare.ts";
import { seedDemo } from "../../scripts/seed/seed.ts";
import { ZipReader, type RandomAccess } from "@cofre/shared/format/zip/reader.ts";

function memoryAccess(bytes: Uint8Array): RandomAccess {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.slice(offset, offset + length),
    async *stream(offset, length) {
      yield bytes.slice(offset, offset + length);
    },
  };
}

const SRC = "rt_demo_src";
const DST = "rt_demo_dst";
const DST2 = "rt_demo_dst_tampered";
const EXCLUDED = ["public._temp_import_batches", "public.report_cache"];
let srcUrl = "";
let dstUrl = "";
let dir = "";
let backupId = "";

beforeAll(async () => {
  srcUrl = await createScratchDb(SRC, { supabaseShape: true });
  dstUrl = await createScratchDb(DST, { supabaseShape: true });
  await seedDemo({ url: srcUrl, scale: 0.1, seed: 42 });
  dir = mkdtempSync(join(tmpdir(), "cofre-rt-"));
});

afterAll(async () => {
  for (const db of [SRC, DST, DST2]) await dropScratchDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("demo database round trip through the CLI", () => {
  it("backs up to file:// with a summary, excluding _temp_* and cache data", () => {
    const r = cofre(["backup", "--db-env", "COFRE_DB_URL", "--to", `file://${dir}`, "--json"], { COFRE_DB_URL: srcUrl });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    backupId = summary.backupId;
    expect(backupId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(summary.rows).toBeGreaterThan(10_000);
    expect(summary.compressionRatio).toBeGreaterThan(2);
    expect(summary.excluded.map((e: { schema: string; name: string }) => `${e.schema}.${e.name}`).sort()).toEqual(EXCLUDED);
    expect(summary.schemas).toEqual(["public"]);
  });

  it("stores a manifest and volumes that Info-ZIP unzip accepts, in a 0700 directory with 0600 files", () => {
    const files = readdirSync(join(dir, backupId)).sort();
    expect(files[0]).toBe("manifest.json");
    expect(files.slice(1).every((f) => /^vol-\d{5}\.zip$/.test(f))).toBe(true);
    for (const f of files.slice(1)) {
      expect(execFileSync("unzip", ["-tq", join(dir, backupId, f)], { encoding: "utf8" })).toContain("No errors detected");
    }
    const last = files[files.length - 1]!;
    const listing = execFileSync("unzip", ["-Z1", join(dir, backupId, last)], { encoding: "utf8" });
    expect(listing).toContain("manifest.json");
    const manifest = JSON.parse(readFileSync(join(dir, backupId, "manifest.json"), "utf8"));
    expect(manifest.format).toBe("cofre-backup");
    expect(manifest.entries.some((e: { name: string }) => e.name === "schema/pre-data.sql")).toBe(true);
    const mode = (p: string) => execFileSync("stat", ["-c", "%a", p], { encoding: "utf8" }).trim();
    expect(mode(join(dir, backupId))).toBe("700");
    expect(mode(join(dir, backupId, "manifest.json"))).toBe("600");
  });

  it("lists the backup with `cofre ls`", () => {
    const r = cofre(["ls", "--from", `file://${dir}`]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(backupId);
    expect(r.stdout).toContain("full");
  });

  it("restores `latest` into an empty database: schema-only dump and every table's rows are identical", async () => {
    const r = cofre(["restore", "--from", `file://${dir}`, "--backup", "latest", "--db-env", "COFRE_DB_URL"], { COFRE_DB_URL: dstUrl });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Restauração concluída: ${backupId}`);

    expect(schemaOnlyDump(dstUrl, ["public"])).toBe(schemaOnlyDump(srcUrl, ["public"]));
    const src = await tableChecksums(srcUrl, ["public"]);
    const dst = await tableChecksums(dstUrl, ["public"]);
    expect(dst.map((t) => t.table)).toEqual(src.map((t) => t.table));
    for (const t of src) {
      const back = dst.find((d) => d.table === t.table)!;
      if (EXCLUDED.includes(t.table)) {
        // Excluded tables keep their definition; their data is deliberately not in the backup.
        expect(t.rows).toBeGreaterThan(0);
        expect(back.rows).toBe(0);
      } else {
        expect(back, t.table).toEqual(t);
      }
    }
    // The demo users in auth.users (referenced by clinic_members) come back too: rows only,
    // the table is Supabase's.
    const users = await tableChecksums(srcUrl, ["auth"]);
    expect(users.find((t) => t.table === "auth.users")!.rows).toBeGreaterThan(0);
    expect(await tableChecksums(dstUrl, ["auth"])).toEqual(users);
    // Sequences continue where the source's were.
    const seq = async (url: string) => {
      const sql = postgres(url, { max: 1 });
      try {
        return await sql`select schemaname, sequencename, last_value from pg_sequences where schemaname = 'public' order by 1, 2`;
      } finally {
        await sql.end();
      }
    };
    expect(await seq(dstUrl)).toEqual(await seq(srcUrl));
  });

  it("refuses to restore over existing tables, changing nothing", async () => {
    const before = await tableChecksums(dstUrl, ["public"]);
    const r = cofre(["restore", "--from", `file://${dir}`, "--backup", backupId, "--db-env", "COFRE_DB_URL"], { COFRE_DB_URL: dstUrl });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("RESTORE_TARGET_NOT_EMPTY");
    expect(await tableChecksums(dstUrl, ["public"])).toEqual(before);
  });

  it("detects a tampered volume and leaves the target database untouched", async () => {
    const tampered = mkdtempSync(join(tmpdir(), "cofre-rt-bad-"));
    try {
      execFileSync("cp", ["-a", join(dir, backupId), tampered]);
      // Flip a byte in the middle of the documents table's data (bytea as hex): whether the
      // damage reaches Postgres first or the checksum does, the verdict is INTEGRITY_MISMATCH.
      const vol = join(tampered, backupId, "vol-00001.zip");
      const bytes = readFileSync(vol);
      const zip = await ZipReader.open(memoryAccess(new Uint8Array(bytes)));
      const entry = zip.entries.find((e) => e.name === "data/public/documents/part-00001.csv")!;
      const nameLength = bytes.readUInt16LE(entry.localHeaderOffset + 26);
      const at = entry.localHeaderOffset + 30 + nameLength + Math.floor(entry.compressedSize / 2);
      bytes[at] = bytes[at]! ^ 0xff;
      writeFileSync(vol, bytes);
      const target = await createScratchDb(DST2, { supabaseShape: true });
      const r = cofre(["restore", "--from", `file://${tampered}`, "--backup", backupId, "--db-env", "COFRE_DB_URL"], { COFRE_DB_URL: target });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("INTEGRITY_MISMATCH");
      expect(await tableChecksums(target, ["public"])).toEqual([]);
    } finally {
      rmSync(tampered, { recursive: true, force: true });
    }
  });

  it("reports altered data that Postgres rejects first as INTEGRITY_MISMATCH, not as bad data", async () => {
    // Level 0 stores bytes verbatim inside the deflate stream, so a changed byte reaches COPY
    // unchanged: a 'Z' inside a bytea's hex makes Postgres fail before the checksum is read.
    const plainDir = mkdtempSync(join(tmpdir(), "cofre-rt-l0-"));
    try {
      const b = cofre(["backup", "--db-env", "COFRE_DB_URL", "--to", `file://${plainDir}`, "--level", "0", "--json"], { COFRE_DB_URL: srcUrl });
      const id = JSON.parse(b.stdout).backupId;
      const vol = join(plainDir, id, "vol-00001.zip");
      const bytes = readFileSync(vol);
      const zip = await ZipReader.open(memoryAccess(new Uint8Array(bytes)));
      const entry = zip.entries.find((e) => e.name === "data/public/documents/part-00001.csv")!;
      const start = entry.localHeaderOffset + 30 + bytes.readUInt16LE(entry.localHeaderOffset + 26);
      const data = bytes.subarray(start, start + entry.compressedSize);
      const hexAt = data.indexOf(Buffer.from("\\x")) + 8; // a few digits into the first bytea
      expect(hexAt).toBeGreaterThan(8);
      data[hexAt] = "Z".charCodeAt(0);
      writeFileSync(vol, bytes);
      const target = await createScratchDb(DST2, { supabaseShape: true });
      const r = cofre(["restore", "--from", `file://${plainDir}`, "--backup", id, "--db-env", "COFRE_DB_URL"], { COFRE_DB_URL: target });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("INTEGRITY_MISMATCH");
      expect(await tableChecksums(target, ["public"])).toEqual([]);
    } finally {
      rmSync(plainDir, { recursive: true, force: true });
    }
  });
});
