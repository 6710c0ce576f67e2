/**
 * The fake Storj auth service (issue 5) for the storj destination: test/fakes/storj-auth.ts run
 * by storj-auth-main.ts on 127.0.0.1:PORTS.fakeStorjAuth. It hands out the local s3rver's
 * credentials and endpoint for the stack's access grant, so `storj://` runs end to end here.
 *
 * Adds DEST_STORJ and COFRE_STORJ_ACCESS_GRANT to .stack/env.
 */
import { request } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { HOST, PORTS } from "../ports.ts";
import { ROOT } from "../paths.ts";
import { isAlive, readPid, startDaemon, stopByPid, waitFor } from "../proc.ts";
import type { ServiceStatus, StackService } from "./contract.ts";

const NAME = "fake-storj-auth";
export const STORJ_AUTH_URL = `http://${HOST}:${PORTS.fakeStorjAuth}`;
/** The local stack's access grant (not a real Storj grant: the fake knows it by name). */
export const STACK_STORJ_GRANT = "cofre-local-stack-access-grant";
/** A grant the fake registers but whose credentials the gateway refuses. */
export const STACK_STORJ_REVOKED_GRANT = "cofre-local-stack-revoked-grant";

function live(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port: PORTS.fakeStorjAuth, path: "/v1/health/live", timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export const service: StackService = {
  order: 20,
  status(): ServiceStatus[] {
    const pid = readPid(NAME);
    return [{ name: NAME, pid, alive: isAlive(pid), url: STORJ_AUTH_URL }];
  },
  async up() {
    if (!isAlive(readPid(NAME))) {
      const loader = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
      startDaemon(NAME, process.execPath, ["--import", loader, join(ROOT, "scripts", "stack", "services", "storj-auth-main.ts")]);
    }
    await waitFor(NAME, live);
    return {
      DEST_STORJ: `storj://cofre-storj/backups?auth=${encodeURIComponent(STORJ_AUTH_URL)}`,
      COFRE_STORJ_ACCESS_GRANT: STACK_STORJ_GRANT,
    };
  },
  async down(wanted) {
    if (wanted(NAME)) await stopByPid(NAME);
  },
};
