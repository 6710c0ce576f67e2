/**
 * The functions that do nothing yet (`verify-integrity`,
 * `scheduled-cleanup`): called directly, each answers POST with 501 NOT_IMPLEMENTED and both
 * messages, OPTIONS with the CORS preflight, and other methods with 405.
 */
import assert from "node:assert/strict";
import { handler as verifyIntegrity } from "../verify-integrity/handler.ts";
import { handler as scheduledCleanup } from "../scheduled-cleanup/handler.ts";
import { type ErrorBody } from "../_shared/http.ts";
import { assertCorsHeaders, assertErrorBody } from "./support.ts";

const FUNCTIONS = [
  { name: "verify-integrity", handler: verifyIntegrity },
  { name: "scheduled-cleanup", handler: scheduledCleanup },
] as const;

const URL_BASE = "http://127.0.0.1/";

for (const { name, handler } of FUNCTIONS) {
  Deno.test(`${name}: POST answers 501 NOT_IMPLEMENTED with pt-BR and English messages`, async () => {
    const res = await handler(
      new Request(URL_BASE + name, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer test-token" },
        body: JSON.stringify({ backup_id: "00000000-0000-0000-0000-000000000000" }),
      }),
    );
    assert.equal(res.status, 501);
    assert.match(res.headers.get("Content-Type") ?? "", /^application\/json/);
    assertCorsHeaders(res);
    const body = (await res.json()) as ErrorBody;
    assertErrorBody(body, "NOT_IMPLEMENTED");
    assert.match(body.error.message, /próxima versão/);
    assert.match(body.error.message_en, /later release/);
    assert.deepEqual(body.error.details, { function: name });
  });

  Deno.test(`${name}: POST without a body is also 501, never a success`, async () => {
    const res = await handler(new Request(URL_BASE + name, { method: "POST" }));
    assert.equal(res.status, 501);
    assertErrorBody((await res.json()) as ErrorBody, "NOT_IMPLEMENTED");
  });

  Deno.test(`${name}: OPTIONS answers the CORS preflight`, async () => {
    const res = await handler(
      new Request(URL_BASE + name, {
        method: "OPTIONS",
        headers: {
          Origin: "http://127.0.0.1:55473",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization, x-client-info, apikey, content-type",
        },
      }),
    );
    assert.ok(res.status === 204 || res.status === 200, `status ${res.status}`);
    assertCorsHeaders(res, ["authorization", "x-client-info", "apikey", "content-type"]);
    assert.match(res.headers.get("Access-Control-Allow-Methods") ?? "", /\bPOST\b/);
    await res.body?.cancel();
  });

  for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
    Deno.test(`${name}: ${method} answers 405 with Allow`, async () => {
      const res = await handler(new Request(URL_BASE + name, { method }));
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("Allow"), "POST, OPTIONS");
      assertCorsHeaders(res);
      const body = (await res.json()) as ErrorBody;
      assertErrorBody(body, "METHOD_NOT_ALLOWED");
      assert.deepEqual(body.error.details, { method, allowed: ["POST", "OPTIONS"] });
    });
  }
}
