/**
 * Caller checks for functions that only scheduled work and operators' tools may call.
 * Supabase's gateway has already verified the JWT (verify_jwt); here we require that the
 * bearer token is this project's service-role key, compared in constant time.
 */
import { bearerToken, errorResponse } from "./http.ts";

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
