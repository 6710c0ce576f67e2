#!/usr/bin/env node
// Bundles the CLI (packages/cli/src + @cofre/shared + their npm dependencies) into
// packages/cli/dist/cofre.mjs plus one lazily loaded chunk per destination kind, with esbuild
// (installed with tsx). bin/cofre.mjs runs the bundle when it is newer than every source file
// and the lock file, and otherwise rebuilds it first (or, if that fails, loads the sources
// through tsx) — so a fresh clone works before any build and a stale bundle never runs.
//
// Why: without the tsx loader in the process, peak RSS of a 2 GiB backup is 106 instead of
// 134 MiB, and start-up takes ~0.4 s instead of ~2 s (docs/benchmarks.md).
//
//   node packages/cli/build.mjs          (scripts/setup.sh runs it)
import { build } from "esbuild";
import { mkdirSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const BUNDLE = join(here, "dist", "cofre.mjs");

/**
 * Builds in memory, then writes each file to a temporary name and renames it into place,
 * chunks first and the entry last: concurrent builds (parallel tests starting the CLI) write
 * identical, content-named files, and a reader never sees a partial one.
 */
export async function buildCli() {
  const started = new Date();
  const result = await build({
    entryPoints: { cofre: join(here, "src", "main.ts") },
    outdir: dirname(BUNDLE),
    outExtension: { ".js": ".mjs" },
    // Destinations are imported on demand (registry.ts): separate chunks keep the AWS SDK,
    // googleapis, ssh2… out of memory unless the job uses them.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Some dependencies (ssh2, the AWS SDK) still call require(); give the bundle one.
    banner: { js: "import { createRequire as __cofreRequire } from 'node:module'; const require = __cofreRequire(import.meta.url);" },
    // ssh2's optional native crypto binding and cpu-features are loaded in try/catch; leave them
    // out. ssh2 itself stays in node_modules: it resolves files next to its own sources
    // (__dirname), which a bundle cannot give it.
    external: ["cpu-features", "*.node", "ssh2"],
    write: false,
    logLevel: "silent",
    legalComments: "none",
  });
  const files = [...result.outputFiles].sort((a, b) => (a.path === BUNDLE) - (b.path === BUNDLE));
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true });
    const temp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(temp, f.contents);
    renameSync(temp, f.path);
  }
  // The bundle is as old as the sources it read: one edited during the build makes it stale.
  utimesSync(BUNDLE, started, started);
  return BUNDLE;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await buildCli();
  console.log(`[cofre] bundled the CLI into ${BUNDLE}`);
}
