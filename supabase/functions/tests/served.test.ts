/**
 * The functions as the local stack serves them (each its own Deno process, `Deno.serve` in
 * index.ts): real HTTP, real preflight. Needs `npm run stack:up`; set
 * COFRE_SKIP_STACK_TESTS=1 to mark it ignored when the stack is deliberately down.
 */
import assert from "node:assert/strict";
import type { ErrorBody } from "../_shared/http.ts";
import { assertCorsHeaders, assertErrorBody, readStackEnv } from "./support.ts";

const NOT_IMPLEMENTED = [
  ["verify-integrity", "FUNCTION_VERIFY_INTEGRITY_URL"],
  ["scheduled-cleanup", "FUNCTION_SCHEDULED_CLEANUP_URL"],
] as const;

Deno.test({
  name: "served functions: preflight, 501 NOT_IMPLEMENTED over HTTP, 405 for GET",
  ignore: Deno.env.get("COFRE_SKIP_STACK_TESTS") === "1",
  async fn(t) {
    const env = await readStackEnv();
    assert.ok(env, "the local stack is not running: `npm run stack:up` (.stack/env is missing)");
    for (const [name, key] of NOT_IMPLEMENTED) {
      const url: string | undefined = env[key];
      assert.ok(url, `${key} is missing from .stack/env`);
      await t.step(name, async () => {
        const preflight = await fetch(url, {
          method: "OPTIONS",
          headers: {
            Origin: "http://127.0.0.1:55473",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-client-info, apikey, content-type",
          },
        });
        await preflight.body?.cancel();
        assert.ok(preflight.ok, `preflight status ${preflight.status}`);
        assertCorsHeaders(preflight);

        const res = await fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: "Bearer test-token", Origin: "http://127.0.0.1:55473" },
          body: "{}",
        });
        assert.equal(res.status, 501);
        assertCorsHeaders(res);
        const body = (await res.json()) as ErrorBody;
        assertErrorBody(body, "NOT_IMPLEMENTED");
        assert.deepEqual(body.error.details, { function: name });

        const get = await fetch(url);
        assert.equal(get.status, 405);
        assert.equal(get.headers.get("Allow"), "POST, OPTIONS");
        await get.body?.cancel();
      });
    }
  },
});
