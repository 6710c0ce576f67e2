/**
 * `npm run stack:up | stack:down | stack:status` — the local, Supabase-shaped stack.
 * Starts only what is not running, records real PIDs, and stops only what it started.
 */
import * as postgres from "./postgres.ts";
import * as functions from "./functions.ts";
import { readEnvFile, writeEnvFile } from "./env.ts";
import { ENV_FILE } from "./paths.ts";

async function up() {
  const env: Record<string, string> = { ...(await postgres.up()) };
  Object.assign(env, await functions.up(env));
  writeEnvFile(env);
  printStatus();
  console.log(`\nenv: ${ENV_FILE}`);
}

async function down() {
  await functions.down();
  await postgres.down();
  console.log("stack stopped");
}

function printStatus() {
  const rows = [postgres.status(), ...functions.status()];
  for (const r of rows) {
    console.log(`${r.alive ? "●" : "○"} ${r.name.padEnd(28)} ${r.alive ? `pid ${r.pid}` : "stopped"}  ${r.url}`);
  }
  return rows.every((r) => r.alive);
}

const cmd = process.argv[2];
try {
  if (cmd === "up") await up();
  else if (cmd === "down") await down();
  else if (cmd === "status") {
    const ok = printStatus();
    if (Object.keys(readEnvFile()).length) console.log(`\nenv: ${ENV_FILE}`);
    process.exitCode = ok ? 0 : 3;
  } else {
    console.error("usage: stack/main.ts up|down|status");
    process.exitCode = 2;
  }
} catch (e) {
  console.error(`[stack] ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
