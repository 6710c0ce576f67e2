/**
 * `restore` — restores a backup from the named destination into this project's database
 * (SUPABASE_DB_URL), with the same core as `cofre restore`: one transaction, every entry
 * verified; whole, selected tables, one tenant, under a new schema name, or into the live
 * database after a dry run (`dryRun`, then `apply` with its id) — docs/restore.md. Encrypted
 * backups open with the COFRE_BACKUP_PASSPHRASE secret. Callers: the service role only,
 * until per-user RLS on restores arrives.
 */
import { RunRestoreRequest } from "../../../packages/shared/src/config/run-request.ts";
import { runRestore } from "../../../packages/shared/src/engine/restore.ts";
import { openDestination } from "../../../packages/shared/src/destinations/registry.ts";
import { type Handler, jsonResponse, parseJsonBody, postHandler } from "../_shared/http.ts";
import { requireServiceRole } from "../_shared/auth.ts";
import { type FunctionEnv, functionEnv, requireDatabaseUrl } from "../_shared/env.ts";

export function makeHandler(env: FunctionEnv): Handler {
  return postHandler(async (req) => {
    const denied = requireServiceRole(req, env.serviceRoleKey);
    if (denied) return denied;
    const parsed = await parseJsonBody(req, RunRestoreRequest);
    if (!parsed.ok) return parsed.response;
    const summary = await runRestore({
      destination: await openDestination(parsed.data.destination),
      backupId: parsed.data.backupId,
      targetUrl: requireDatabaseUrl(env.databaseUrl),
      passphrase: env.passphrase,
      tables: parsed.data.tables,
      withDependencies: parsed.data.withDependencies,
      tenant: parsed.data.tenant,
      recreateOtherTenantParents: parsed.data.recreateOtherTenantParents,
      intoSchema: parsed.data.intoSchema,
      dryRun: parsed.data.dryRun,
      apply: parsed.data.apply,
      storage: parsed.data.storage,
    });
    return jsonResponse({ restore: summary });
  });
}

export const handler: Handler = makeHandler(functionEnv());
