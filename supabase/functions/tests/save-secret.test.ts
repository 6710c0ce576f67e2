/**
 * save-secret: the handler in-process against the stack database (real PostgreSQL, real
 * migrations, the stack's JWT secret and sealing key), and the served function over HTTP.
 *
 * In-process cases run inside one transaction that is rolled back at the end (each call in a
 * savepoint acting as service_role, as the deployed function's own transaction does), so the
 * shared database keeps nothing. Personas: clinic A's admin, operator and viewer; clinic B's admin.
 * Needs `npm run stack:up`.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import type { ErrorBody } from "../_shared/http.ts";
import { makeHandler, type SaveSecretResponse } from "../save-secret/handler.ts";
import {
  loadSecretKey, readDestinationCredentials, readSchedulePassphrase, readSecret,
} from "../../../packages/shared/src/secrets/mod.ts";
import { assertCorsHeaders, assertErrorBody, readStackEnv } from "./support.ts";

const TENANT_A = "0000000f-0000-4000-8000-00000000000a";
const TENANT_B = "0000000f-0000-4000-8000-00000000000b";
const ADMIN_A = "0000000f-0000-4000-8000-0000000000a1";
const OPERATOR_A = "0000000f-0000-4000-8000-0000000000a2";
const VIEWER_A = "0000000f-0000-4000-8000-0000000000a3";
const ADMIN_B = "0000000f-0000-4000-8000-0000000000b1";
const DEST_A = "0000d00f-0000-4000-8000-00000000000a";
const SCHEDULE_A = "0000500f-0000-4000-8000-00000000000a";
const RANDOM_ID = "0000d00f-0000-4000-8000-0000000000ff";
const SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const VALUES = { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: SECRET_ACCESS_KEY };
const PASSPHRASE = "correct horse battery staple 7";

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** An HS256 JWT as GoTrue issues them (role authenticated, sub = user id) or any other claims. */
async function signJwt(claims: Record<string, unknown>, secret: string): Promise<string> {
  const enc = new TextEncoder();
  const head = b64url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const body = b64url(enc.encode(JSON.stringify(claims)));
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${head}.${body}`)));
  return `${head}.${body}.${b64url(sig)}`;
}

function userToken(userId: string, secret: string, expIn = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ aud: "authenticated", role: "authenticated", sub: userId, iat: now, exp: now + expIn }, secret);
}

function post(body: unknown, token?: string): Request {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  return new Request("http://save-secret.test/", { method: "POST", headers, body: JSON.stringify(body) });
}

const credentialsBody = (target: string) => ({ target, kind: "credentials", values: VALUES });

Deno.test({
  name: "save-secret (in-process, stack database)",
  ignore: Deno.env.get("COFRE_SKIP_STACK_TESTS") === "1",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const env = await readStackEnv();
    assert.ok(env?.DATABASE_URL && env.SUPABASE_JWT_SECRET && env.COFRE_SECRET_KEY, "the local stack is not running: npm run stack:up");
    const jwtSecret = env.SUPABASE_JWT_SECRET;
    const key = await loadSecretKey(env);
    const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const rollback = new Error("rollback");
    try {
      await sql.begin(async (tx) => {
        await tx`insert into auth.users (id, email) values
                   (${ADMIN_A}, 'admin-a@save-secret.test'), (${OPERATOR_A}, 'op-a@save-secret.test'),
                   (${VIEWER_A}, 'viewer-a@save-secret.test'), (${ADMIN_B}, 'admin-b@save-secret.test')`;
        await tx`insert into cofre.tenants (id, name) values (${TENANT_A}, 'Clinic A'), (${TENANT_B}, 'Clinic B')`;
        await tx`insert into cofre.tenant_members (tenant_id, user_id, role) values
                   (${TENANT_A}, ${ADMIN_A}, 'admin'), (${TENANT_A}, ${OPERATOR_A}, 'operator'),
                   (${TENANT_A}, ${VIEWER_A}, 'viewer'), (${TENANT_B}, ${ADMIN_B}, 'admin')`;
        await tx`insert into cofre.destinations (id, tenant_id, name, kind, settings)
                 values (${DEST_A}, ${TENANT_A}, 'S3', 's3', '{"bucket":"b","region":"sa-east-1"}')`;
        await tx`insert into cofre.schedules (id, tenant_id, name, backup_type, frequency, run_at, encryption)
                 values (${SCHEDULE_A}, ${TENANT_A}, 'Nightly', 'full', 'daily', '02:00', true)`;

        const handler = makeHandler({
          jwtSecret,
          secretKey: () => Promise.resolve(key),
          // Like the deployed function's transaction: a savepoint acting as service_role.
          // On failure the savepoint's rollback undoes the role; on success it is reset here.
          asServiceRole: (fn) => tx.savepoint(async (sp) => {
            await sp`set local role service_role`;
            const result = await fn(sp);
            await sp`reset role`;
            return result;
          }) as ReturnType<typeof fn>,
        });

        await t.step("an admin saves credentials: 200 with the hint only", async () => {
          const res = await handler(post(credentialsBody(DEST_A), await userToken(ADMIN_A, jwtSecret)));
          assert.equal(res.status, 200);
          assertCorsHeaders(res);
          const text = await res.text();
          assert.ok(!text.includes(SECRET_ACCESS_KEY) && !text.includes("AKIAIOSF"), "the response echoes the secret");
          const body = JSON.parse(text) as SaveSecretResponse;
          assert.deepEqual(Object.keys(body).sort(), ["hint", "kind", "set_at", "target"]);
          assert.equal(body.hint, "…EKEY");
          assert.equal(body.target, DEST_A);
          assert.ok(!Number.isNaN(Date.parse(body.set_at)));
          const [dest] = await tx`select secret_hint from cofre.destinations where id = ${DEST_A}`;
          assert.equal(dest!.secret_hint, "…EKEY");
        });

        await t.step("the database holds ciphertext only, and the key opens it", async () => {
          const [row] = await tx`select store, key_id, nonce, ciphertext, set_by from cofre_private.secrets where owner_id = ${DEST_A}`;
          assert.equal(row!.store, "aes_gcm");
          assert.equal(row!.key_id, key.id);
          assert.equal(row!.set_by, ADMIN_A);
          const stored = new TextDecoder("latin1").decode(row!.ciphertext as Uint8Array);
          assert.ok(!stored.includes("wJalrXUt") && !stored.includes("AKIAIOSF") && !stored.includes("access_key"), "plaintext in the table");
          assert.equal((row!.ciphertext as Uint8Array).length, JSON.stringify(VALUES).length + 16);
          await tx`set local role service_role`;
          try {
            assert.equal(await readSecret(tx, { type: "destination", id: DEST_A }, key), JSON.stringify(VALUES));
            assert.deepEqual(await readDestinationCredentials(tx, DEST_A, key), VALUES);
          } finally {
            await tx`reset role`;
          }
          const audit = await tx`select details::text as d from cofre.audit_log where target_id = ${DEST_A}`;
          assert.ok(audit.length >= 1);
          for (const a of audit) assert.ok(!String(a.d).includes("wJalrXUt") && !String(a.d).includes("EKEY"));
        });

        await t.step("an admin sets a schedule's passphrase", async () => {
          const res = await handler(post({ target: SCHEDULE_A, kind: "passphrase", value: PASSPHRASE }, await userToken(ADMIN_A, jwtSecret)));
          assert.equal(res.status, 200);
          assert.equal(((await res.json()) as SaveSecretResponse).hint, "…le 7");
          await tx`set local role service_role`;
          try {
            assert.equal(await readSchedulePassphrase(tx, SCHEDULE_A, key), PASSPHRASE);
          } finally {
            await tx`reset role`;
          }
        });

        const denial = async (userId: string, target: string) => {
          const res = await handler(post(credentialsBody(target), await userToken(userId, jwtSecret)));
          const text = await res.text();
          assert.ok(!text.includes(SECRET_ACCESS_KEY) && !text.includes("AKIAIOSF"), "the error echoes the secret");
          return { status: res.status, body: JSON.parse(text) as ErrorBody };
        };

        await t.step("viewer and operator: 403 PERMISSION_DENIED", async () => {
          for (const user of [VIEWER_A, OPERATOR_A]) {
            const { status, body } = await denial(user, DEST_A);
            assert.equal(status, 403);
            assertErrorBody(body, "PERMISSION_DENIED");
          }
          const [row] = await tx`select set_by from cofre_private.secrets where owner_id = ${DEST_A}`;
          assert.equal(row!.set_by, ADMIN_A, "a refused call changed the secret");
        });

        await t.step("another clinic's admin gets exactly the answer a random id gets", async () => {
          const foreign = await denial(ADMIN_B, DEST_A);
          const random = await denial(ADMIN_B, RANDOM_ID);
          const randomForA = await denial(ADMIN_A, RANDOM_ID);
          assert.equal(foreign.status, 403);
          assertErrorBody(foreign.body, "PERMISSION_DENIED");
          assert.deepEqual(foreign, random);
          assert.deepEqual(random, randomForA);
          // A schedule id sent as a destination (credentials) is unknown as well.
          assert.deepEqual(await denial(ADMIN_A, SCHEDULE_A), random);
        });

        await t.step("no token, the anon key, a bad signature or an expired token: 401", async () => {
          const now = Math.floor(Date.now() / 1000);
          const tokens: (string | undefined)[] = [
            undefined,
            env.SUPABASE_ANON_KEY,
            env.SUPABASE_SERVICE_ROLE_KEY,
            await userToken(ADMIN_A, "not-the-project-secret"),
            await userToken(ADMIN_A, jwtSecret, -10),
            await signJwt({ role: "authenticated", sub: ADMIN_A, iat: now }, jwtSecret), // no exp
            (await userToken(ADMIN_A, jwtSecret)).replace(/^[^.]+/, b64url(new TextEncoder().encode('{"alg":"none"}'))),
          ];
          for (const token of tokens) {
            const res = await handler(post(credentialsBody(DEST_A), token));
            assert.equal(res.status, 401);
            assertErrorBody((await res.json()) as ErrorBody, "UNAUTHORIZED");
          }
        });

        await t.step("invalid bodies: 400 listing fields, never the values", async () => {
          const token = await userToken(ADMIN_A, jwtSecret);
          const cases = [
            { target: DEST_A, kind: "credentials", values: {} },
            { target: DEST_A, kind: "credentials", values: { "Bad-Field": SECRET_ACCESS_KEY } },
            { target: SCHEDULE_A, kind: "passphrase", value: "wJalrX12345" }, // 11 characters
            { target: "not-a-uuid", kind: "passphrase", value: PASSPHRASE },
            { target: DEST_A, kind: "credentials", values: VALUES, extra: SECRET_ACCESS_KEY },
          ];
          for (const c of cases) {
            const res = await handler(post(c, token));
            assert.equal(res.status, 400);
            const text = await res.text();
            assert.ok(!text.includes("wJalrX") && !text.includes(PASSPHRASE), `echoed: ${text}`);
            assertErrorBody(JSON.parse(text) as ErrorBody, "INVALID_INPUT");
          }
        });
        throw rollback;
      }).catch((e: unknown) => {
        if (e !== rollback) throw e;
      });
    } finally {
      await sql.end();
    }
  },
});

Deno.test({
  name: "save-secret served by the stack: preflight, 401 without a user, 403 for an unknown target",
  ignore: Deno.env.get("COFRE_SKIP_STACK_TESTS") === "1",
  async fn() {
    const env = await readStackEnv();
    const url = env?.FUNCTION_SAVE_SECRET_URL;
    assert.ok(url && env.SUPABASE_JWT_SECRET, "FUNCTION_SAVE_SECRET_URL is missing from .stack/env: npm run stack:up");
    const preflight = await fetch(url, {
      method: "OPTIONS",
      headers: { Origin: "http://127.0.0.1:55473", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
    });
    await preflight.body?.cancel();
    assert.equal(preflight.status, 204);
    assertCorsHeaders(preflight);

    const call = async (token?: string) => {
      const headers: Record<string, string> = { "Content-Type": "application/json" };
      if (token) headers.Authorization = `Bearer ${token}`;
      const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(credentialsBody(RANDOM_ID)) });
      return { status: res.status, body: (await res.json()) as ErrorBody };
    };
    const anonymous = await call();
    assert.equal(anonymous.status, 401);
    assertErrorBody(anonymous.body, "UNAUTHORIZED");
    assert.equal((await call(env.SUPABASE_ANON_KEY)).status, 401);
    // A valid user token for a target that exists nowhere: the database refuses (nothing is written).
    const unknown = await call(await userToken(ADMIN_A, env.SUPABASE_JWT_SECRET));
    assert.equal(unknown.status, 403);
    assertErrorBody(unknown.body, "PERMISSION_DENIED");
  },
});
