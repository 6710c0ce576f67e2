/**
 * Storage buckets as a source through the `run-backup` and `restore` handlers under Deno:
 * a bucket seeded on the stack's Storage S3 endpoint (s3rver below /storage/v1/s3) is backed
 * up with the database, restored alone (`only`) into another bucket byte for byte, and a second
 * restore finds every object already equal. Needs `npm run stack:up`. Design:
 * docs/storage-source.md.
 */
import assert from "node:assert/strict";
import { makeHandler as makeBackup } from "../run-backup/handler.ts";
import { makeHandler as makeRestore } from "../restore/handler.ts";
import { seedStorage } from "../../../scripts/seed/storage.ts";
import { openBucket, parseStorageEndpoint } from "../../../packages/shared/src/sources/storage/spec.ts";
import { listBucket } from "../../../packages/shared/src/sources/storage/source.ts";
import { sha256Hasher } from "../../../packages/shared/src/format/checksum.ts";
import { streamChunks } from "../../../packages/shared/src/format/streams.ts";
import type { OpenContext } from "../../../packages/shared/src/destinations/open-context.ts";
import type { S3Destination } from "../../../packages/shared/src/destinations/s3.ts";
import { readStackEnv, withScratchDb } from "./support.ts";

const SERVICE_KEY = "test-service-role-key";

function post(body: unknown) {
  return new Request("http://localhost/fn", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${SERVICE_KEY}` },
    body: JSON.stringify(body),
  });
}

/** key → SHA-256 of the bytes GetObject returns. */
async function contents(b: S3Destination, name: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const page of listBucket(b, name)) {
    for (const o of page.objects) {
      const sha = sha256Hasher();
      for await (const c of streamChunks(await b.get(o.key))) sha.update(c);
      out[o.key] = sha.digest("hex");
    }
  }
  return out;
}

Deno.test({
  name: "run-backup stores a Storage bucket with the database; restore puts it back into another bucket",
  ignore: Deno.env.get("COFRE_SKIP_STACK_TESTS") === "1",
  async fn() {
    const env = await readStackEnv();
    assert.ok(env?.COFRE_SUPABASE_STORAGE_ENDPOINT, "the local stack is not running: npm run stack:up");
    // The handlers read credentials and the endpoint from the function's environment, as on Supabase.
    for (const [k, v] of Object.entries(env)) {
      if (k.startsWith("COFRE_SUPABASE_STORAGE_") || k === "COFRE_ALLOW_PRIVATE_HOSTS") Deno.env.set(k, v);
    }
    const context: OpenContext = { credentials: { env: (n) => env[n] }, network: { allowPrivateHosts: ["127.0.0.1"] } };
    const endpoint = parseStorageEndpoint(env.COFRE_SUPABASE_STORAGE_ENDPOINT);
    const tag = crypto.randomUUID().slice(0, 8);
    const [src, dst] = [`fn-src-${tag}`, `fn-dst-${tag}`];
    await seedStorage({ endpoint: env.COFRE_SUPABASE_STORAGE_ENDPOINT, context, names: { "orthoplus-docs": src, "orthoplus-xrays": `fn-x-${tag}` } });
    const target = await openBucket(endpoint, dst, context);
    await target.createBucket();
    const dir = await Deno.makeTempDir({ prefix: "cofre-fn-storage-" });
    try {
      await withScratchDb("fn_storage_src", "create table public.t (id int primary key); insert into public.t values (1);", async (sourceUrl) => {
        const backup = makeBackup({ databaseUrl: sourceUrl, serviceRoleKey: SERVICE_KEY, passphrase: undefined });
        const res = await backup(post({ destination: `file://${dir}`, storage: { buckets: [src] } }));
        assert.equal(res.status, 200, await res.clone().text());
        const summary = (await res.json()).backup;
        assert.equal(summary.storage.buckets, 1);
        assert.ok(summary.storage.objects > 0);

        const restore = makeRestore({ databaseUrl: sourceUrl, serviceRoleKey: SERVICE_KEY, passphrase: undefined });
        const body = { destination: `file://${dir}`, backupId: summary.backupId, storage: { buckets: [src], bucketMap: { [src]: dst }, only: true } };
        const r = await restore(post(body));
        assert.equal(r.status, 200, await r.clone().text());
        const expected = await contents(await openBucket(endpoint, src, context), src);
        assert.equal(Object.keys(expected).length, summary.storage.objects);
        assert.deepEqual(await contents(target, dst), expected);

        const again = await restore(post(body));
        assert.equal(again.status, 200, await again.clone().text());
        assert.match(JSON.stringify(await again.json()), new RegExp(`"unchanged":${summary.storage.objects}\\b`));
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
