import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { ZipWriter } from "@cofre/shared/format/zip/writer.ts";
import { ZipReader, type RandomAccess } from "@cofre/shared/format/zip/reader.ts";
import { concatBytes } from "@cofre/shared/format/bytes.ts";
import { Crc32, crc32 } from "@cofre/shared/format/crc32.ts";
import { sha256Hex } from "@cofre/shared/format/checksum.ts";
import { isCofreError } from "@cofre/shared/errors.ts";

function memoryAccess(bytes: Uint8Array, chunk = 7919): RandomAccess {
  return {
    size: bytes.length,
    async read(offset, length) {
      if (offset + length > bytes.length) throw new Error("short");
      return bytes.slice(offset, offset + length);
    },
    async *stream(offset, length) {
      for (let o = offset; o < offset + length; o += chunk) yield bytes.slice(o, Math.min(o + chunk, offset + length));
    },
  };
}

async function buildZip(entries: [string, Uint8Array, "store" | "deflate"][], engine: "zlib" | "fflate" = "zlib") {
  const out: Uint8Array[] = [];
  const zip = new ZipWriter({ write: async (c) => void out.push(c.slice()) });
  const infos = [];
  for (const [name, data, method] of entries) {
    const w = await zip.openEntry(name, { method, engine, modified: new Date("2026-11-25T02:00:00Z") });
    for (let o = 0; o < data.length; o += 10_000) await w.write(data.subarray(o, o + 10_000));
    infos.push(await w.close());
  }
  await zip.finish();
  return { bytes: concatBytes(out), infos };
}

async function readAll(reader: ZipReader, name: string) {
  const parts: Uint8Array[] = [];
  for await (const c of reader.read(reader.entry(name)!)) parts.push(c);
  return concatBytes(parts);
}

function pseudoRandom(n: number, seed = 1) {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const text = new TextEncoder().encode("id,nome,cidade\n1,José da Silva 🦷,São Paulo\n".repeat(5000));
const binary = pseudoRandom(300_000);

describe("CRC-32", () => {
  it("matches the known answer for '123456789'", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("native and portable paths agree, in one go and chunked", () => {
    const data = pseudoRandom(100_003, 9);
    const portable = new Crc32().updatePortable(data).digest();
    const chunked = new Crc32();
    for (let o = 0; o < data.length; o += 4099) chunked.update(data.subarray(o, o + 4099));
    expect(chunked.digest()).toBe(portable);
    const mixed = new Crc32().update(data.subarray(0, 50_000)).updatePortable(data.subarray(50_000)).digest();
    expect(mixed).toBe(portable);
  });
});

describe("ZIP writer and reader", () => {
  it("round-trips deflated, stored and empty entries with CRC and SHA-256", async () => {
    const { bytes, infos } = await buildZip([
      ["data/public/pacientes/part-00001.csv", text, "deflate"],
      ["raios-x/imagem.bin", binary, "store"],
      ["vazio.txt", new Uint8Array(0), "deflate"],
    ]);
    expect(infos[0]!.sha256).toBe(sha256Hex(text));
    expect(infos[0]!.compressedSize).toBeLessThan(text.length / 10);
    const reader = await ZipReader.open(memoryAccess(bytes));
    expect(reader.entries.map((e) => e.name)).toEqual(["data/public/pacientes/part-00001.csv", "raios-x/imagem.bin", "vazio.txt"]);
    expect(await readAll(reader, "data/public/pacientes/part-00001.csv")).toEqual(text);
    expect(await readAll(reader, "raios-x/imagem.bin")).toEqual(binary);
    expect((await readAll(reader, "vazio.txt")).length).toBe(0);
  });

  it.each(["zlib", "fflate"] as const)("writes archives that Info-ZIP unzip and 7-Zip accept (deflate by %s)", async (engine) => {
    const { bytes } = await buildZip([["a/ação.csv", text, "deflate"], ["b.bin", binary, "store"]], engine);
    const dir = mkdtempSync(join(tmpdir(), "cofre-zip-"));
    const file = join(dir, "v.zip");
    writeFileSync(file, bytes);
    expect(execFileSync("unzip", ["-t", file], { encoding: "utf8" })).toContain("No errors detected");
    execFileSync("7z", ["t", file], { encoding: "utf8" });
    execFileSync("unzip", ["-q", file, "-d", join(dir, "out")]);
    expect(readFileSync(join(dir, "out", "a", "ação.csv"))).toEqual(Buffer.from(text));
  });

  it("auto method: stores content that is already compressed (by its bytes, not its name), deflates the rest", async () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...pseudoRandom(5000, 7)]);
    const out: Uint8Array[] = [];
    const zip = new ZipWriter({ write: async (c) => void out.push(c.slice()) });
    const infos = [];
    for (const [name, data] of [["raio-x.dat", jpeg], ["ruido.csv", binary], ["tabela.bin", text], ["vazio", new Uint8Array(0)]] as const) {
      const w = await zip.openEntry(name, { method: "auto" });
      for (let o = 0; o < data.length; o += 1000) await w.write(data.subarray(o, o + 1000));
      infos.push(await w.close());
    }
    await zip.finish();
    expect(infos.map((i) => i.method)).toEqual(["store", "store", "deflate", "deflate"]);
    const reader = await ZipReader.open(memoryAccess(concatBytes(out)));
    expect(await readAll(reader, "raio-x.dat")).toEqual(jpeg);
    expect(await readAll(reader, "tabela.bin")).toEqual(text);
  });

  it("detects a flipped bit in entry data as INTEGRITY_MISMATCH", async () => {
    const { bytes } = await buildZip([["x.csv", text, "deflate"]]);
    const bad = bytes.slice();
    bad[200] = bad[200]! ^ 0x01;
    const reader = await ZipReader.open(memoryAccess(bad));
    await expect(readAll(reader, "x.csv")).rejects.toSatisfy((e: unknown) => isCofreError(e, "INTEGRITY_MISMATCH"));
  });

  it("refuses a truncated archive and unsafe entry names", async () => {
    const { bytes } = await buildZip([["x.csv", text, "deflate"]]);
    await expect(ZipReader.open(memoryAccess(bytes.subarray(0, bytes.length - 30)))).rejects.toSatisfy((e: unknown) =>
      isCofreError(e, "CORRUPT_ARCHIVE"));
    const zip = new ZipWriter({ write: async () => {} });
    await expect(zip.openEntry("../etc/passwd")).rejects.toSatisfy((e: unknown) => isCofreError(e, "UNSAFE_PATH"));
  });

  it("writes ZIP64 end records when the archive has 65,535 entries or more", async () => {
    const entries: [string, Uint8Array, "store"][] = [];
    for (let i = 0; i < 65_536; i++) entries.push([`e/${i}`, new Uint8Array([i & 0xff]), "store"]);
    const { bytes } = await buildZip(entries);
    const reader = await ZipReader.open(memoryAccess(bytes));
    expect(reader.entries.length).toBe(65_536);
    expect(await readAll(reader, "e/65535")).toEqual(new Uint8Array([0xff]));
    const dir = mkdtempSync(join(tmpdir(), "cofre-zip64-"));
    writeFileSync(join(dir, "v.zip"), bytes);
    expect(execFileSync("unzip", ["-tq", join(dir, "v.zip")], { encoding: "utf8" })).toContain("No errors detected");
  });
});
