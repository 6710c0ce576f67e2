/**
 * Tables are split into parts by size, not only by heap blocks: a few rows with large
 * TOASTed values (X-rays in bytea) and text full of quoted newlines still yield entries no
 * larger than the part size, each a CSV with its header, and the restore is identical.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { tableChecksums } from "../../scripts/demo/compare.ts";
import { runBackup } from "@cofre/shared/engine/backup.ts";
import { runRestore } from "@cofre/shared/engine/restore.ts";
import { readManifest } from "@cofre/shared/engine/catalog.ts";
import { LocalDestination } from "@cofre/shared/destinations/local.ts";

const SRC = "parts_src";
const DST = "parts_dst";
const MiB = 1024 * 1024;
let srcUrl = "";
let dir = "";

beforeAll(async () => {
  srcUrl = await createScratchDb(SRC, { supabaseShape: true });
  const sql = postgres(srcUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      create table public.raios_x (id int primary key, imagem bytea not null);
      insert into public.raios_x select i, extensions.gen_random_bytes(1024) || extensions.gen_random_bytes(1024)
        || extensions.gen_random_bytes(1024) || extensions.gen_random_bytes(1024) from generate_series(1, 30) i;
      update public.raios_x set imagem = imagem || imagem || imagem || imagem || imagem || imagem || imagem || imagem;
      update public.raios_x set imagem = imagem || imagem || imagem || imagem || imagem || imagem || imagem || imagem;
      create table public.notas (id int primary key, texto text);
      insert into public.notas select i, repeat(E'linha "citada", com vírgula\\nsegunda linha 🦷\\r\\n', 200) || i
        from generate_series(1, 400) i;`);
  } finally {
    await sql.end();
  }
  dir = mkdtempSync(join(tmpdir(), "cofre-parts-"));
});

afterAll(async () => {
  for (const db of [SRC, DST]) await dropScratchDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("table parts", () => {
  it("splits by CSV size at record boundaries and restores identical", async () => {
    const dest = new LocalDestination(dir);
    const summary = await runBackup({ sourceUrl: srcUrl, destination: dest, partSize: 1 * MiB });
    const manifest = await readManifest(dest, summary.backupId);
    const table = (name: string) => manifest.tables.find((t) => t.name === name)!;
    // 30 rows of 256 KiB each (512 KiB as hex) on a handful of heap blocks → many parts.
    expect(table("raios_x").parts.length).toBeGreaterThanOrEqual(8);
    expect(table("raios_x").rows).toBe(30);
    expect(table("notas").parts.length).toBeGreaterThan(1);
    expect(table("notas").rows).toBe(400);
    for (const e of manifest.entries.filter((e) => e.name.startsWith("data/"))) {
      expect(e.size).toBeLessThanOrEqual(1 * MiB + 600 * 1024); // the cap plus at most one row
    }
    const target = await createScratchDb(DST, { supabaseShape: true });
    const restored = await runRestore({ destination: dest, backupId: summary.backupId, targetUrl: target });
    expect(restored.rows).toBe(430);
    expect(await tableChecksums(target, ["public"])).toEqual(await tableChecksums(srcUrl, ["public"]));
  });
});
