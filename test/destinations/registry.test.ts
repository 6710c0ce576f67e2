import { describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { inspect } from "node:util";
import { DESTINATION_SCHEMES, openDestination, parseSpec, redactSpec } from "@cofre/shared/destinations/registry.ts";
import { loadCredentialsFile, parseCredentialsFile } from "@cofre/shared/destinations/credentials-file.ts";
import { contextFromEnvironment, findCredential, requireCredential, type OpenContext } from "@cofre/shared/destinations/open-context.ts";
import { Secret } from "@cofre/shared/redacted.ts";
import { CofreError, isCofreError } from "@cofre/shared/errors.ts";

const invalid = (e: unknown) => isCofreError(e, "INVALID_INPUT");
const noEnv: OpenContext = { credentials: {}, network: { allowPrivateHosts: [] } };

async function rejection(p: Promise<unknown>): Promise<CofreError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(CofreError);
  return e as CofreError;
}

describe("destination specs", () => {
  it("opens file:// URLs and plain paths as local destinations", async () => {
    expect((await openDestination("file:///var/backups/orthoplus", noEnv)).displaySpec).toBe("file:///var/backups/orthoplus");
    expect((await openDestination("/var/backups/orthoplus", noEnv)).kind).toBe("local");
    expect((await openDestination("rel/dir", noEnv)).displaySpec).toBe(`file://${resolve("rel/dir")}`);
  });

  it("has a loadable adapter module for every kind the product names", async () => {
    expect([...DESTINATION_SCHEMES].sort()).toEqual(
      ["dropbox:", "file:", "ftp:", "ftps:", "gdrive:", "s3:", "sftp:", "storj:", "supabase-storage:"],
    );
    for (const scheme of DESTINATION_SCHEMES) {
      const { kind } = parseSpec(`${scheme}//x/y`);
      expect(typeof (await kind.load()).open, scheme).toBe("function");
    }
  });

  it("refuses malformed specs with INVALID_INPUT that says what to write", async () => {
    const unknown = await rejection(openDestination("gopher://x", noEnv));
    expect(unknown.code).toBe("INVALID_INPUT");
    expect(unknown.messages["pt-BR"]).toContain("sftp://user@host:22/backups");
    await expect(openDestination("s3://", noEnv)).rejects.toSatisfy(invalid);
    await expect(openDestination("", noEnv)).rejects.toSatisfy(invalid);
    await expect(openDestination("file://host/x", noEnv)).rejects.toSatisfy(invalid);
    await expect(openDestination("file:///x?y=1", noEnv)).rejects.toSatisfy(invalid);
    await expect(openDestination("http://[bad", noEnv)).rejects.toSatisfy(invalid);
  });

  it("refuses credentials in the spec without repeating them", async () => {
    for (const spec of [
      "sftp://backup:hunter2-secret@host/x",
      "ftps://backup:hunter2-secret@host:21/x",
      "s3://bucket/p?secret_access_key=hunter2-secret",
      "storj://bucket/p?access_grant=hunter2-secret",
      "dropbox:///Backups?refresh_token=hunter2-secret",
    ]) {
      const e = await rejection(openDestination(spec, noEnv));
      expect(e.code, spec).toBe("INVALID_INPUT");
      expect(JSON.stringify(e) + e.messages["pt-BR"] + e.messages.en, spec).not.toContain("hunter2");
    }
    const sftp = await rejection(openDestination("sftp://backup:pw-123@host/x", noEnv));
    expect(sftp.messages.en).toContain("COFRE_SFTP_PASSWORD");
  });

  it("redactSpec hides passwords and secret parameters, and keeps the rest", () => {
    expect(redactSpec("sftp://u:pw@h:22/x")).toBe("sftp://u:**redacted**@h:22/x");
    expect(redactSpec("s3://b/p?region=sa-east-1&secret_access_key=abc")).toBe("s3://b/p?region=sa-east-1&secret_access_key=**redacted**");
    expect(redactSpec("s3://b/p?endpoint=http%3A%2F%2F127.0.0.1%3A55450")).toBe("s3://b/p?endpoint=http%3A%2F%2F127.0.0.1%3A55450");
    expect(redactSpec("not a url://u:pw@h")).not.toContain("pw");
  });
});

describe("open context", () => {
  it("reads credentials and the private-host allowance from the environment", () => {
    const env: Record<string, string> = {
      COFRE_ALLOW_PRIVATE_HOSTS: " 127.0.0.1, MinIO.lan ,",
      COFRE_SFTP_PASSWORD: "from-env",
      COFRE_SFTP_BACKUP2_PASSWORD: "profile-env",
    };
    const ctx = contextFromEnvironment((n) => env[n]);
    expect(ctx.network.allowPrivateHosts).toEqual(["127.0.0.1", "minio.lan"]);
    expect(findCredential(ctx, "sftp", new URL("sftp://u@h/x"), "password")).toBe("from-env");
    expect(findCredential(ctx, "sftp", new URL("sftp://u@h/x?profile=backup2"), "password")).toBe("profile-env");
    expect(contextFromEnvironment(() => undefined).network.allowPrivateHosts).toEqual([]);
  });

  it("resolves explicit, then the credentials file (by profile and kind), then the environment", () => {
    const file = parseCredentialsFile(JSON.stringify({
      profiles: {
        default: { s3: { access_key_id: "file-key", secret_access_key: "file-secret" } },
        backup2: { s3: { access_key_id: "file-key-2" } },
      },
    }));
    const env = (n: string) => ({ COFRE_S3_ACCESS_KEY_ID: "env-key", COFRE_S3_SESSION_TOKEN: "env-token" } as Record<string, string>)[n];
    const ctx: OpenContext = { credentials: { file, env }, network: { allowPrivateHosts: [] } };
    const url = new URL("s3://b/p");
    expect(findCredential(ctx, "s3", url, "access_key_id")).toBe("file-key");
    expect(findCredential(ctx, "s3", url, "session_token")).toBe("env-token");
    expect(findCredential(ctx, "s3", new URL("s3://b/p?profile=backup2"), "access_key_id")).toBe("file-key-2");
    expect(findCredential({ ...ctx, credentials: { ...ctx.credentials, explicit: { access_key_id: "db" } } }, "s3", url, "access_key_id")).toBe("db");
    const missing = (() => {
      try {
        requireCredential(ctx, "s3", new URL("s3://b/p?profile=backup2"), "secret_access_key");
      } catch (e) {
        return e as CofreError;
      }
    })()!;
    expect(missing.code).toBe("DESTINATION_CREDENTIALS_MISSING");
    expect(missing.messages.en).toContain("COFRE_S3_BACKUP2_SECRET_ACCESS_KEY");
    expect(missing.messages.en).toContain("profiles.backup2.s3.secret_access_key");
  });

  it("validates the credentials file without ever echoing a value", () => {
    const bad = [
      "{not json hunter2",
      JSON.stringify({ profiles: { default: { s3: { access_key_id: 42 } } }, note: "hunter2" }),
      JSON.stringify({ profiles: { default: { S3: { key: "hunter2" } } } }),
      JSON.stringify({ s3: { secret_access_key: "hunter2" } }),
    ];
    for (const text of bad) {
      const e = (() => {
        try {
          parseCredentialsFile(text, "creds.json");
        } catch (x) {
          return x as CofreError;
        }
      })();
      expect(e?.code, text).toBe("INVALID_INPUT");
      expect(JSON.stringify(e) + e!.messages["pt-BR"] + e!.messages.en).not.toContain("hunter2");
    }
  });

  it("loads a 0600 credentials file and refuses one others can read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cofre-creds-"));
    try {
      const path = join(dir, "cofre-credentials.json");
      writeFileSync(path, JSON.stringify({ profiles: { default: { sftp: { password: "pw" } } } }));
      chmodSync(path, 0o644);
      const e = await rejection(loadCredentialsFile(path));
      expect(e.code).toBe("INVALID_INPUT");
      expect(e.messages.en).toContain("chmod 600");
      chmodSync(path, 0o600);
      const file = await loadCredentialsFile(path);
      expect(file.get("default")?.get("sftp")?.get("password")?.reveal()).toBe("pw");
      await expect(loadCredentialsFile(join(dir, "missing.json"))).rejects.toSatisfy(invalid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Secret", () => {
  it("prints as **redacted** every way, and reveals on request", () => {
    const s = new Secret("hunter2");
    const holder = { password: s, nested: [s] };
    for (const text of [String(s), `${s}`, JSON.stringify(holder), inspect(holder, { depth: 5 }), inspect(s)]) {
      expect(text).not.toContain("hunter2");
      expect(text).toContain("**redacted**");
    }
    expect(s.reveal()).toBe("hunter2");
  });
});
