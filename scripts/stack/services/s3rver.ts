/**
 * s3rver for the S3-family destinations (issue 5): one s3rver 3.7.1 on 127.0.0.1:PORTS.s3rver
 * (run by s3rver-main.ts under Node, data in .stack/s3rver) serving three buckets — one each for
 * the s3, supabase-storage and storj kinds. Credentials are s3rver's built-in S3RVER/S3RVER.
 *
 * Adds DEST_S3, DEST_SUPABASE_STORAGE and their COFRE_S3_* / COFRE_SUPABASE_STORAGE_*
 * credentials to .stack/env (DEST_STORJ comes from storj-auth.ts, whose fake auth service hands
 * out these same credentials).
 */
import { request } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { HOST, PORTS } from "../ports.ts";
import { ROOT } from "../paths.ts";
import { isAlive, readPid, startDaemon, stopByPid, waitFor } from "../proc.ts";
import type { ServiceStatus, StackService } from "./contract.ts";

const NAME = "s3rver";
export const S3RVER_URL = `http://${HOST}:${PORTS.s3rver}`;
/** s3rver's built-in account (lib/models/account.js). */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/** True when something answers S3 on the port (an unsigned ListBuckets gets 403 AccessDenied from s3rver). */
function answers(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port: PORTS.s3rver, path: "/", method: "GET", timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.headers["x-amz-request-id"] !== undefined || res.statusCode === 403 || res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export const service: StackService = {
  order: 10,
  status(): ServiceStatus[] {
    const pid = readPid(NAME);
    return [{ name: NAME, pid, alive: isAlive(pid), url: S3RVER_URL }];
  },
  async up() {
    if (!isAlive(readPid(NAME))) {
      const loader = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
      // s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES (lib/controllers/bucket.js),
      // which OpenSSL 3 (Node >= 17) only offers through its legacy provider: without this flag
      // every truncated listing answers 500 InternalError ("digital envelope routines::unsupported").
      startDaemon(NAME, process.execPath, [
        "--openssl-legacy-provider", "--import", loader, join(ROOT, "scripts", "stack", "services", "s3rver-main.ts"),
      ]);
    }
    await waitFor(NAME, answers);
    const { accessKeyId, secretAccessKey } = S3RVER_CREDENTIALS;
    return {
      DEST_S3: `s3://cofre-s3/backups?region=us-east-1&endpoint=${encodeURIComponent(S3RVER_URL)}`,
      COFRE_S3_ACCESS_KEY_ID: accessKeyId,
      COFRE_S3_SECRET_ACCESS_KEY: secretAccessKey,
      DEST_SUPABASE_STORAGE: `supabase-storage://cofre-supabase/backups?region=us-east-1&endpoint=${encodeURIComponent(`${S3RVER_URL}/storage/v1/s3`)}`,
      COFRE_SUPABASE_STORAGE_ACCESS_KEY_ID: accessKeyId,
      COFRE_SUPABASE_STORAGE_SECRET_ACCESS_KEY: secretAccessKey,
      // The same endpoint as a Storage SOURCE (`cofre backup --buckets …`, docs/storage-source.md).
      COFRE_SUPABASE_STORAGE_ENDPOINT: `${S3RVER_URL}/storage/v1/s3?region=us-east-1`,
    };
  },
  async down(wanted) {
    if (wanted(NAME)) await stopByPid(NAME);
  },
};
