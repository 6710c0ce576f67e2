/**
 * `npm run stack:up | stack:down | stack:status` — the local, Supabase-shaped stack.
 * Starts only what is not running, records real PIDs, and stops only what it started.
 *
 *   up   [--record FILE]  start what is missing; with --record, write the names of the
 *                         services this call started (one per line)
 *   down [--only FILE]    stop every service, or only those named in FILE
 *   status                exit 0 when every service runs, 3 otherwise
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as postgres from "./postgres.ts";
import * as functions from "./functions.ts";
import { readEnvFile, writeEnvFile } from "./env.ts";
import { stackKeys } from "./keys.ts";
import { ENV_FILE } from "./paths.ts";
import { loadServices } from "./services/index.ts";
import type { ServiceStatus } from "./services/contract.ts";

const { services, broken } = await loadServices();
for (const b of broken) console.error(`[stack] service module not loaded: ${b}`);

function statuses(): ServiceStatus[] {
  return [postgres.status(), ...functions.status(), ...services.flatMap((s) => s.status())];
}

function option(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function up() {
  const before = new Set(statuses().filter((s) => s.alive).map((s) => s.name));
  const env: Record<string, string> = { ...(await postgres.up()), ...stackKeys() };
  Object.assign(env, await functions.up(env));
  for (const s of services) Object.assign(env, await s.up(env));
  writeEnvFile(env);
  const record = option("--record");
  if (record) {
    const started = statuses().filter((s) => s.alive && !before.has(s.name)).map((s) => s.name);
    writeFileSync(record, started.map((n) => `${n}\n`).join(""));
  }
  printStatus();
  console.log(`\nenv: ${ENV_FILE}`);
  if (broken.length) throw new Error(`${broken.length} service module(s) could not be loaded (see above)`);
}

async function down() {
  const only = option("--only");
  const names = only ? new Set(readFileSync(only, "utf8").split("\n").filter(Boolean)) : null;
  const wanted = (name: string) => names === null || names.has(name);
  for (const s of [...services].reverse()) await s.down(wanted);
  await functions.down(wanted);
  if (wanted(postgres.status().name)) await postgres.down();
  console.log(names ? `stopped: ${[...names].join(", ") || "nothing"}` : "stack stopped");
}

function printStatus() {
  const rows = statuses();
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
    console.error("usage: stack/main.ts up [--record FILE] | down [--only FILE] | status");
    process.exitCode = 2;
  }
} catch (e) {
  console.error(`[stack] ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
