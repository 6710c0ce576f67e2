/**
 * `run-backup` under Deno: the handler backs up a real database with the same core as the
 * CLI, the backup reads back under Deno (manifest + every entry's CRC and SHA-256), and
 * the function refuses callers without the service-role key and bodies that fail the schema.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { makeHandler } from "../run-backup/handler.ts";
import { openDestination } from "../../../packages/shared/src/destinations/registry.ts";
import { readManifest } from "../../../packages/shared/src/engine/catalog.ts";
import { destinationRandomAccess } from "../../../packages/shared/src/engine/volume-access.ts";
import { ZipReader } from "../../../packages/shared/src/format/zip/reader.ts";
import { assertErrorBody, readStackEnv } from "./support.ts";

const SERVICE_KEY = "test-service-role-key";
const DB = "fn_run_backup";

async function withScratchDb<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const env = await readStackEnv();
  if (!env?.DATABASE_URL) throw new Error("the local stack is not running: npm run stack:up");
  const admin = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
  const url = new URL(env.DATABASE_URL);
  url.pathname = `/${DB}`;
  try {
    await admin.unsafe(`drop database if exists ${DB} with (force)`);
    await admin.unsafe(`create database ${DB}`);
    const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      await db.unsafe(`
        create table public.pacientes (id bigint generated always as identity primary key, nome text not null, obs text, foto bytea);
        insert into public.pacientes (nome, obs, foto)
          select 'Paciente ' || i || ' — São José 🦷', case when i % 3 = 0 then null when i % 3 = 1 then '' else 'alergia' end, '\\x00ff'::bytea
            from generate_series(1, 2000) i;
        create table public._temp_import (x int);
        insert into public._temp_import values (1);`);
    } finally {
      await db.end();
    }
    return await fn(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists ${DB} with (force)`);
    await admin.end();
  }
}

function post(body: unknown, token: string | null = SERVICE_KEY) {
  return new Request("http://localhost/run-backup", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

Deno.test("run-backup writes a backup that reads back intact under Deno", async () => {
  await withScratchDb(async (databaseUrl) => {
    const dir = await Deno.makeTempDir({ prefix: "cofre-fn-" });
    try {
      const handler = makeHandler({ databaseUrl, serviceRoleKey: SERVICE_KEY });
      const res = await handler(post({ destination: `file://${dir}` }));
      assert.equal(res.status, 200, await res.clone().text());
      const { backup } = await res.json();
      assert.match(backup.backupId, /^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
      assert.equal(backup.rows, 2000);
      assert.deepEqual(backup.excluded.map((e: { name: string }) => e.name), ["_temp_import"]);

      const dest = openDestination(`file://${dir}`);
      const manifest = await readManifest(dest, backup.backupId);
      assert.deepEqual(manifest.tables.map((t) => [t.name, t.rows]), [["pacientes", 2000]]);
      for (const [i, v] of (manifest.volumes ?? []).entries()) {
        const zip = await ZipReader.open(await destinationRandomAccess(dest, `${backup.backupId}/${v.name}`, v.size));
        for (const e of manifest.entries.filter((e) => e.volume === i + 1)) {
          let n = 0;
          for await (const c of zip.read(zip.entry(e.name)!)) n += c.length;
          assert.equal(n, e.size, e.name);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("run-backup refuses a caller without the service-role key", async () => {
  const handler = makeHandler({ databaseUrl: "postgresql://unused", serviceRoleKey: SERVICE_KEY });
  const missing = await handler(post({ destination: "file:///tmp/x" }, null));
  assert.equal(missing.status, 401);
  assertErrorBody(await missing.json(), "UNAUTHORIZED");
  const wrong = await handler(post({ destination: "file:///tmp/x" }, "anon-key"));
  assert.equal(wrong.status, 403);
  assertErrorBody(await wrong.json(), "FORBIDDEN");
});

Deno.test("run-backup answers 400 INVALID_INPUT for a body that fails the schema", async () => {
  const handler = makeHandler({ databaseUrl: "postgresql://unused", serviceRoleKey: SERVICE_KEY });
  const res = await handler(post({ destination: "", compressionLevel: 42, extra: true }));
  assert.equal(res.status, 400);
  const body = await res.json();
  assertErrorBody(body, "INVALID_INPUT");
  const paths = body.error.details.fields.map((f: { path: string }) => f.path).sort();
  assert.deepEqual(paths, ["", "compressionLevel", "destination"]);
});

Deno.test("run-backup names an unsupported destination kind clearly", async () => {
  await withScratchDb(async (databaseUrl) => {
    const handler = makeHandler({ databaseUrl, serviceRoleKey: SERVICE_KEY });
    const res = await handler(post({ destination: "dropbox:///Ortho+ Backups" }));
    assert.equal(res.status >= 400, true);
    assertErrorBody(await res.json(), "DESTINATION_UNSUPPORTED");
  });
});

Deno.test("the served run-backup function backs up the stack's database over HTTP", async () => {
  const env = await readStackEnv();
  if (!env?.FUNCTION_RUN_BACKUP_URL) throw new Error("the local stack is not running: npm run stack:up");
  const dir = await Deno.makeTempDir({ prefix: "cofre-fn-http-" });
  try {
    const res = await fetch(env.FUNCTION_RUN_BACKUP_URL, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}` },
      body: JSON.stringify({ destination: `file://${dir}`, schemas: ["cofre_private"] }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const { backup } = await res.json();
    const manifest = await readManifest(openDestination(`file://${dir}`), backup.backupId);
    assert.deepEqual(manifest.source.schemas, ["cofre_private"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
