/**
 * The s3rver daemon of the local stack (started by s3rver.ts through startDaemon; stopped by
 * PID). s3rver 3.7.1 on 127.0.0.1:PORTS.s3rver, data under .stack/s3rver, the destination
 * buckets created at start, credentials S3RVER/S3RVER (s3rver's built-in account).
 *
 * Supabase Storage serves its S3 protocol under a path (`https://<ref>.supabase.co/storage/v1/s3`,
 * https://supabase.com/docs/guides/storage/s3/authentication), so the same s3rver also answers
 * below `/storage/v1/s3`: the supabase-storage adapter then runs with an endpoint of the shape
 * it meets in production. s3rver itself does not verify SigV4 signatures, so stripping the
 * path prefix here changes nothing it checks.
 */
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
// s3rver ships no types; its constructor and callback() are all this uses.
// @ts-expect-error -- untyped CommonJS module
import S3rver from "s3rver";
import { HOST, PORTS } from "../ports.ts";
import { STACK_DIR } from "../paths.ts";

export const S3RVER_DIR = join(STACK_DIR, "s3rver");
export const S3RVER_BUCKETS = ["cofre-s3", "cofre-supabase", "cofre-storj"] as const;
export const SUPABASE_S3_PATH = "/storage/v1/s3";

mkdirSync(S3RVER_DIR, { recursive: true, mode: 0o700 });
const s3rver = new S3rver({
  silent: true,
  directory: S3RVER_DIR,
  configureBuckets: S3RVER_BUCKETS.map((name) => ({ name })),
}) as { configureBuckets(): Promise<void>; callback(): (req: unknown, res: unknown) => void };
await s3rver.configureBuckets();
const handle = s3rver.callback();

const server = createServer((req, res) => {
  if (req.url === SUPABASE_S3_PATH || req.url?.startsWith(`${SUPABASE_S3_PATH}/`) || req.url?.startsWith(`${SUPABASE_S3_PATH}?`)) {
    req.url = req.url.slice(SUPABASE_S3_PATH.length) || "/";
  }
  handle(req, res);
});
server.listen(PORTS.s3rver, HOST, () => console.log(`s3rver listening on http://${HOST}:${PORTS.s3rver}`));
for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => server.close(() => process.exit(0)));
