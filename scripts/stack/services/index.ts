/** Finds every service module of this directory (see contract.ts), in start order. */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { StackService } from "./contract.ts";

const DIR = dirname(fileURLToPath(import.meta.url));
const NOT_SERVICES = new Set(["contract.ts", "index.ts"]);

export async function loadServices(): Promise<StackService[]> {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".ts") && !NOT_SERVICES.has(f)).sort();
  const services: StackService[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(DIR, f)).href)) as { service?: StackService };
    if (!mod.service) throw new Error(`scripts/stack/services/${f} does not export \`service\``);
    services.push(mod.service);
  }
  return services.sort((a, b) => a.order - b.order);
}
