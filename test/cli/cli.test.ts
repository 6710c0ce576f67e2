import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cofre } from "../support/cli.ts";

describe("cofre command line", () => {
  it("prints usage and exits 2 without a command, in pt-BR or English", () => {
    const pt = cofre([]);
    expect(pt.status).toBe(2);
    expect(pt.stdout).toContain("Uso:");
    const en = cofre(["--lang", "en"]);
    expect(en.stdout).toContain("Usage:");
  });

  it("exits 2 on a wrong command line, naming the flag", () => {
    const r = cofre(["backup", "--db", "postgresql://x/y"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--to");
    expect(cofre(["restore", "--from", "/tmp", "--bogus"]).status).toBe(2);
    expect(cofre(["backup", "--to", "/tmp/x", "--db", "postgresql://x/y", "--level", "12"]).status).toBe(2);
    expect(cofre(["frobnicate"]).status).toBe(2);
  });

  it("fails a backup from an unreachable database with SOURCE_CONNECTION, no secret, no backup left", () => {
    const dir = mkdtempSync(join(tmpdir(), "cofre-cli-"));
    try {
      const r = cofre(["backup", "--db", "postgresql://clinic:s3cr3t-pw@127.0.0.1:1/orthoplus", "--to", `file://${dir}`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("SOURCE_CONNECTION");
      expect(r.stderr).toContain("127.0.0.1:1/orthoplus");
      expect(r.stderr).not.toContain("s3cr3t-pw");
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails — does not hang — when the destination cannot store the volume", async () => {
    const { stackEnv } = await import("../support/stack.ts");
    const dir = mkdtempSync(join(tmpdir(), "cofre-cli-"));
    try {
      writeFileSync(join(dir, "a-file"), "not a directory");
      const r = cofre(["backup", "--db", stackEnv().DATABASE_URL, "--to", `file://${dir}/a-file/backups`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/DESTINATION_(IO|PERMISSION)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never echoes a password, even from a malformed database URL", () => {
    const r = cofre(["backup", "--db", "postgresql://clinic:s3cr@t#pw@127.0.0.1:1/orthoplus", "--to", "/tmp/cofre-never"]);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain("s3cr");
    expect(r.stderr).not.toContain("#pw");
  });

  it("says there is nothing to list, and that a missing backup is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "cofre-cli-"));
    try {
      const ls = cofre(["ls", "--from", `file://${dir}`]);
      expect(ls.status).toBe(0);
      expect(ls.stdout).toContain("Nenhum backup");
      const r = cofre(["restore", "--from", `file://${dir}`, "--backup", "20260101T000000Z-abcdef", "--db", "postgresql://127.0.0.1:1/x"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("BACKUP_NOT_FOUND");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
