/**
 * `run-backup` — backs up this project's database (SUPABASE_DB_URL) to the destination the
 * request names, with the same core as `cofre backup`, and answers the backup's summary.
 * With `encrypt: true` the backup is sealed with the COFRE_BACKUP_PASSPHRASE secret.
 * Callers: the service role only, until queued runs with per-user RLS arrive.
 *
 * Deflate level: EDGE_COMPRESSION_LEVEL unless the request sets `compressionLevel` — an edge
 * invocation has ~1–2 s of CPU, and level 2 moves ~1.6× the data of level 6 per CPU-second
 * for ~15 % more stored bytes (docs/format.md §5). The CLI and worker keep the engine's 6.
 */
import { RunBackupRequest } from "../../../packages/shared/src/config/run-request.ts";
import { runBackup } from "../../../packages/shared/src/engine/backup.ts";
import { openDestination } from "../../../packages/shared/src/destinations/registry.ts";
import { type Handler, jsonResponse, parseJsonBody, postHandler } from "../_shared/http.ts";
import { requireServiceRole } from "../_shared/auth.ts";
import { backupPassphrase, type FunctionEnv, functionEnv, requireDatabaseUrl } from "../_shared/env.ts";

/** The edge path's default deflate level (docs/format.md §5). */
export const EDGE_COMPRESSION_LEVEL = 2;

export function makeHandler(env: FunctionEnv): Handler {
  return postHandler(async (req) => {
    const denied = requireServiceRole(req, env.serviceRoleKey);
    if (denied) return denied;
    const parsed = await parseJsonBody(req, RunBackupRequest);
    if (!parsed.ok) return parsed.response;
    const { destination, encrypt, compressionLevel, ...opts } = parsed.data;
    const summary = await runBackup({
      sourceUrl: requireDatabaseUrl(env.databaseUrl),
      destination: await openDestination(destination),
      passphrase: encrypt ? backupPassphrase(env.passphrase) : undefined,
      ...opts,
      compressionLevel: compressionLevel ?? EDGE_COMPRESSION_LEVEL,
    });
    return jsonResponse({ backup: summary });
  });
}

export const handler: Handler = makeHandler(functionEnv());
