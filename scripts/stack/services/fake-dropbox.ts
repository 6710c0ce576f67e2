/**
 * The Dropbox FAKE of the local stack (issue 5): test/fakes/dropbox.ts run as a daemon on
 * 127.0.0.1:PORTS.fakeDropbox, data under .stack/fakes/dropbox. It is not Dropbox: a local HTTP
 * server following Dropbox's documented API, so `dropbox://` runs end to end here.
 *
 * Adds DEST_DROPBOX and COFRE_DROPBOX_APP_KEY / _APP_SECRET / _REFRESH_TOKEN (the fake's stack account) to .stack/env.
 */
import { request } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DROPBOX_STACK_ACCOUNT } from "../../../test/fakes/dropbox.ts";
import { HOST, PORTS } from "../ports.ts";
import { ROOT, STACK_DIR } from "../paths.ts";
import { isAlive, readPid, startDaemon, stopByPid, waitFor } from "../proc.ts";
import type { ServiceStatus, StackService } from "./contract.ts";

const NAME = "fake-dropbox";
const URL = `http://${HOST}:${PORTS.fakeDropbox}`;

function live(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port: PORTS.fakeDropbox, path: "/__fake/health", timeout: 1000 }, (res) => {
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
    return [{ name: NAME, pid, alive: isAlive(pid), url: `${URL} (FAKE Dropbox API, not the real service)` }];
  },
  async up() {
    if (!isAlive(readPid(NAME))) {
      const loader = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
      startDaemon(NAME, process.execPath, [
        "--import", loader, join(ROOT, "test", "fakes", "dropbox.ts"),
        "--port", String(PORTS.fakeDropbox), "--dir", join(STACK_DIR, "fakes", "dropbox"),
      ]);
    }
    await waitFor(NAME, live);
    return {
      DEST_DROPBOX: `dropbox:///Ortho%2B%20Backups?api=${URL}`,
      COFRE_DROPBOX_APP_KEY: DROPBOX_STACK_ACCOUNT.clientId,
      COFRE_DROPBOX_APP_SECRET: DROPBOX_STACK_ACCOUNT.clientSecret,
      COFRE_DROPBOX_REFRESH_TOKEN: DROPBOX_STACK_ACCOUNT.refreshToken,
    };
  },
  async down(wanted) {
    if (wanted(NAME)) await stopByPid(NAME);
  },
};
