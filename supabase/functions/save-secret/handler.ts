/**
 * `save-secret` — the one way a write-only secret enters Cofre from the tab: a destination's
 * credentials or a schedule's encryption passphrase.
 *
 * POST, `Authorization: Bearer <the user's access token>`, body (zod, strict):
 *   { "target": "<destination id>", "kind": "credentials", "values": { "<field>": "<value>", … } }
 *   { "target": "<schedule id>",    "kind": "passphrase",  "value": "<12 to 1024 characters>" }
 * 200 → { "target", "kind", "hint": "…EKEY", "set_at": "<ISO time>" } — the hint is all the tab
 * ever sees again (packages/shared/src/secrets/hint.ts).
 *
 * 1. The access token is verified here (requireUser: HS256 under the project's JWT secret,
 *    SUPABASE_JWT_SECRET or COFRE_JWT_SECRET); its `sub`
 *    is the acting user. Missing/invalid/expired/anon → 401 UNAUTHORIZED.
 * 2. writeSecret (packages/shared/src/secrets/store.ts), as service_role in one transaction:
 *    seals the secret with AES-256-GCM under COFRE_SECRET_KEY and calls cofre.put_sealed_secret,
 *    or hands it to Vault (cofre.put_vault_secret) where Vault is installed. The RPC checks that
 *    the acting user is an admin of the target's clinic: viewers, operators, another clinic's
 *    admins and unknown ids all get the same 403 PERMISSION_DENIED (same body), so nothing about
 *    another clinic's ids can be learnt here.
 *
 * The secret is never logged, never echoed: validation errors list field paths and zod's
 * messages only, database errors are rebuilt from SQLSTATE and message (store.ts), anything
 * else is a generic 500.
 */
import { z } from "zod";
import postgres from "postgres";
import type { Db } from "../../../packages/shared/src/sources/postgres/db.ts";
import {
  CredentialFields, credentialsSecret, parseSecretKey, SECRET_KEY_ENV, secretHint, type SecretKey, writeSecret,
  type SecretOwner,
} from "../../../packages/shared/src/secrets/mod.ts";
import { type Handler, jsonResponse, parseJsonBody, postHandler } from "../_shared/http.ts";
import { requireUser } from "../_shared/auth.ts";
import { requireDatabaseUrl } from "../_shared/env.ts";

/** The request body. `target` names a destination for credentials, a schedule for a passphrase. */
export const SaveSecretRequest = z.discriminatedUnion("kind", [
  z.object({ target: z.string().uuid(), kind: z.literal("credentials"), values: CredentialFields }).strict(),
  z.object({ target: z.string().uuid(), kind: z.literal("passphrase"), value: z.string().min(12).max(1024) }).strict(),
]);
export type SaveSecretRequest = z.infer<typeof SaveSecretRequest>;

/** The 200 body: the hint and when it was set, never the secret. */
export interface SaveSecretResponse {
  target: string;
  kind: SaveSecretRequest["kind"];
  hint: string;
  set_at: string;
}

/** Largest body read; the stored text itself is limited to 65536 characters (writeSecret checks). */
const MAX_BODY_BYTES = 256 * 1024;

export interface SaveSecretDeps {
  /** The project's JWT secret (HS256), to verify users' access tokens. */
  jwtSecret: string | undefined;
  /** The functions' sealing key; null where none is configured (then only a Vault database works). */
  secretKey: () => Promise<SecretKey | null>;
  /** Runs `fn` on a connection acting as service_role, in one transaction. */
  asServiceRole: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}

export function makeHandler(deps: SaveSecretDeps): Handler {
  return postHandler(async (req) => {
    const auth = await requireUser(req, deps.jwtSecret);
    if (!auth.ok) return auth.response;
    const parsed = await parseJsonBody(req, SaveSecretRequest, { maxBytes: MAX_BODY_BYTES });
    if (!parsed.ok) return parsed.response;
    const body = parsed.data;
    const owner: SecretOwner = body.kind === "credentials"
      ? { type: "destination", id: body.target.toLowerCase() }
      : { type: "schedule", id: body.target.toLowerCase() };
    const secret = body.kind === "credentials" ? credentialsSecret(body.values) : body.value;
    const key = await deps.secretKey();
    const setAt = await deps.asServiceRole((db) => writeSecret(db, { owner, actorId: auth.user.userId, secret }, key));
    const out: SaveSecretResponse = { target: owner.id, kind: body.kind, hint: secretHint(secret), set_at: setAt.toISOString() };
    return jsonResponse(out);
  });
}

/** The function as deployed: SUPABASE_DB_URL, SUPABASE_JWT_SECRET (or COFRE_JWT_SECRET) and COFRE_SECRET_KEY from its environment. */
function deployedDeps(): SaveSecretDeps {
  let sql: postgres.Sql | null = null;
  let key: Promise<SecretKey | null> | null = null;
  return {
    // The local stack and self-hosted runtimes pass SUPABASE_JWT_SECRET; hosted Supabase does not
    // give functions the JWT secret and refuses `secrets set` for SUPABASE_* names, so there it is
    // set as COFRE_JWT_SECRET (the project's legacy HS256 JWT secret).
    jwtSecret: Deno.env.get("SUPABASE_JWT_SECRET") || Deno.env.get("COFRE_JWT_SECRET"),
    secretKey: () => {
      const text = Deno.env.get(SECRET_KEY_ENV);
      // Parsed once; a malformed key fails every call with SECRET_KEY_MISSING (never echoed).
      key ??= text === undefined || text === "" ? Promise.resolve(null) : parseSecretKey(text);
      return key;
    },
    asServiceRole: async (fn) => {
      sql ??= postgres(requireDatabaseUrl(Deno.env.get("SUPABASE_DB_URL")), { max: 2, onnotice: () => {} });
      return await sql.begin(async (tx) => {
        await tx`set local role service_role`;
        return await fn(tx);
      }) as Awaited<ReturnType<typeof fn>>;
    },
  };
}

export const handler: Handler = makeHandler(deployedDeps());
