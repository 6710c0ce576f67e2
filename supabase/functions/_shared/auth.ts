/**
 * Caller checks.
 *
 * - requireServiceRole: functions that only scheduled work and operators' tools may call.
 *   Supabase's gateway has already verified the JWT (verify_jwt); here we require that the
 *   bearer token is this project's service-role key, compared in constant time.
 * - requireUser: functions a signed-in user calls from the tab (save-secret). The function
 *   verifies the user's access token itself — HS256 under the project's JWT secret
 *   (the caller passes it: SUPABASE_JWT_SECRET on the local stack, from .stack/jwt-secret by
 *   scripts/stack/keys.ts; COFRE_JWT_SECRET on hosted Supabase, which does not expose it) — and
 *   takes the user id from `sub`. What the user may do is decided by the database, which is
 *   given that id (the service-role RPCs that act for a user check their role themselves).
 *   Projects on asymmetric JWT signing keys (ES256/RS256 via JWKS) are not supported yet.
 */
import { bearerToken, errorResponse, internalError, unauthorized } from "./http.ts";

function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Null when the caller presented the service-role key; otherwise the 401/403 to return. */
export function requireServiceRole(req: Request, serviceRoleKey: string | undefined): Response | null {
  const token = bearerToken(req);
  if (!token) {
    return errorResponse(401, "UNAUTHORIZED", {
      "pt-BR": "Autenticação ausente: envie o cabeçalho Authorization: Bearer <chave>.",
      en: "Missing authentication: send the Authorization: Bearer <key> header.",
    });
  }
  if (!serviceRoleKey || !constantTimeEqual(token, serviceRoleKey)) {
    return errorResponse(403, "FORBIDDEN", {
      "pt-BR": "Esta função só aceita a chave service_role do projeto.",
      en: "This function only accepts the project's service_role key.",
    });
  }
  return null;
}

/** A verified signed-in user: the `sub` of a valid access token with role `authenticated`. */
export interface VerifiedUser {
  userId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (text.length % 4)) % 4);
  try {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function jsonPart(text: string): Record<string, unknown> | null {
  const bytes = base64UrlBytes(text);
  if (bytes === null) return null;
  try {
    const v: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The user id of a valid HS256 access token signed with `jwtSecret`, or null: wrong algorithm
 * (only HS256; `none` and others are refused), bad signature (checked by Web Crypto's
 * constant-time HMAC verify), expired or not yet valid (`exp` required), or not a signed-in user
 * (role other than `authenticated`, e.g. the anon or service-role keys, or `sub` not a UUID).
 */
export async function verifyUserToken(token: string, jwtSecret: string, nowSeconds = Date.now() / 1000): Promise<VerifiedUser | null> {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [head, body, sig] = parts as [string, string, string];
  const header = jsonPart(head);
  if (header?.alg !== "HS256") return null;
  const signature = base64UrlBytes(sig);
  if (signature === null) return null;
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(jwtSecret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const valid = await crypto.subtle.verify("HMAC", key, signature, new TextEncoder().encode(`${head}.${body}`));
  if (!valid) return null;
  const claims = jsonPart(body);
  if (claims === null) return null;
  if (typeof claims.exp !== "number" || claims.exp <= nowSeconds) return null;
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf > nowSeconds)) return null;
  if (claims.role !== "authenticated" || typeof claims.sub !== "string" || !UUID.test(claims.sub)) return null;
  return { userId: claims.sub.toLowerCase() };
}

/**
 * The signed-in user calling, or the response to return: 401 UNAUTHORIZED for a missing, invalid
 * or expired token and for tokens that are not a user's (anon, service_role); 500 when the
 * function has no JWT secret configured (logged without any value).
 */
export async function requireUser(
  req: Request,
  jwtSecret: string | undefined,
): Promise<{ ok: true; user: VerifiedUser } | { ok: false; response: Response }> {
  if (!jwtSecret) {
    console.error("auth: no JWT secret configured (SUPABASE_JWT_SECRET or COFRE_JWT_SECRET); refusing every user call");
    return { ok: false, response: internalError() };
  }
  const token = bearerToken(req);
  const user = token === null ? null : await verifyUserToken(token, jwtSecret);
  return user === null ? { ok: false, response: unauthorized() } : { ok: true, user };
}
