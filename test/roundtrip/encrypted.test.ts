/**
 * Encrypted backups end to end through the CLI: written with a passphrase, unreadable
 * without it, restored identical with it, verified offline, and each volume decryptable by
 * `cofre decrypt` into a ZIP that Info-ZIP and 7-Zip open. A wrong passphrase fails clearly
 * and leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { cofre } from "../support/cli.ts";
import { schemaOnlyDump, tableChecksums } from "../../scripts/demo/compare.ts";
import { seedDemo } from "../../scripts/seed/seed.ts";

const SRC = "enc_src";
const DST = "enc_dst";
const DST_WRONG = "enc_dst_wrong";
const PASS = { COFRE_TEST_PASSPHRASE: "correct horse battery staple — clínica" };
let srcUrl = "";
let dir = "";
let backupId = "";

beforeAll(async () => {
  srcUrl = await createScratchDb(SRC, { supabaseShape: true });
  await seedDemo({ url: srcUrl, scale: 0.03, seed: 7 });
  dir = mkdtempSync(join(tmpdir(), "cofre-enc-"));
  const r = cofre(["backup", "--db-env", "COFRE_DB_URL", "--to", `file://${dir}`, "--passphrase-env", "COFRE_TEST_PASSPHRASE", "--json"], { ...PASS, COFRE_DB_URL: srcUrl });
  expect(r.stderr).toBe("");
  backupId = JSON.parse(r.stdout).backupId;
});

afterAll(async () => {
  for (const db of [SRC, DST, DST_WRONG]) await dropScratchDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("encrypted backups through the CLI", () => {
  it("stores only sealed volumes and a sealed manifest, with no plaintext of the data", () => {
    const files = readdirSync(join(dir, backupId)).sort();
    expect(files).toContain("manifest.json");
    expect(files).toContain("manifest.json.cofre");
    expect(files.filter((f) => f.startsWith("vol-")).every((f) => /^vol-\d{5}\.zip\.cofre$/.test(f))).toBe(true);
    const envelope = JSON.parse(readFileSync(join(dir, backupId, "manifest.json"), "utf8"));
    expect(envelope.encryption).toMatchObject({ container: "cofre-encrypted/v1", kdf: "pbkdf2-hmac-sha256" });
    expect(envelope.encryption.iterations).toBeGreaterThanOrEqual(600_000);
    expect(JSON.stringify(envelope)).not.toContain("patients");
    for (const f of files.filter((f) => f.endsWith(".cofre"))) {
      const bytes = readFileSync(join(dir, backupId, f));
      expect(bytes.subarray(0, 19).toString()).toBe("cofre-encrypted/v1\n");
      expect(bytes.includes(Buffer.from("patients"))).toBe(false);
    }
    const ls = cofre(["ls", "--from", `file://${dir}`]);
    expect(ls.stdout).toContain(backupId);
    expect(ls.stdout).toContain("criptografado");
  });

  it("refuses to restore without the passphrase, or with a wrong one, leaving the target untouched", async () => {
    const target = await createScratchDb(DST_WRONG, { supabaseShape: true });
    const none = cofre(["restore", "--from", `file://${dir}`, "--backup", backupId, "--db-env", "COFRE_DB_URL"], { COFRE_DB_URL: target });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("PASSPHRASE_REQUIRED");
    const wrong = cofre(["restore", "--from", `file://${dir}`, "--backup", backupId, "--db-env", "COFRE_DB_URL", "--passphrase-env", "W"], { W: "wrong", COFRE_DB_URL: target });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("WRONG_PASSPHRASE");
    expect(wrong.stderr).not.toContain("wrong\n");
    expect(await tableChecksums(target, ["public"])).toEqual([]);
  });

  it("restores identical with the passphrase (from a file)", async () => {
    const target = await createScratchDb(DST, { supabaseShape: true });
    const passFile = join(dir, "pass.txt");
    writeFileSync(passFile, `${PASS.COFRE_TEST_PASSPHRASE}\n`, { mode: 0o600 });
    const r = cofre(["restore", "--from", `file://${dir}`, "--backup", "latest", "--db-env", "COFRE_DB_URL", "--passphrase-file", passFile], { COFRE_DB_URL: target });
    rmSync(passFile);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(schemaOnlyDump(target, ["public"])).toBe(schemaOnlyDump(srcUrl, ["public"]));
    const src = (await tableChecksums(srcUrl, ["public"])).filter((t) => !/_temp_|_cache$/.test(t.table));
    const dst = (await tableChecksums(target, ["public"])).filter((t) => !/_temp_|_cache$/.test(t.table));
    expect(dst).toEqual(src);
  });

  it("verifies offline: stored checksums without the passphrase, every entry with it", () => {
    const without = cofre(["verify", dir]);
    expect(without.status).toBe(0);
    expect(without.stdout).toContain(`OK  ${backupId}`);
    expect(without.stdout).toContain("senha");
    const withPass = cofre(["verify", `file://${dir}`, "--passphrase-env", "COFRE_TEST_PASSPHRASE", "--json"], PASS);
    expect(withPass.status).toBe(0);
    const [report] = JSON.parse(withPass.stdout);
    expect(report.ok).toBe(true);
    expect(report.entriesChecked).toBeGreaterThan(10);
  });

  it("notices a tampered stored object without the passphrase", () => {
    const copy = mkdtempSync(join(tmpdir(), "cofre-enc-bad-"));
    try {
      execFileSync("cp", ["-a", join(dir, backupId), copy]);
      const vol = join(copy, backupId, "vol-00001.zip.cofre");
      const bytes = readFileSync(vol);
      bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 1;
      writeFileSync(vol, bytes);
      const r = cofre(["verify", copy]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain("INTEGRITY_MISMATCH");
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("decrypts a volume offline into a ZIP that unzip and 7z open; a wrong passphrase writes nothing", () => {
    const vol = join(dir, backupId, "vol-00001.zip.cofre");
    const out = join(dir, "plain.zip");
    const bad = cofre(["decrypt", vol, "-o", out, "--passphrase-env", "W"], { W: "not it" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("WRONG_PASSPHRASE");
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("partial"))).toEqual([]);
    const ok = cofre(["decrypt", vol, "-o", out, "--passphrase-env", "COFRE_TEST_PASSPHRASE"], PASS);
    expect(ok.status).toBe(0);
    expect(execFileSync("unzip", ["-tq", out], { encoding: "utf8" })).toContain("No errors detected");
    execFileSync("7z", ["t", out]);
    const verifyFile = cofre(["verify", vol, "--passphrase-env", "COFRE_TEST_PASSPHRASE"], PASS);
    expect(verifyFile.status).toBe(0);
  });
});
