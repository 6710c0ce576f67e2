/**
 * Properties of the encryption container (fast-check): whatever the plaintext size, segment
 * size and the chunking on either side, decrypt(encrypt(x)) = x and the size formulas hold;
 * random-access reads (read and stream) equal slices of the plaintext.
 */
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  createBackupKey, decryptingRandomAccess, decryptStream, encryptedSize, encryptStream, plaintextSizeOf, type BackupKey,
} from "@cofre/shared/format/crypto/mod.ts";
import { concatBytes } from "@cofre/shared/format/bytes.ts";
import { chunkedStream, memoryAccess, runThrough } from "../vectors/support.ts";

let key: BackupKey;
beforeAll(async () => {
  key = await createBackupKey("propriedade", { iterations: 100_000 });
});

/** Segment sizes near the minimum keep cases small yet many segments long. */
const segmentSize = fc.oneof(fc.constant(1024), fc.integer({ min: 1024, max: 3000 }), fc.constant(4096));
const chunking = fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 8 });
/** Sizes clustered at segment boundaries, where off-by-ones live. */
const sizeFor = (s: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: 6 * s }),
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -2, max: 2 })).map(([k, d]) => Math.max(0, k * s + d)),
  );
const plaintext = (size: number, seed: number) => {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 131 + seed) & 0xff;
  return b;
};
const cycle = (sizes: number[]) => {
  let i = 0;
  return () => sizes[i++ % sizes.length]!;
};

describe("encryption container properties", () => {
  it("round-trips any plaintext, segment size and chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        segmentSize.chain((s) => fc.tuple(fc.constant(s), sizeFor(s), fc.nat(255), chunking, chunking)),
        async ([s, size, seed, writeChunks, readChunks]) => {
          const plain = plaintext(size, seed);
          const sealed = await runThrough(chunkedStream(plain, cycle(writeChunks)), encryptStream(key, { segmentSize: s }));
          expect(sealed.error).toBeUndefined();
          expect(sealed.output.length).toBe(encryptedSize(size, s));
          expect(plaintextSizeOf(sealed.output.length, s)).toBe(size);
          const opened = await runThrough(chunkedStream(sealed.output, cycle(readChunks)), decryptStream(key));
          expect(opened.error).toBeUndefined();
          expect(opened.output).toEqual(plain);
        },
      ),
      { numRuns: 150, seed: 20261125 },
    );
  });

  it("random-access reads equal slices of the plaintext", async () => {
    await fc.assert(
      fc.asyncProperty(
        segmentSize.chain((s) =>
          sizeFor(s).chain((size) =>
            fc.tuple(
              fc.constant(s),
              fc.constant(size),
              fc.array(
                fc.integer({ min: 0, max: size }).chain((o) => fc.tuple(fc.constant(o), fc.integer({ min: 0, max: size - o }))),
                { minLength: 1, maxLength: 12 },
              ),
              fc.integer({ min: 1, max: 3000 }),
            ))),
        async ([s, size, ranges, sourceChunk]) => {
          const plain = plaintext(size, s);
          const sealed = await runThrough(chunkedStream(plain, () => 4096), encryptStream(key, { segmentSize: s }));
          const ra = await decryptingRandomAccess(memoryAccess(sealed.output, sourceChunk), key);
          expect(ra.size).toBe(size);
          for (const [offset, length] of ranges) {
            expect(await ra.read(offset, length)).toEqual(plain.subarray(offset, offset + length));
            const parts: Uint8Array[] = [];
            for await (const c of ra.stream(offset, length)) parts.push(c);
            expect(concatBytes(parts)).toEqual(plain.subarray(offset, offset + length));
          }
        },
      ),
      { numRuns: 100, seed: 11 },
    );
  });
});
