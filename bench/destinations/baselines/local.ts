/**
 * Plain client for `file://`: node:fs streams (createWriteStream / createReadStream with
 * pipeline), written straight under the final name — no temporary name, no fsync, no rename,
 * which is what the adapter adds for atomicity and durability.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pipeline } from "node:stream/promises";
import type { BenchClient } from "../client.ts";
import { hashAll, nodeBody } from "../data.ts";

export async function openLocalBaseline(spec: string): Promise<BenchClient> {
  const root = fileURLToPath(spec);
  await mkdir(root, { recursive: true, mode: 0o700 });
  return {
    putStream: (key, size, seed) => pipeline(nodeBody(size, seed), createWriteStream(join(root, key))),
    putBytes: (key, bytes) => writeFile(join(root, key), bytes),
    get: (key) => hashAll(createReadStream(join(root, key))),
    remove: (key) => rm(join(root, key), { force: true }),
    close: async () => {},
  };
}
