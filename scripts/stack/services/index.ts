/** Finds every service module of this directory (see contract.ts), in start order. */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { StackService } from "./contract.ts";

const DIR = dirname(fileURLToPath(import.meta.url));
const NOT_SERVICES = new Set(["contract.ts", "index.ts"]);

/**
 * A module that fails to load does not keep the others from starting; its error is returned
 * in `broken`, and main.ts exits non-zero after starting the rest.
 */
export async function loadServices(): Promise<{ services: StackService[]; broken: string[] }> {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".ts") && !f.endsWith("-main.ts") && !NOT_SERVICES.has(f)).sort();
  const services: StackService[] = [];
  const broken: string[] = [];
  for (const f of files) {
    try {
      const mod = (await import(pathToFileURL(join(DIR, f)).href)) as { service?: StackService };
      if (!mod.service) throw new Error("does not export `service`");
      services.push(mod.service);
    } catch (e) {
      broken.push(`scripts/stack/services/${f}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { services: services.sort((a, b) => a.order - b.order), broken };
}
