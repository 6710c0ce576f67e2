/**
 * One stack service for "a local HTTP fake run as a tsx daemon" (the Google Drive, Dropbox
 * and Storj auth fakes of scripts/stack/services/): start the script under tsx when its PID
 * is not alive, wait until its health path answers 200 on 127.0.0.1:`port`, return the
 * variables it adds to .stack/env; stop it by its recorded PID.
 *
 * Lives outside services/ on purpose: index.ts loads every other file there as a service.
 * A fake with data gets `--port N --dir .stack/fakes/<dataDir>`; .stack/fakes is made 0700
 * here (the fakes make their own data dirs 0700 and files 0600, test/fakes/http-fake.ts).
 */
import { chmodSync, mkdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { HOST } from "./ports.ts";
import { ROOT, STACK_DIR } from "./paths.ts";
import { isAlive, readPid, startDaemon, stopByPid, waitFor } from "./proc.ts";
import type { ServiceStatus, StackService } from "./services/contract.ts";

export interface HttpFakeServiceOptions {
  /** Status and PID-file name, e.g. "fake-gdrive". */
  name: string;
  port: number;
  /** GET path answering 200 once the fake is ready. */
  healthPath: string;
  /** The daemon's entry point, relative to the repository root. */
  script: string;
  /** With data: its directory under .stack/fakes (passed as --port/--dir). Without: no arguments. */
  dataDir?: string;
  /** What `status` shows after the URL. */
  label?: string;
  /** The variables `up` adds to .stack/env once the fake answers. */
  env: (url: string) => Record<string, string>;
}

/** True when GET http://127.0.0.1:`port``path` answers 200 within a second. */
export function answers(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port, path, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export function httpFakeService(o: HttpFakeServiceOptions): StackService {
  const url = `http://${HOST}:${o.port}`;
  return {
    order: 20,
    status(): ServiceStatus[] {
      const pid = readPid(o.name);
      return [{ name: o.name, pid, alive: isAlive(pid), url: o.label ? `${url} (${o.label})` : url }];
    },
    async up() {
      if (!isAlive(readPid(o.name))) {
        const loader = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
        let args: string[] = [];
        if (o.dataDir) {
          const fakes = join(STACK_DIR, "fakes");
          mkdirSync(fakes, { recursive: true, mode: 0o700 });
          chmodSync(fakes, 0o700);
          args = ["--port", String(o.port), "--dir", join(fakes, o.dataDir)];
        }
        startDaemon(o.name, process.execPath, ["--import", loader, join(ROOT, o.script), ...args]);
      }
      await waitFor(o.name, () => answers(o.port, o.healthPath));
      return o.env(url);
    },
    async down(wanted) {
      if (wanted(o.name)) await stopByPid(o.name);
    },
  };
}
