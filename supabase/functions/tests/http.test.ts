/**
 * `_shared/http.ts`: JSON bodies validated with zod, the error body, CofreError mapping and
 * the POST-only wrapper. Secrets in a request must never come back in a response.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import {
  bearerToken,
  type ErrorBody,
  errorResponseFrom,
  jsonResponse,
  parseJsonBody,
  postHandler,
} from "../_shared/http.ts";
import { CofreError } from "../../../packages/shared/src/errors.ts";
import { assertCorsHeaders, assertErrorBody } from "./support.ts";

const SECRET = "sk_live_SHOULD-NEVER-BE-ECHOED";

const RunRequest = z.object({
  tenant_id: z.uuid(),
  destinations: z.array(z.object({ kind: z.enum(["s3", "sftp"]), bucket: z.string().min(3) })).min(1),
  passphrase: z.string().min(12),
  dry_run: z.boolean().default(false),
});

function post(body: BodyInit | null, headers: HeadersInit = { "Content-Type": "application/json" }) {
  return new Request("http://127.0.0.1/run-backup", { method: "POST", headers, body });
}

Deno.test("parseJsonBody: a valid body gives zod's output, defaults applied", async () => {
  const input = {
    tenant_id: "7d0c7a5e-2b1f-4f53-9a43-4a3c2b8e9f10",
    destinations: [{ kind: "s3", bucket: "ortho-backups" }],
    passphrase: "correct horse battery staple",
  };
  const parsed = await parseJsonBody(post(JSON.stringify(input)), RunRequest);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.data, { ...input, dry_run: false });
});

Deno.test("parseJsonBody: schema failures are 400 INVALID_INPUT listing each field, no values", async () => {
  const parsed = await parseJsonBody(
    post(JSON.stringify({
      tenant_id: SECRET,
      destinations: [{ kind: "s3", bucket: SECRET.slice(0, 2) }],
      passphrase: 12345,
    })),
    RunRequest,
  );
  assert.ok(!parsed.ok);
  assert.equal(parsed.response.status, 400);
  assertCorsHeaders(parsed.response);
  const text = await parsed.response.text();
  assert.ok(!text.includes(SECRET), "response echoes a submitted value");
  assert.ok(!text.includes("12345"), "response echoes a submitted value");
  const body = JSON.parse(text) as ErrorBody;
  assertErrorBody(body, "INVALID_INPUT");
  const fields = body.error.details?.fields as { path: string; code: string; message: string }[];
  assert.deepEqual(fields.map((f) => f.path).sort(), ["destinations.0.bucket", "passphrase", "tenant_id"]);
  for (const f of fields) assert.ok(f.code.length > 0 && f.message.length > 0);
  assert.equal(body.error.details?.reason, "schema");
});

Deno.test("parseJsonBody: malformed JSON is 400 INVALID_INPUT without the parser's message", async () => {
  const parsed = await parseJsonBody(post(`{"passphrase": "${SECRET}"`), RunRequest);
  assert.ok(!parsed.ok);
  assert.equal(parsed.response.status, 400);
  const text = await parsed.response.text();
  assert.ok(!text.includes(SECRET));
  const body = JSON.parse(text) as ErrorBody;
  assertErrorBody(body, "INVALID_INPUT");
  assert.deepEqual(body.error.details, { reason: "malformed_json" });
});

Deno.test("parseJsonBody: invalid UTF-8 is 400 INVALID_INPUT", async () => {
  const parsed = await parseJsonBody(post(new Uint8Array([0x7b, 0xff, 0x7d])), RunRequest);
  assert.ok(!parsed.ok);
  assert.equal(parsed.response.status, 400);
  assert.deepEqual(((await parsed.response.json()) as ErrorBody).error.details, { reason: "malformed_json" });
});

Deno.test("parseJsonBody: an empty body is validated as undefined", async () => {
  const strict = await parseJsonBody(post(null), RunRequest);
  assert.ok(!strict.ok);
  assert.equal(strict.response.status, 400);
  const fields = ((await strict.response.json()) as ErrorBody).error.details?.fields as { path: string }[];
  assert.deepEqual(fields.map((f) => f.path), [""]);

  const optional = await parseJsonBody(post(""), z.object({ limit: z.number() }).optional());
  assert.ok(optional.ok);
  assert.equal(optional.data, undefined);
});

Deno.test("parseJsonBody: a body over maxBytes is 413, even without Content-Length", async () => {
  const big = JSON.stringify({ pad: "x".repeat(2000) });
  const declared = await parseJsonBody(post(big), z.unknown(), { maxBytes: 1000 });
  assert.ok(!declared.ok);
  assert.equal(declared.response.status, 413);
  assertErrorBody((await declared.response.json()) as ErrorBody, "PAYLOAD_TOO_LARGE");

  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < 4; i++) c.enqueue(new TextEncoder().encode(big));
      c.close();
    },
  });
  const streamed = await parseJsonBody(post(stream), z.unknown(), { maxBytes: 1000 });
  assert.ok(!streamed.ok);
  assert.equal(streamed.response.status, 413);
  await streamed.response.body?.cancel();
});

Deno.test("errorResponseFrom: a CofreError keeps its code, both messages and details", async () => {
  const e = new CofreError("BACKUP_NOT_FOUND", { "pt-BR": "Backup não encontrado.", en: "Backup not found." }, {
    details: { backup_id: "b1" },
  });
  const res = errorResponseFrom(e);
  assert.equal(res.status, 404);
  assertCorsHeaders(res);
  assert.deepEqual(await res.json(), {
    error: { code: "BACKUP_NOT_FOUND", message: "Backup não encontrado.", message_en: "Backup not found.", details: { backup_id: "b1" } },
  });
  assert.equal(errorResponseFrom(e, 410).status, 410);
});

Deno.test("errorResponseFrom: any other error is a generic 500 that says nothing of the cause", async () => {
  const originalError = console.error;
  console.error = () => {};
  try {
    const res = errorResponseFrom(new Error(`connection to postgres://u:${SECRET}@db failed`));
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.ok(!text.includes(SECRET));
    assertErrorBody(JSON.parse(text) as ErrorBody, "INTERNAL_ERROR");
  } finally {
    console.error = originalError;
  }
});

Deno.test("postHandler: adds CORS to the function's response and maps what it throws", async () => {
  const ok = postHandler(() => new Response("{}", { status: 202 }));
  const res = await ok(post("{}"));
  assert.equal(res.status, 202);
  assertCorsHeaders(res);
  await res.body?.cancel();

  const throwing = postHandler(() => {
    throw new CofreError("INVALID_INPUT", { "pt-BR": "Inválido.", en: "Invalid." });
  });
  const failed = await throwing(post("{}"));
  assert.equal(failed.status, 400);
  assertCorsHeaders(failed);
  assertErrorBody((await failed.json()) as ErrorBody, "INVALID_INPUT");
});

Deno.test("jsonResponse: JSON content type and CORS headers", async () => {
  const res = jsonResponse({ run_id: "r1" }, 202);
  assert.equal(res.status, 202);
  assert.equal(res.headers.get("Content-Type"), "application/json; charset=utf-8");
  assertCorsHeaders(res);
  assert.deepEqual(await res.json(), { run_id: "r1" });
});

Deno.test("bearerToken: reads Authorization: Bearer, else null", () => {
  assert.equal(bearerToken(post(null, { Authorization: "Bearer abc.def.ghi" })), "abc.def.ghi");
  assert.equal(bearerToken(post(null, { Authorization: "bearer abc" })), "abc");
  assert.equal(bearerToken(post(null, { Authorization: "Basic abc" })), null);
  assert.equal(bearerToken(post(null, {})), null);
});
