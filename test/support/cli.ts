import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../../scripts/stack/paths.ts";

const BIN = join(ROOT, "packages", "cli", "bin", "cofre.mjs");

/** Runs the real `cofre` command line (as `npx cofre` would) and returns what it printed. */
export function cofre(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(BIN, args, {
    encoding: "utf8",
    env: { ...process.env, COFRE_LANG: "pt-BR", ...env },
    timeout: 300_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
