/** Cofre's side of the benchmark: the destination opened by the registry from the stack's spec. */
import { openDestination } from "../../packages/shared/src/destinations/registry.ts";
import { contextFromEnvironment } from "../../packages/shared/src/destinations/open-context.ts";
import type { BenchClient } from "./client.ts";
import { hashAll, webBody } from "./data.ts";
import { bytesStream } from "../../packages/shared/src/destinations/contract.ts";

export async function openAdapterClient(spec: string, env: Record<string, string | undefined>): Promise<BenchClient> {
  const dest = await openDestination(spec, contextFromEnvironment((n) => env[n]));
  return {
    async putStream(key, size, seed) {
      await dest.put(key, webBody(size, seed));
    },
    async putBytes(key, bytes) {
      await dest.put(key, bytesStream(bytes));
    },
    async get(key) {
      return hashAll(await dest.get(key));
    },
    remove: (key) => dest.remove(key),
    // Adapters hold no resources a caller must release (pools close themselves when idle).
    close: async () => {},
  };
}
