/**
 * The local-filesystem destination of the stack (issue 5): no process, just a directory
 * (.stack/destinations/local, mode 0700) named by DEST_LOCAL, and the SSRF allowance every
 * other local destination server needs — COFRE_ALLOW_PRIVATE_HOSTS with 127.0.0.1 added to
 * whatever was there — so `source .stack/env && cofre backup --to "$DEST_SFTP"` works.
 * Alive when the directory exists; `down` leaves the directory (backups in it are data).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { HOST } from "../ports.ts";
import { STACK_DIR } from "../paths.ts";
import type { ServiceStatus, StackService } from "./contract.ts";

const DIR = join(STACK_DIR, "destinations", "local");

function allowList(current: string | undefined): string {
  const hosts = (current ?? "").split(",").map((h) => h.trim()).filter(Boolean);
  if (!hosts.includes(HOST)) hosts.push(HOST);
  return hosts.join(",");
}

export const service: StackService = {
  order: 10,
  status(): ServiceStatus[] {
    return [{ name: "local-destination", pid: null, alive: existsSync(DIR), url: pathToFileURL(DIR).href }];
  },
  async up(env) {
    mkdirSync(DIR, { recursive: true, mode: 0o700 });
    return {
      DEST_LOCAL: pathToFileURL(DIR).href,
      COFRE_ALLOW_PRIVATE_HOSTS: allowList(env.COFRE_ALLOW_PRIVATE_HOSTS),
    };
  },
  async down() {
    // Nothing runs; the directory holds backups and is kept.
  },
};
