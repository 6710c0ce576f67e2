/**
 * `run-backup` and `restore` under Deno: the handlers back up and restore real databases
 * with the same core as the CLI — plaintext and encrypted —, the backup reads back under
 * Deno (every entry's CRC and SHA-256), and both refuse callers without the service-role key
 * and bodies that fail the schema.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { makeHandler as makeBackup } from "../run-backup/handler.ts";
import { makeHandler as makeRestore } from "../restore/handler.ts";
import { openDestination } from "../../../packages/shared/src/destinations/registry.ts";
import { verifyBackup } from "../../../packages/shared/src/engine/verify.ts";
import { readManifest } from "../../../packages/shared/src/engine/catalog.ts";
import { assertErrorBody, readStackEnv, withScratchDb } from "./support.ts";

const SERVICE_KEY = "test-service-role-key";
const PASSPHRASE = "senha de teste — clínica 🦷";
const FIXTURE = `
  create table public.pacientes (id bigint generated always as identity primary key, nome text not null, obs text, foto bytea);
  insert into public.pacientes (nome, obs, foto)
    select 'Paciente ' || i || ' — São José 🦷', case when i % 3 = 0 then null when i % 3 = 1 then '' else 'alergia' end, '\\x00ff'::bytea
      from generate_series(1, 2000) i;
  create table public._temp_import (x int);
  insert into public._temp_import values (1);`;

function post(body: unknown, token: string | null = SERVICE_KEY) {
  return new Request("http://localhost/fn", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

async function count(url: string) {
  const sql = postgres(url, { max: 1 });
  try {
    const [r] = await sql`select count(*)::int as n, count(*) filter (where obs is null)::int as nulls, count(*) filter (where obs = '')::int as empties from public.pacientes`;
    return r;
  } finally {
    await sql.end();
  }
}

for (const encrypt of [false, true]) {
  Deno.test(`run-backup then restore round-trip under Deno (${encrypt ? "encrypted" : "plaintext"})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "cofre-fn-" });
    try {
      await withScratchDb("fn_src", FIXTURE, async (sourceUrl) => {
        const backup = makeBackup({ databaseUrl: sourceUrl, serviceRoleKey: SERVICE_KEY, passphrase: PASSPHRASE });
        // The edge default level is 2 (docs/format.md §5); a request's own level wins.
        const res = await backup(post({ destination: `file://${dir}`, encrypt, ...(encrypt ? { compressionLevel: 6 } : {}) }));
        assert.equal(res.status, 200, await res.clone().text());
        const { backup: summary } = await res.json();
        assert.match(summary.backupId, /^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
        assert.equal(summary.rows, 2000);
        assert.equal(summary.encrypted, encrypt);
        assert.deepEqual(summary.excluded.map((e: { name: string }) => e.name), ["_temp_import"]);

        const dest = await openDestination(`file://${dir}`);
        const report = await verifyBackup(dest, summary.backupId, { passphrase: PASSPHRASE });
        assert.equal(report.ok, true, JSON.stringify(report));
        assert.ok(report.entriesChecked >= 4);
        const manifest = await readManifest(dest, summary.backupId, { passphrase: PASSPHRASE });
        assert.deepEqual(manifest.compression, { method: "deflate", level: encrypt ? 6 : 2 });
        if (encrypt) {
          await assert.rejects(readManifest(dest, summary.backupId), { code: "PASSPHRASE_REQUIRED" });
          for (const f of await Array.fromAsync(Deno.readDir(`${dir}/${summary.backupId}`))) {
            const bytes = await Deno.readFile(`${dir}/${summary.backupId}/${f.name}`);
            assert.equal(new TextDecoder().decode(bytes).includes("Paciente"), false, `${f.name} leaks plaintext`);
          }
        }

        await withScratchDb("fn_dst", "", async (targetUrl) => {
          const restore = makeRestore({ databaseUrl: targetUrl, serviceRoleKey: SERVICE_KEY, passphrase: PASSPHRASE });
          const r = await restore(post({ destination: `file://${dir}`, backupId: "latest" }));
          assert.equal(r.status, 200, await r.clone().text());
          assert.deepEqual(await count(targetUrl), await count(sourceUrl));
        }, { supabaseShape: true });

        if (encrypt) {
          await withScratchDb("fn_dst_wrong", "", async (targetUrl) => {
            const restore = makeRestore({ databaseUrl: targetUrl, serviceRoleKey: SERVICE_KEY, passphrase: "wrong passphrase" });
            const r = await restore(post({ destination: `file://${dir}` }));
            assert.equal(r.status >= 400 && r.status < 500, true, String(r.status));
            assertErrorBody(await r.json(), "WRONG_PASSPHRASE");
          }, { supabaseShape: true });
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("run-backup and restore refuse a caller without the service-role key", async () => {
  for (const make of [makeBackup, makeRestore]) {
    const handler = make({ databaseUrl: "postgresql://unused", serviceRoleKey: SERVICE_KEY, passphrase: undefined });
    const missing = await handler(post({ destination: "file:///tmp/x" }, null));
    assert.equal(missing.status, 401);
    assertErrorBody(await missing.json(), "UNAUTHORIZED");
    const wrong = await handler(post({ destination: "file:///tmp/x" }, "anon-key"));
    assert.equal(wrong.status, 403);
    assertErrorBody(await wrong.json(), "FORBIDDEN");
  }
});

Deno.test("run-backup answers 400 INVALID_INPUT for a body that fails the schema", async () => {
  const handler = makeBackup({ databaseUrl: "postgresql://unused", serviceRoleKey: SERVICE_KEY, passphrase: undefined });
  const res = await handler(post({ destination: "", compressionLevel: 42, extra: true }));
  assert.equal(res.status, 400);
  const body = await res.json();
  assertErrorBody(body, "INVALID_INPUT");
  const paths = body.error.details.fields.map((f: { path: string }) => f.path).sort();
  assert.deepEqual(paths, ["", "compressionLevel", "destination"]);
});

Deno.test("run-backup asks for the passphrase secret when told to encrypt without one", async () => {
  const handler = makeBackup({ databaseUrl: "postgresql://unused", serviceRoleKey: SERVICE_KEY, passphrase: undefined });
  const res = await handler(post({ destination: "file:///tmp/x", encrypt: true }));
  assertErrorBody(await res.json(), "PASSPHRASE_REQUIRED");
});

Deno.test("run-backup refuses a destination spec it cannot use, saying why and echoing no secret", async () => {
  await withScratchDb("fn_unsupported", FIXTURE, async (databaseUrl) => {
    const handler = makeBackup({ databaseUrl, serviceRoleKey: SERVICE_KEY, passphrase: undefined });
    const unknown = await handler(post({ destination: "gopher://host/backups" }));
    assert.equal(unknown.status, 400);
    assertErrorBody(await unknown.json(), "INVALID_INPUT");
    const withPassword = await handler(post({ destination: "sftp://backup:hunter2@host/backups" }));
    assert.equal(withPassword.status, 400);
    const text = await withPassword.text();
    assert.ok(!text.includes("hunter2"), text);
    assertErrorBody(JSON.parse(text), "INVALID_INPUT");
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
    const manifest = await readManifest((await openDestination(`file://${dir}`)), backup.backupId);
    assert.deepEqual(manifest.source.schemas, ["cofre_private"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
