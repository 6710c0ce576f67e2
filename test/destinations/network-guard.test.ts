import { describe, expect, it } from "vitest";
import { guardHost, isBlockedAddress } from "@cofre/shared/destinations/network-guard.ts";
import { openDestination } from "@cofre/shared/destinations/registry.ts";
import type { OpenContext } from "@cofre/shared/destinations/open-context.ts";
import { isCofreError } from "@cofre/shared/errors.ts";

const blockedCode = (e: unknown) => isCofreError(e, "DESTINATION_BLOCKED_HOST");

describe("SSRF guard: addresses", () => {
  it.each([
    "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.10",
    "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.0.170",
    "::", "::1", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:a9fe:a9fe", "::127.0.0.1",
    "64:ff9b::a9fe:a9fe", "64:ff9b::10.0.0.1", "2002:7f00:1::1", "2002:c0a8:101::",
    "not-an-ip",
  ])("refuses %s", (ip) => {
    expect(isBlockedAddress(ip)).toBe(true);
  });

  it.each([
    "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "169.253.1.1", "192.169.0.1",
    "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
  ])("lets %s through", (ip) => {
    expect(isBlockedAddress(ip)).toBe(false);
  });
});

describe("SSRF guard: hosts", () => {
  const none = { allowPrivateHosts: [] };

  it("refuses loopback by address and by name, and says how to allow it", async () => {
    for (const host of ["127.0.0.1", "[::1]", "localhost", "2130706433"]) {
      await expect(guardHost(host, none), host).rejects.toSatisfy(blockedCode);
    }
    const e = await guardHost("169.254.169.254", none).catch((x: unknown) => x);
    expect(blockedCode(e)).toBe(true);
    expect((e as Error).message).toContain("COFRE_ALLOW_PRIVATE_HOSTS");
  });

  it("allows what the operator names, by host or by address", async () => {
    expect(await guardHost("127.0.0.1", { allowPrivateHosts: ["127.0.0.1"] })).toEqual(["127.0.0.1"]);
    expect(await guardHost("LOCALHOST", { allowPrivateHosts: ["localhost"] })).toEqual(["localhost"]);
    await expect(guardHost("10.0.0.1", { allowPrivateHosts: ["127.0.0.1"] })).rejects.toSatisfy(blockedCode);
  });

  it("returns public addresses it vetted, and fails a name that does not resolve as a network error", async () => {
    expect(await guardHost("8.8.8.8", none)).toEqual(["8.8.8.8"]);
    await expect(guardHost("no-such-host.invalid", none)).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_NETWORK"));
  });
});

describe("SSRF guard is applied by every network adapter before it connects", () => {
  // Every credential field any adapter asks for, so opening gets as far as connecting.
  const explicit = Object.fromEntries([
    "access_key_id", "secret_access_key", "access_grant", "password", "private_key", "refresh_token",
    "client_id", "client_secret", "app_key", "app_secret",
  ].map((f) => [f, "dummy-value"]));
  // The cloud adapters' API bases are the operator's (environment), never the spec's.
  const operatorEnv: Record<string, string> = { COFRE_GDRIVE_API_BASE: "http://169.254.169.254", COFRE_DROPBOX_API_BASE: "http://[::ffff:7f00:1]:55455" };
  const ctx: OpenContext = { credentials: { explicit, env: (n) => operatorEnv[n] }, network: { allowPrivateHosts: [] } };

  it.each([
    "s3://bucket/prefix?endpoint=http%3A%2F%2F127.0.0.1%3A55450",
    "supabase-storage://bucket/prefix?region=us-east-1&endpoint=http%3A%2F%2F169.254.169.254%2Fstorage%2Fv1%2Fs3",
    "storj://bucket/prefix?auth=http%3A%2F%2F10.0.0.8%3A55456",
    "ftp://backup@127.0.0.1:55451/backups",
    "ftps://backup@192.168.0.10:21/backups",
    "sftp://backup@127.0.0.1:55453/backups",
    "gdrive://Backups",
    "dropbox:///Backups",
  ])("%s", async (spec) => {
    // Refused when opening, or — for adapters that connect lazily — by the connection test.
    const outcome = await openDestination(spec, ctx).then((d) => d.testConnection()).catch((e: unknown) => e);
    if (outcome instanceof Error) expect(blockedCode(outcome), outcome.message).toBe(true);
    else expect(outcome).toMatchObject({ ok: false, code: "DESTINATION_BLOCKED_HOST" });
  });
});
