/**
 * Serves each edge function as its own Deno process, unchanged, the way the edge runtime
 * runs it: `index.ts` calls `Deno.serve`, and DENO_SERVE_ADDRESS puts it on its port.
 */
import { join } from "node:path";
import { HOST, PORTS } from "./ports.ts";
import { ROOT } from "./paths.ts";
import { isAlive, readPid, startDaemon, stopByPid, waitFor } from "./proc.ts";

export const FUNCTION_NAMES = Object.keys(PORTS.functions) as (keyof typeof PORTS.functions)[];
const DENO = join(ROOT, "node_modules", ".bin", "deno");

export function functionUrl(name: keyof typeof PORTS.functions) {
  return `http://${HOST}:${PORTS.functions[name]}`;
}

/**
 * V8's heap for a served function, sized as measured (docs/benchmarks.md, peak RSS): the
 * engine's live heap peaks at ~17 MiB on a 2 GiB backup, but plain `deno run` lets garbage
 * pile up to 202 MiB RSS; with the old generation capped at 40 MiB and 1 MiB semi-spaces the
 * same backup peaks at 120 MiB and the restore at 108 (at the edge default level 2: 125 / 98,
 * bench/format/acceptance.ts). Supabase's edge runtime likewise runs
 * each function in an isolate with a memory limit (256 MB on the hosted platform); the exact
 * mapping to V8's flags is its own (docs/format.md §5).
 */
export const DENO_FUNCTION_V8_FLAGS = "--v8-flags=--max-old-space-size=40,--max-semi-space-size=1";

/** The permissions a function gets locally (on Supabase the edge runtime decides) and its heap. */
export const DENO_FUNCTION_FLAGS = ["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-sys", DENO_FUNCTION_V8_FLAGS];

export async function up(env: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of FUNCTION_NAMES) {
    const service = `function-${name}`;
    if (!isAlive(readPid(service))) {
      const dir = join(ROOT, "supabase", "functions", name);
      startDaemon(service, DENO, ["run", ...DENO_FUNCTION_FLAGS, "--config", join(dir, "deno.json"), join(dir, "index.ts")], {
        ...env,
        SUPABASE_DB_URL: env.DATABASE_URL ?? "",
        DENO_SERVE_ADDRESS: `tcp:${HOST}:${PORTS.functions[name]}`,
        DENO_NO_UPDATE_CHECK: "1",
      });
    }
    const url = functionUrl(name);
    await waitFor(`function ${name}`, async () => (await fetch(url, { method: "OPTIONS" })).status > 0, 120_000);
    out[`FUNCTION_${name.toUpperCase().replaceAll("-", "_")}_URL`] = url;
  }
  return out;
}

/** Stops the functions whose status name `wanted` accepts (all by default). */
export async function down(wanted: (statusName: string) => boolean = () => true) {
  for (const name of FUNCTION_NAMES) if (wanted(`function ${name}`)) await stopByPid(`function-${name}`);
}

export function status() {
  return FUNCTION_NAMES.map((name) => {
    const pid = readPid(`function-${name}`);
    return { name: `function ${name}`, pid, alive: isAlive(pid), url: functionUrl(name) };
  });
}
