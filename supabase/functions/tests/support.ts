/** Assertions shared by the functions' Deno tests. */
import assert from "node:assert/strict";
import { corsHeaders, type ErrorBody } from "../_shared/http.ts";

/** The headers supabase-js `functions.invoke` sends, which every preflight must allow. */
export const SUPABASE_JS_HEADERS = ["authorization", "x-client-info", "apikey", "content-type"] as const;

/** `res` carries the CORS headers, and allows every header in `requested`. */
export function assertCorsHeaders(res: Response, requested: readonly string[] = SUPABASE_JS_HEADERS) {
  assert.equal(res.headers.get("Access-Control-Allow-Origin"), corsHeaders["Access-Control-Allow-Origin"]);
  const allowed = (res.headers.get("Access-Control-Allow-Headers") ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase());
  for (const h of requested) assert.ok(allowed.includes(h), `Access-Control-Allow-Headers lacks ${h}: ${allowed}`);
}

/** `body` is `{ error: { code, message, message_en, details? } }` with non-empty messages. */
export function assertErrorBody(body: ErrorBody, code: string) {
  assert.equal(typeof body.error, "object");
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  assert.equal(typeof body.error.message_en, "string");
  assert.ok(body.error.message.length > 0 && body.error.message_en.length > 0);
  assert.notEqual(body.error.message, body.error.message_en, "pt-BR and English messages must differ");
  const keys = Object.keys(body.error).sort();
  for (const k of keys) assert.ok(["code", "details", "message", "message_en"].includes(k), `unexpected key ${k}`);
}

/** Reads `.stack/env` (KEY='value' lines, written by `npm run stack:up`); null when absent. */
export async function readStackEnv(): Promise<Record<string, string> | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(new URL("../../../.stack/env", import.meta.url));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)='(.*)'$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!.replaceAll("'\\''", "'");
  }
  return env;
}

/**
 * Runs `fn` with a fresh database `name` on the stack's cluster (created from `setupSql`),
 * dropped afterwards. `supabaseShape` applies the stack's Supabase-compatibility bootstrap.
 */
export async function withScratchDb<T>(
  name: string,
  setupSql: string,
  fn: (url: string) => Promise<T>,
  opts: { supabaseShape?: boolean } = {},
): Promise<T> {
  const { default: postgres } = await import("postgres");
  const env = await readStackEnv();
  if (!env?.DATABASE_URL) throw new Error("the local stack is not running: npm run stack:up");
  const admin = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
  const url = new URL(env.DATABASE_URL);
  url.pathname = `/${name}`;
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
    const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      if (opts.supabaseShape) {
        await db.unsafe(await Deno.readTextFile(new URL("../../../scripts/stack/sql/supabase-compat.sql", import.meta.url)));
      }
      if (setupSql) await db.unsafe(setupSql);
    } finally {
      await db.end();
    }
    return await fn(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
