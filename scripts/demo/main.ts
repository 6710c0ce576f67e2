/**
 * `npm start`'s main job: seed the demo clinic database, back it up with `cofre backup` to a
 * local folder, restore it with `cofre restore` into a fresh database, and prove the two are
 * identical. Every step is the real CLI over the real stack.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, STACK_DIR } from "../stack/paths.ts";
import { createScratchDb, stackEnv } from "../stack/databases.ts";
import { seedDemo } from "../seed/seed.ts";
import { schemaOnlyDump, tableChecksums } from "./compare.ts";

const RESTORE_DB = "cofre_demo_restore";
const BACKUP_DIR = join(STACK_DIR, "backups");
const CLI = join(ROOT, "packages", "cli", "bin", "cofre.mjs");

function step(title: string) {
  console.log(`\n\x1b[1m▸ ${title}\x1b[0m`);
}

/** Runs the real CLI; database URLs go through the environment (`--db-env`), never argv. */
function cofre(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(CLI, args, { stdio: "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`cofre ${args[0]} failed (exit ${r.status})`);
}

async function main() {
  const env = stackEnv();
  const scale = Number(process.env.COFRE_DEMO_SCALE ?? "1");

  step(`Semeando o banco de demonstração da Ortho+ (escala ${scale})`);
  const seeded = await seedDemo({ url: env.DATABASE_URL, scale, seed: 1 });
  console.log(`  ${seeded.tables.length} tabelas, ${seeded.totalRows.toLocaleString("pt-BR")} linhas, ${(seeded.totalBytes / 1e6).toFixed(1)} MB`);

  step(`Backup completo → file://${BACKUP_DIR}`);
  cofre(["backup", "--db-env", "COFRE_DEMO_SOURCE_URL", "--to", `file://${BACKUP_DIR}`], { COFRE_DEMO_SOURCE_URL: env.DATABASE_URL });

  step(`Restauração do último backup → banco vazio ${RESTORE_DB}`);
  const target = await createScratchDb(RESTORE_DB, { supabaseShape: true });
  cofre(["restore", "--from", `file://${BACKUP_DIR}`, "--backup", "latest", "--db-env", "COFRE_DEMO_TARGET_URL"], { COFRE_DEMO_TARGET_URL: target });

  step("Comparando origem e restauração");
  const sameSchema = schemaOnlyDump(env.DATABASE_URL, ["public"]) === schemaOnlyDump(target, ["public"]);
  const [src, dst] = await Promise.all([tableChecksums(env.DATABASE_URL, ["public"]), tableChecksums(target, ["public"])]);
  const excluded = new Set(["public._temp_import_batches", "public.report_cache"]);
  const differing = src.filter((t) => {
    const back = dst.find((d) => d.table === t.table);
    return excluded.has(t.table) ? back?.rows !== 0 : back?.checksum !== t.checksum || back.rows !== t.rows;
  });
  console.log(`  pg_dump --schema-only: ${sameSchema ? "idêntico ✓" : "DIFERENTE ✗"}`);
  console.log(`  tabelas com as mesmas linhas (soma ordenada): ${src.length - differing.length}/${src.length}${differing.length ? ` ✗ ${differing.map((t) => t.table).join(", ")}` : " ✓"}`);
  console.log(`  (${[...excluded].join(", ")}: dados excluídos por padrão, estrutura restaurada)`);
  if (!sameSchema || differing.length) throw new Error("the restored database differs from the source");

  step("Pilha local em execução");
  console.log(`  banco:        ${env.DATABASE_URL}`);
  console.log(`  restaurado:   ${target}`);
  for (const [k, v] of Object.entries(env)) if (k.startsWith("FUNCTION_")) console.log(`  ${k}: ${v}`);
  console.log(`  backups:      ${BACKUP_DIR}`);
  console.log(`  variáveis:    source .stack/env`);
  console.log("\n  Para parar: npm run stack:down");
}

main().catch((e) => {
  console.error(`\n✗ ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
