#!/usr/bin/env -S node --max-semi-space-size=2
// Entry point of `npx cofre`. Runs the bundle (packages/cli/dist/cofre.mjs, see
// packages/cli/build.mjs; scripts/setup.sh builds it) when it is newer than every source file
// and the lock file; otherwise rebuilds it first (~1 s), and if that fails (esbuild missing, a
// source that does not compile) loads the TypeScript sources through tsx — so a fresh clone
// works, and an edited tree never runs a stale bundle.
//
// Memory stays bounded by configuration, not by backup size: the pipeline streams in
// bounded chunks, and a small young generation (the shebang's flag) keeps V8 from growing
// its heap far beyond what is live. The bundle saves the tsx loader's ~28 MiB on top
// (2 GiB backup: 106 vs 134 MiB peak RSS; docs/benchmarks.md).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("..", import.meta.url));
const bundle = join(cli, "dist", "cofre.mjs");
const sources = [join(cli, "src"), join(cli, "..", "shared", "src")];
/** Dependencies are bundled too: a newer lock file (npm ci) also makes the bundle stale. */
const lockFile = join(cli, "..", "..", "package-lock.json");

/** Newest modification time under `dir` (a few hundred files: a few milliseconds). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    return statSync(lockFile).mtimeMs <= built && sources.every((d) => newest(d) <= built);
  } catch {
    return false; // no bundle (fresh clone) or a source tree missing: run the sources
  }
}

/** The bundle's path if it is fresh or could be rebuilt; null to run the sources instead. */
async function freshBundle() {
  if (process.env.COFRE_NO_BUNDLE === "1") return null;
  if (bundleIsFresh()) return bundle;
  try {
    return await (await import("../build.mjs")).buildCli();
  } catch {
    return null;
  }
}

const entry = await freshBundle();
if (entry) {
  await import(entry);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/main.ts");
}
