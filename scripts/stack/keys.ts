/**
 * The local stack's API keys, made the way `supabase start` makes them: a JWT secret, and
 * anon / service_role keys that are HS256 JWTs signed with it. The secret is generated once
 * per checkout (kept in .stack/) so keys stay stable across restarts.
 */
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { STACK_DIR } from "./paths.ts";

const SECRET_FILE = join(STACK_DIR, "jwt-secret");
/** The functions' key for write-only secrets (packages/shared/src/secrets/key.ts), `<id>:<base64>`. */
const COFRE_SECRET_KEY_FILE = join(STACK_DIR, "cofre-secret-key");

function b64url(data: string | Buffer) {
  return Buffer.from(data).toString("base64url");
}

export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

export function stackKeys(): Record<string, string> {
  mkdirSync(STACK_DIR, { recursive: true });
  if (!existsSync(SECRET_FILE)) writeFileSync(SECRET_FILE, randomBytes(32).toString("hex"), { mode: 0o600 });
  const secret = readFileSync(SECRET_FILE, "utf8").trim();
  if (!existsSync(COFRE_SECRET_KEY_FILE)) {
    writeFileSync(COFRE_SECRET_KEY_FILE, `klocal1:${randomBytes(32).toString("base64")}`, { mode: 0o600 });
  }
  const iat = 1_764_000_000;
  const exp = iat + 10 * 365 * 24 * 3600;
  return {
    SUPABASE_JWT_SECRET: secret,
    SUPABASE_ANON_KEY: signJwt({ iss: "supabase", ref: "local", role: "anon", iat, exp }, secret),
    SUPABASE_SERVICE_ROLE_KEY: signJwt({ iss: "supabase", ref: "local", role: "service_role", iat, exp }, secret),
    COFRE_SECRET_KEY: readFileSync(COFRE_SECRET_KEY_FILE, "utf8").trim(),
  };
}
