/**
 * The Google Drive FAKE of the local stack (issue 5): test/fakes/gdrive.ts run as a daemon on
 * 127.0.0.1:PORTS.fakeGdrive, data under .stack/fakes/gdrive. It is not Google Drive: a local HTTP
 * server following Google Drive's documented API, so `gdrive://` runs end to end here.
 *
 * Adds DEST_GDRIVE and COFRE_GDRIVE_CLIENT_ID / _CLIENT_SECRET / _REFRESH_TOKEN (the fake's stack account) to .stack/env.
 */
import { request } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { GDRIVE_STACK_ACCOUNT } from "../../../test/fakes/gdrive.ts";
import { HOST, PORTS } from "../ports.ts";
import { ROOT, STACK_DIR } from "../paths.ts";
import { isAlive, readPid, startDaemon, stopByPid, waitFor } from "../proc.ts";
import type { ServiceStatus, StackService } from "./contract.ts";

const NAME = "fake-gdrive";
const URL = `http://${HOST}:${PORTS.fakeGdrive}`;

function live(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port: PORTS.fakeGdrive, path: "/__fake/health", timeout: 1000 }, (res) => {
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
    return [{ name: NAME, pid, alive: isAlive(pid), url: `${URL} (FAKE Google Drive API, not the real service)` }];
  },
  async up() {
    if (!isAlive(readPid(NAME))) {
      const loader = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
      startDaemon(NAME, process.execPath, [
        "--import", loader, join(ROOT, "test", "fakes", "gdrive.ts"),
        "--port", String(PORTS.fakeGdrive), "--dir", join(STACK_DIR, "fakes", "gdrive"),
      ]);
    }
    await waitFor(NAME, live);
    return {
      DEST_GDRIVE: `gdrive://Ortho%2B%20Backups?api=${URL}`,
      COFRE_GDRIVE_CLIENT_ID: GDRIVE_STACK_ACCOUNT.clientId,
      COFRE_GDRIVE_CLIENT_SECRET: GDRIVE_STACK_ACCOUNT.clientSecret,
      COFRE_GDRIVE_REFRESH_TOKEN: GDRIVE_STACK_ACCOUNT.refreshToken,
    };
  },
  async down(wanted) {
    if (wanted(NAME)) await stopByPid(NAME);
  },
};
