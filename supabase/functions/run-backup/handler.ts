/**
 * `run-backup` — backs up this project's database (SUPABASE_DB_URL) to the destination the
 * request names, with the same core as `cofre backup`, and answers the backup's summary.
 * Callers: the service role only, until queued runs with per-user RLS arrive.
 */
import { RunBackupRequest } from "../../../packages/shared/src/config/run-request.ts";
import { runBackup } from "../../../packages/shared/src/engine/backup.ts";
import { openDestination } from "../../../packages/shared/src/destinations/registry.ts";
import { CofreError } from "../../../packages/shared/src/errors.ts";
import { type Handler, jsonResponse, parseJsonBody, postHandler } from "../_shared/http.ts";
import { requireServiceRole } from "../_shared/auth.ts";

export interface RunBackupEnv {
  databaseUrl: string | undefined;
  serviceRoleKey: string | undefined;
}

export function makeHandler(env: RunBackupEnv): Handler {
  return postHandler(async (req) => {
    const denied = requireServiceRole(req, env.serviceRoleKey);
    if (denied) return denied;
    const parsed = await parseJsonBody(req, RunBackupRequest);
    if (!parsed.ok) return parsed.response;
    if (!env.databaseUrl) {
      throw new CofreError("SOURCE_CONNECTION", {
        "pt-BR": "A função não tem SUPABASE_DB_URL configurada.",
        en: "The function has no SUPABASE_DB_URL configured.",
      });
    }
    const { destination, ...opts } = parsed.data;
    const summary = await runBackup({ sourceUrl: env.databaseUrl, destination: openDestination(destination), ...opts });
    return jsonResponse({ backup: summary });
  });
}

export const handler: Handler = makeHandler({
  databaseUrl: Deno.env.get("SUPABASE_DB_URL"),
  serviceRoleKey: Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"),
});
