/**
 * The command line's destination options: `cofre test-connection`, `--credentials-file`,
 * `--db-env`, and the private-host allowance read from the environment.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cofre } from "../support/cli.ts";
import { stackEnv } from "../support/stack.ts";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cofre-dest-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** No destination credential or allowance inherited from the shell running the tests. */
const clean = { COFRE_ALLOW_PRIVATE_HOSTS: "", COFRE_S3_ACCESS_KEY_ID: "", COFRE_S3_SECRET_ACCESS_KEY: "", COFRE_FTP_PASSWORD: "", COFRE_CREDENTIALS_FILE: "" };

describe("cofre test-connection", () => {
  it("is listed in the usage", () => {
    expect(cofre(["--help"]).stdout).toContain("cofre test-connection <destination>");
    expect(cofre(["test-connection"]).status).toBe(2);
  });

  it("prints ok in pt-BR or English, and JSON, exiting 0", () => {
    const pt = cofre(["test-connection", `file://${dir}/ok`], clean);
    expect(pt.status, pt.stderr).toBe(0);
    expect(pt.stdout).toContain(`Conexão OK com file://${dir}/ok`);
    expect(pt.stdout).toContain("gravação, leitura, listagem e exclusão");
    const en = cofre(["test-connection", `file://${dir}/ok`, "--lang", "en"], clean);
    expect(en.stdout).toContain("Connection OK");
    const json = cofre(["test-connection", `file://${dir}/ok`, "--json"], clean);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ destination: `file://${dir}/ok`, class: "ok", ok: true });
    expect(readdirSync(`${dir}/ok`), "the probe is removed").toEqual([]);
  });

  it("classifies a failure, with the advice and the cause, exiting 1", () => {
    // sysfs refuses new directories: a real permission failure.
    const r = cofre(["test-connection", "file:///sys/cofre-test-connection"], clean);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Falha na conexão com file:///sys/cofre-test-connection: permissão");
    expect(r.stderr).toContain("detalhe:");
    const json = cofre(["test-connection", "/sys/cofre-test-connection", "--json", "--lang", "en"], clean);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ class: "permission", ok: false, code: "DESTINATION_PERMISSION" });
  });

  it("classifies missing credentials as authentication, naming the variable", () => {
    const r = cofre(["test-connection", "s3://bucket/prefix?region=us-east-1", "--lang", "en"], clean);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("failed: authentication");
    expect(r.stderr).toContain("COFRE_S3_ACCESS_KEY_ID");
  });

  it("refuses a private host unless COFRE_ALLOW_PRIVATE_HOSTS names it", () => {
    const env = stackEnv();
    const spec = env.DEST_FTP!;
    const password = { ...clean, COFRE_FTP_PASSWORD: env.COFRE_FTP_PASSWORD! };
    const refused = cofre(["test-connection", spec, "--json"], password);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, code: "DESTINATION_BLOCKED_HOST" });
    const allowed = cofre(["test-connection", spec], { ...password, COFRE_ALLOW_PRIVATE_HOSTS: "127.0.0.1" });
    expect(allowed.status, allowed.stderr).toBe(0);
  });

  it("takes credentials from --credentials-file (0600 only), never from the spec", () => {
    const env = stackEnv();
    const file = join(dir, "cofre-credentials.json");
    writeFileSync(file, JSON.stringify({ profiles: { default: { ftp: { password: env.COFRE_FTP_PASSWORD! } } } }));
    chmodSync(file, 0o600);
    const base = { ...clean, COFRE_ALLOW_PRIVATE_HOSTS: "127.0.0.1" };
    const ok = cofre(["test-connection", env.DEST_FTP!, "--credentials-file", file], base);
    expect(ok.status, ok.stderr).toBe(0);
    const viaEnv = cofre(["test-connection", env.DEST_FTP!], { ...base, COFRE_CREDENTIALS_FILE: file });
    expect(viaEnv.status, viaEnv.stderr).toBe(0);
    chmodSync(file, 0o644);
    const loose = cofre(["test-connection", env.DEST_FTP!, "--credentials-file", file], base);
    expect(loose.status).toBe(1);
    expect(loose.stderr).toContain("chmod 600");
    const inSpec = cofre(["test-connection", env.DEST_FTP!.replace("@", ":hunter2@")], base);
    expect(inSpec.status).toBe(1);
    expect(inSpec.stderr).toContain("INVALID_INPUT");
    expect(inSpec.stderr).not.toContain("hunter2");
  });
});

describe("--db-env", () => {
  it("reads the database URL from the named variable, keeping the password off argv", () => {
    const r = cofre(["backup", "--db-env", "COFRE_TEST_DB", "--to", `file://${dir}/b`], {
      COFRE_TEST_DB: "postgresql://clinic:s3cr3t-pw@127.0.0.1:1/orthoplus",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("SOURCE_CONNECTION");
    expect(r.stderr).toContain("127.0.0.1:1/orthoplus");
    expect(r.stderr).not.toContain("s3cr3t-pw");
    expect(r.stderr).not.toContain("--db-env"); // no warning: nothing secret was on the command line
  });

  it("is a usage error when the variable is unset, or combined with --db", () => {
    const unset = cofre(["restore", "--from", `file://${dir}`, "--backup", "latest", "--db-env", "COFRE_NO_SUCH_VAR"]);
    expect(unset.status).toBe(2);
    expect(unset.stderr).toContain("COFRE_NO_SUCH_VAR");
    const both = cofre(["backup", "--db", "postgresql://x/y", "--db-env", "X", "--to", `file://${dir}/b`]);
    expect(both.status).toBe(2);
  });

  it("warns when a password is typed into --db", () => {
    const r = cofre(["backup", "--db", "postgresql://clinic:s3cr3t-pw@127.0.0.1:1/orthoplus", "--to", `file://${dir}/b`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("prefira --db-env");
    expect(r.stderr).not.toContain("s3cr3t-pw");
  });
});
