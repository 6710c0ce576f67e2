/**
 * The S3-family destinations under Deno (the edge runtime): the registry loads s3.ts lazily
 * with @aws-sdk/client-s3 from npm, and the adapter puts (one PUT and a multipart upload),
 * reads ranges, lists, removes and probes against the local stack's s3rver — the same code
 * the Node tests run (test/destinations/s3.test.ts).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { bytesStream, getBytes, type Destination } from "../../../packages/shared/src/destinations/contract.ts";
import { contextFromEnvironment } from "../../../packages/shared/src/destinations/open-context.ts";
import { openDestination } from "../../../packages/shared/src/destinations/registry.ts";
import { readStackEnv } from "./support.ts";

const MiB = 1024 * 1024;

async function openFresh(specVar: string): Promise<{ dest: Destination; env: Record<string, string> }> {
  const env = await readStackEnv();
  if (!env?.[specVar]) throw new Error(`the local stack is not running (no ${specVar} in .stack/env): npm run stack:up`);
  const url = new URL(env[specVar]!);
  url.pathname = `${url.pathname}/deno-${crypto.randomUUID()}`;
  url.searchParams.set("part_size_mib", "5");
  return { dest: await openDestination(url.href, contextFromEnvironment((n) => env[n])), env };
}

/** `size` bytes of a counter pattern, streamed in 256 KiB chunks. */
function patterned(size: number): { stream: ReadableStream<Uint8Array>; sha256: string } {
  const hash = createHash("sha256");
  const chunk = (at: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (at + i) * 31 & 255);
  for (let at = 0; at < size; at += 256 * 1024) hash.update(chunk(at, Math.min(256 * 1024, size - at)));
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= size) return c.close();
      const n = Math.min(256 * 1024, size - at);
      c.enqueue(chunk(at, n));
      at += n;
    },
  });
  return { stream, sha256: hash.digest("hex") };
}

for (const specVar of ["DEST_S3", "DEST_SUPABASE_STORAGE", "DEST_STORJ"]) {
  Deno.test({
    name: `${specVar} under Deno: put, multipart put, ranged get, list, remove, testConnection`,
    ignore: Deno.env.get("COFRE_SKIP_STACK_TESTS") === "1",
    async fn() {
      const { dest } = await openFresh(specVar);
      await dest.put("a/olá.txt", bytesStream(new TextEncoder().encode("olá, Deno")));
      assert.equal(new TextDecoder().decode(await getBytes(dest, "a/olá.txt")), "olá, Deno");
      const range = await new Response(await dest.get("a/olá.txt", { offset: 6, length: 4 })).text();
      assert.equal(range, "Deno");

      const big = patterned(6 * MiB + 7);
      const info = await dest.put("big.bin", big.stream);
      assert.equal(info.size, 6 * MiB + 7);
      const back = createHash("sha256");
      let size = 0;
      for await (const c of await dest.get("big.bin")) {
        back.update(c);
        size += c.length;
      }
      assert.equal(size, 6 * MiB + 7);
      assert.equal(back.digest("hex"), big.sha256);

      const page = await dest.list("", { limit: 1 });
      assert.equal(page.objects.length, 1);
      assert.ok(page.cursor);
      const rest = await dest.list("", { cursor: page.cursor });
      assert.deepEqual([...page.objects, ...rest.objects].map((o) => o.key), ["a/olá.txt", "big.bin"]);

      await dest.remove("a/olá.txt");
      await dest.remove("big.bin");
      assert.equal(await dest.stat("big.bin"), null);
      const probe = await dest.testConnection();
      assert.equal(probe.class, "ok", probe.message.en);
    },
  });
}
