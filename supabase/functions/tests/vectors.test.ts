/**
 * The encryption container under Deno (the edge runtime): every test vector of
 * test/vectors/enc one-shot, in random chunks and byte by byte, successes also through
 * random access; the generator reproduces the vectors byte for byte with Deno's Web Crypto;
 * keys never print under Deno.inspect; and the ZIP reader restores from an encrypted volume.
 */
import assert from "node:assert/strict";
import { sha256Hex } from "../../../packages/shared/src/format/checksum.ts";
import { concatBytes } from "../../../packages/shared/src/format/bytes.ts";
import {
  createBackupKey, decrypt, decryptingRandomAccess, decryptStream, encrypt, KeyCache,
} from "../../../packages/shared/src/format/crypto/mod.ts";
import { ZipWriter } from "../../../packages/shared/src/format/zip/writer.ts";
import { ZipReader } from "../../../packages/shared/src/format/zip/reader.ts";
import { generateVectors } from "../../../scripts/vectors/generate.ts";
import { serializeVector, VECTOR_EXTENSION, type Vector } from "../../../scripts/vectors/format.ts";
import {
  chunkedStream, expected, loadVectors, memoryAccess, outcomeOf, prng, randomInt, runThrough, VECTOR_DIR,
} from "../../../test/vectors/support.ts";

const vectors = loadVectors();

function checkSuccess(v: Vector, plaintext: Uint8Array, how: string) {
  assert.equal(plaintext.length, v.plaintextSize, `${v.name} ${how}: size`);
  assert.equal(sha256Hex(plaintext), v.plaintextSha256, `${v.name} ${how}: sha256`);
}

Deno.test("encryption vectors: at least 45, every outcome represented", () => {
  assert.ok(vectors.length >= 45, `only ${vectors.length} vectors`);
  const outcomes = new Set(vectors.map(expected));
  for (const o of ["success", "WRONG_PASSPHRASE", "INTEGRITY_MISMATCH (header-mac)", "TRUNCATED", "UNSUPPORTED_VERSION", "CORRUPT_ARCHIVE"]) {
    assert.ok(outcomes.has(o), o);
  }
});

for (const v of vectors) {
  Deno.test(`encryption vector ${v.name}: ${expected(v)}`, async (t) => {
    const want = expected(v);
    await t.step("one-shot", async () => {
      let plain: Uint8Array | undefined;
      let error: unknown;
      try {
        plain = await decrypt(v.container, v.passphrase);
      } catch (e) {
        error = e;
      }
      assert.equal(outcomeOf(error), want);
      if (plain) checkSuccess(v, plain, "one-shot");
    });
    const cache = new KeyCache();
    await t.step("random chunks and byte by byte", async () => {
      for (const seed of [1, 2]) {
        const rand = prng(seed * 104729 + v.container.length);
        const r = await runThrough(chunkedStream(v.container, () => randomInt(rand, 1, seed === 2 ? 5000 : 300)), decryptStream(v.passphrase, cache));
        assert.equal(outcomeOf(r.error), want, `seed ${seed}`);
        if (!r.error) checkSuccess(v, r.output, `seed ${seed}`);
      }
      const r = await runThrough(chunkedStream(v.container, () => 1), decryptStream(v.passphrase, cache));
      assert.equal(outcomeOf(r.error), want, "byte by byte");
      if (!r.error) checkSuccess(v, r.output, "byte by byte");
    });
    await t.step("random access", async () => {
      let error: unknown;
      try {
        const ra = await decryptingRandomAccess(memoryAccess(v.container, 333), v.passphrase, cache);
        const all = await ra.read(0, ra.size);
        if (want === "success") {
          checkSuccess(v, all, "random access");
          const rand = prng(v.container.length + 1);
          for (let i = 0; i < 25; i++) {
            const offset = randomInt(rand, 0, ra.size);
            const length = randomInt(rand, 0, Math.min(ra.size - offset, 3000));
            assert.deepEqual(await ra.read(offset, length), all.slice(offset, offset + length));
            const parts: Uint8Array[] = [];
            for await (const c of ra.stream(offset, length)) parts.push(c);
            assert.deepEqual(concatBytes(parts), all.slice(offset, offset + length));
          }
        }
      } catch (e) {
        error = e;
      }
      assert.equal(outcomeOf(error), want);
    });
  });
}

Deno.test("encryption vectors: Deno's Web Crypto regenerates them byte for byte", async () => {
  const generated = await generateVectors();
  assert.equal(generated.length, vectors.length);
  for (const g of generated) {
    const onDisk = await Deno.readTextFile(new URL(g.name + VECTOR_EXTENSION, VECTOR_DIR));
    assert.equal(serializeVector(g), onDisk, g.name);
  }
});

Deno.test("BackupKey never prints under Deno", async () => {
  const key = await createBackupKey("senha", { iterations: 100_000 });
  assert.equal(Deno.inspect(key), "**redacted**");
  assert.equal(String(key), "**redacted**");
  assert.equal(JSON.stringify({ key }), '{"key":"**redacted**"}');
  assert.ok(Deno.inspect({ key }).includes("**redacted**"));
});

Deno.test("the ZIP reader restores from an encrypted volume under Deno", async () => {
  const key = await createBackupKey("senha do volume", { iterations: 100_000 });
  const parts: Uint8Array[] = [];
  const zip = new ZipWriter({ write: async (c) => void parts.push(c.slice()) });
  const csv = new TextEncoder().encode("id,nome\n1,Maria 🦷\n".repeat(5000));
  await zip.addEntry("data/public/pacientes/part-00001.csv", csv, { method: "deflate" });
  await zip.finish();
  const volume = await encrypt(key, concatBytes(parts), { segmentSize: 4096 });
  const reader = await ZipReader.open(await decryptingRandomAccess(memoryAccess(volume), "senha do volume"));
  const out: Uint8Array[] = [];
  for await (const c of reader.read(reader.entry("data/public/pacientes/part-00001.csv")!)) out.push(c);
  assert.deepEqual(concatBytes(out), csv);
});
