/**
 * The `restore` function under Deno: a dry run against the project's live database reports
 * per table the rows it would insert, update and delete and writes nothing; `apply` with its
 * id writes exactly that; a body with a malformed id is refused by the request schema.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { makeHandler as makeBackup } from "../run-backup/handler.ts";
import { makeHandler as makeRestore } from "../restore/handler.ts";
import { assertErrorBody, withScratchDb } from "./support.ts";

const SERVICE_KEY = "test-service-role-key";
const FIXTURE = `
  create table public.pacientes (id bigint generated always as identity primary key, clinic_id int not null, nome text not null, obs text);
  insert into public.pacientes (clinic_id, nome, obs) select 1 + i % 2, 'Paciente ' || i || ' — São José', case when i % 3 = 0 then null else '' end
    from generate_series(1, 50) i;`;

function post(body: unknown) {
  return new Request("http://localhost/fn", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${SERVICE_KEY}` },
    body: JSON.stringify(body),
  });
}

async function rows(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql`select count(*)::int as n, md5(string_agg(p::text, ',' order by id)) as md5 from public.pacientes p`;
    return r;
  } finally {
    await sql.end();
  }
}

Deno.test("restore function: dry run into the live database, then apply by its id", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cofre-fn-dry-" });
  try {
    await withScratchDb("fn_dry_live", FIXTURE, async (url) => {
      const env = { databaseUrl: url, serviceRoleKey: SERVICE_KEY, passphrase: undefined };
      const b = await makeBackup(env)(post({ destination: `file://${dir}` }));
      assert.equal(b.status, 200, await b.clone().text());
      const backedUp = await rows(url);

      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await sql`delete from public.pacientes where id in (1, 2)`;
        await sql`update public.pacientes set obs = 'mudou' where id = 3`;
        await sql`insert into public.pacientes (clinic_id, nome) values (1, 'Novo')`;
      } finally {
        await sql.end();
      }
      const drifted = await rows(url);
      const restore = makeRestore(env);

      const dry = await restore(post({ destination: `file://${dir}`, dryRun: true }));
      assert.equal(dry.status, 200, await dry.clone().text());
      const { restore: report } = await dry.json();
      assert.equal(report.applied, false);
      assert.match(report.dryRunId, /^dr-[0-9a-f]{32}$/);
      assert.deepEqual(report.changes, [{ table: '"public"."pacientes"', insert: 2, update: 1, delete: 1, uniqueConflicts: [] }]);
      assert.deepEqual(await rows(url), drifted, "a dry run writes nothing");

      const bad = await restore(post({ destination: `file://${dir}`, apply: "not-an-id" }));
      assert.equal(bad.status, 400);
      assertErrorBody(await bad.json(), "INVALID_INPUT");

      const applied = await restore(post({ destination: `file://${dir}`, apply: report.dryRunId }));
      assert.equal(applied.status, 200, await applied.clone().text());
      assert.deepEqual((await applied.json()).restore.changes, report.changes);
      assert.deepEqual(await rows(url), backedUp);
    }, { supabaseShape: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
