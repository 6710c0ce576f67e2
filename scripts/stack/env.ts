import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ENV_FILE } from "./paths.ts";

/** Reads `.stack/env` (KEY='value' lines, shell-sourceable). Missing file → empty record. */
export function readEnvFile(file = ENV_FILE): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replaceAll(`'\\''`, "'");
  }
  return out;
}

export function writeEnvFile(vars: Record<string, string>, file = ENV_FILE) {
  mkdirSync(dirname(file), { recursive: true });
  const body = Object.entries(vars)
    .map(([k, v]) => `${k}='${v.replaceAll("'", `'\\''`)}'`)
    .join("\n");
  writeFileSync(file, `# Written by \`npm run stack:up\`; \`source .stack/env\` to use it.\n${body}\n`, { mode: 0o600 });
}
