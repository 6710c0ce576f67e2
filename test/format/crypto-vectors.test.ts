/**
 * The encryption container's test vectors (test/vectors/enc), typage-style: every vector
 * one-shot, streamed in random chunks, and byte by byte; every success also through
 * random access at random ranges; every expectation also met by the independent reference
 * reader (scripts/vectors/reference.ts), so docs/format-encryption.md and the code agree. The generator must
 * reproduce the files byte for byte.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { sha256Hex } from "@cofre/shared/format/checksum.ts";
import { decrypt, decryptingRandomAccess, decryptStream, KeyCache } from "@cofre/shared/format/crypto/mod.ts";
import { generateVectors } from "../../scripts/vectors/generate.ts";
import { serializeVector, VECTOR_EXTENSION } from "../../scripts/vectors/format.ts";
import { refDecrypt } from "../../scripts/vectors/reference.ts";
import {
  chunkedStream, expected, loadVectors, memoryAccess, outcomeOf, prng, randomInt, runThrough, VECTOR_DIR,
} from "../vectors/support.ts";

const vectors = loadVectors();

describe("encryption vectors: the set", () => {
  it("covers every scenario the format promises", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(45);
    const outcomes = new Set(vectors.map(expected));
    for (const o of [
      "success", "WRONG_PASSPHRASE", "INTEGRITY_MISMATCH (header-mac)", "INTEGRITY_MISMATCH (segment)",
      "INTEGRITY_MISMATCH (trailing-data)", "TRUNCATED", "UNSUPPORTED_VERSION", "CORRUPT_ARCHIVE",
    ]) expect(outcomes, o).toContain(o);
  });

  it("are reproduced byte for byte by scripts/vectors/generate.ts", async () => {
    const generated = await generateVectors();
    const onDisk = readdirSync(VECTOR_DIR).filter((f) => f.endsWith(VECTOR_EXTENSION)).sort();
    expect(generated.map((v) => v.name + VECTOR_EXTENSION).sort()).toEqual(onDisk);
    for (const v of generated) {
      expect(serializeVector(v), v.name).toBe(readFileSync(new URL(v.name + VECTOR_EXTENSION, VECTOR_DIR), "utf8"));
    }
  });
});

describe.each(vectors.map((v) => [v.name, v] as const))("vector %s", (_name, v) => {
  const want = expected(v);
  const checkSuccess = (plaintext: Uint8Array) => {
    expect(plaintext.length).toBe(v.plaintextSize);
    expect(sha256Hex(plaintext)).toBe(v.plaintextSha256);
  };

  it("the reference reader agrees (docs/format-encryption.md §5)", () => {
    const r = refDecrypt(v.container, v.passphrase);
    if (r.ok) {
      expect("success").toBe(want);
      checkSuccess(r.plaintext);
    } else {
      expect(r.check ? `${r.code} (${r.check})` : r.code).toBe(want);
    }
  });

  it("one-shot", async () => {
    let plain: Uint8Array | undefined;
    let error: unknown;
    try {
      plain = await decrypt(v.container, v.passphrase);
    } catch (e) {
      error = e;
    }
    expect(outcomeOf(error)).toBe(want);
    if (plain) checkSuccess(plain);
  });

  it("streamed in random chunks, and byte by byte", async () => {
    const cache = new KeyCache();
    for (const seed of [1, 2, 3]) {
      const rand = prng(seed * 7919 + v.container.length);
      const big = seed === 3;
      const r = await runThrough(
        chunkedStream(v.container, () => randomInt(rand, 1, big ? 5000 : 300)),
        decryptStream(v.passphrase, cache),
      );
      expect(outcomeOf(r.error), `seed ${seed}`).toBe(want);
      if (!r.error) checkSuccess(r.output);
    }
    const r = await runThrough(chunkedStream(v.container, () => 1), decryptStream(v.passphrase, cache));
    expect(outcomeOf(r.error), "byte by byte").toBe(want);
    if (!r.error) checkSuccess(r.output);
  });

  it("through random access", async () => {
    const cache = new KeyCache();
    const source = memoryAccess(v.container, 333);
    let error: unknown;
    try {
      const ra = await decryptingRandomAccess(source, v.passphrase, cache);
      const all = await ra.read(0, ra.size);
      if (want === "success") {
        checkSuccess(all);
        expect(ra.size).toBe(v.plaintextSize);
        const rand = prng(v.container.length);
        for (let i = 0; i < 40; i++) {
          const offset = randomInt(rand, 0, ra.size);
          const length = randomInt(rand, 0, Math.min(ra.size - offset, 3000));
          const viaRead = await ra.read(offset, length);
          expect(viaRead).toEqual(all.subarray(offset, offset + length));
          const parts: Uint8Array[] = [];
          for await (const c of ra.stream(offset, length)) parts.push(c);
          expect(Buffer.concat(parts)).toEqual(Buffer.from(all.subarray(offset, offset + length)));
        }
      }
    } catch (e) {
      error = e;
    }
    expect(outcomeOf(error)).toBe(want);
  });
});

describe("docs/format-encryption.md worked example", () => {
  const spec = readFileSync(new URL("../../docs/format-encryption.md", import.meta.url), "utf8");

  it("shows the generator's intermediate values", async () => {
    const { explain } = await import("../../scripts/vectors/generate.ts");
    for (const line of (await explain()).split("\n")) {
      if (line.startsWith("header ")) continue; // the header is shown field by field instead
      expect(spec, line).toContain(line);
    }
  });

  it("shows vector 001 field by field, byte for byte", () => {
    const table = spec.slice(spec.indexOf("The container, 168 + 33"), spec.indexOf("Reading it:"));
    const hexes = [...table.matchAll(/`([0-9a-f]+)`/g)].map((m) => m[1]).join("");
    const v001 = vectors.find((v) => v.name === "001-success-small")!;
    expect(hexes).toBe(Buffer.from(v001.container).toString("hex"));
  });
});
