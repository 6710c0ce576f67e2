/**
 * Incremental and differential backups through the `run-backup` and `restore` handlers under
 * Deno (issue 4 acceptance: "from the run-backup/restore functions"), encrypted, so the
 * chain's parent is found and read with the function's passphrase: full (it installs change
 * capture in the source) → changes → incremental → changes → differential; the restore of
 * each gives the source's rows at that point. Design: docs/postgres-chains.md.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { makeHandler as makeBackup } from "../run-backup/handler.ts";
import { makeHandler as makeRestore } from "../restore/handler.ts";
import { withScratchDb } from "./support.ts";

const SERVICE_KEY = "test-service-role-key";
const PASSPHRASE = "senha da cadeia — clínica 🦷";
const FIXTURE = `
  create table public.fichas (id int primary key, nome text not null, obs text);
  create table public.log_sem_chave (quando date, o_que text);
  insert into public.fichas select i, 'Paciente ' || i, case when i % 2 = 0 then '' end from generate_series(1, 300) i;
  insert into public.log_sem_chave select date '2026-01-01' + i, 'evento' from generate_series(1, 20) i;`;

function post(body: unknown) {
  return new Request("http://localhost/fn", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${SERVICE_KEY}` },
    body: JSON.stringify(body),
  });
}

async function snapshotOf(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await sql`select (select md5(string_agg(f::text, ',' order by f::text)) from public.fichas f) as fichas,
                            (select md5(string_agg(l::text, ',' order by l::text)) from public.log_sem_chave l) as log`;
  } finally {
    await sql.end();
  }
}

async function exec(url: string, text: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(text);
  } finally {
    await sql.end();
  }
}

Deno.test("run-backup makes an encrypted full → incremental → differential chain that restore gives back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cofre-fn-chain-" });
  try {
    await withScratchDb("fn_chain_src", FIXTURE, async (sourceUrl) => {
      const backup = makeBackup({ databaseUrl: sourceUrl, serviceRoleKey: SERVICE_KEY, passphrase: PASSPHRASE });
      const run = async (body: Record<string, unknown>) => {
        const res = await backup(post({ destination: `file://${dir}`, encrypt: true, ...body }));
        assert.equal(res.status, 200, await res.clone().text());
        return (await res.json()).backup;
      };
      const full = await run({ type: "full", capture: true });
      await exec(sourceUrl, `update public.fichas set obs = 'revisado' where id <= 30;
        delete from public.fichas where id between 31 and 40;
        insert into public.log_sem_chave values ('2027-01-01', 'novo');`);
      const inc = await run({ type: "incremental" });
      assert.deepEqual([inc.type, inc.parentId, inc.baseId], ["incremental", full.backupId, full.backupId]);
      assert.equal(inc.changeRows, 41);
      const atInc = await snapshotOf(sourceUrl);
      await exec(sourceUrl, `truncate public.log_sem_chave; insert into public.fichas values (1000, 'Nova', null);`);
      const diff = await run({ type: "differential" });
      assert.deepEqual([diff.type, diff.parentId], ["differential", full.backupId]);
      const atDiff = await snapshotOf(sourceUrl);

      for (const [id, expected, name] of [[inc.backupId, atInc, "fn_chain_inc"], [diff.backupId, atDiff, "fn_chain_diff"]] as const) {
        await withScratchDb(name, "", async (targetUrl) => {
          const restore = makeRestore({ databaseUrl: targetUrl, serviceRoleKey: SERVICE_KEY, passphrase: PASSPHRASE });
          const r = await restore(post({ destination: `file://${dir}`, backupId: id }));
          assert.equal(r.status, 200, await r.clone().text());
          assert.deepEqual(await snapshotOf(targetUrl), expected);
        }, { supabaseShape: true });
      }
    }, { supabaseShape: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
