/**
 * SFTP (OpenSSH): the conformance suite, the CLI round trip, host-key pinning, password and
 * key logins, on-disk modes, and an upload that survives sshd killing its session mid-transfer.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { bytesStream, getBytes } from "@cofre/shared/destinations/contract.ts";
import { classifySftpError } from "@cofre/shared/destinations/sftp.ts";
import { isCofreError } from "@cofre/shared/errors.ts";
import { SFTP_CHROOT } from "../../scripts/stack/services/sshd.ts";
import { stackEnv } from "../support/stack.ts";
import { describeConformance } from "./conformance.ts";
import { describeDemoRoundTrip } from "./roundtrip.ts";
import { expectPutResumesAfterSessionsKilled, expectStaleTempsSwept } from "./server-sessions.ts";
import { keyCreds, openSftp, sftpServer, sftpTarget } from "./sftp-target.ts";

describeConformance(sftpTarget());
describeDemoRoundTrip("sftp", () => stackEnv().DEST_SFTP ?? "");

const where = { key: "k", display: "sftp://u@h:22/x" } as const;
const status = (code: number, message: string) => Object.assign(new Error(message), { code });

describe("sftp adapter", () => {
  it("refuses a server whose host key is not pinned, showing its fingerprint", async () => {
    const s = sftpServer();
    const { host_key: _pinned, ...noPin } = keyCreds();
    const d = await openSftp({ creds: noPin });
    const err = await d.stat("x").then(() => null, (e: unknown) => e);
    expect(isCofreError(err, "DESTINATION_HOST_KEY")).toBe(true);
    expect((err as Error).message).toContain(s.hostKey);
    const r = await d.testConnection();
    expect(r.class).toBe("host_key");
  });

  it("refuses a changed host key, naming both fingerprints", async () => {
    const s = sftpServer();
    const d = await openSftp({ creds: { ...keyCreds(), host_key: "SHA256:ZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2U" } });
    const err = await d.stat("x").then(() => null, (e: unknown) => e);
    expect(isCofreError(err, "DESTINATION_HOST_KEY")).toBe(true);
    expect((err as Error).message).toContain(s.hostKey);
    expect((err as Error).message).toContain("SHA256:ZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2U");
  });

  it("logs in with a password alone, and rejects a wrong key passphrase as authentication", async () => {
    const s = sftpServer();
    const d = await openSftp({ creds: { password: s.password, host_key: s.hostKey } });
    await d.put("pw.txt", bytesStream(new TextEncoder().encode("pw")));
    expect(new TextDecoder().decode(await getBytes(d, "pw.txt"))).toBe("pw");
    await d.remove("pw.txt");
    const keyed = await openSftp();
    for (const secret of [s.password, s.passphrase, s.privateKey.slice(40, 80)]) {
      expect(inspect(d, { depth: 10 }) + inspect(keyed, { depth: 10 }) + JSON.stringify([d, keyed])).not.toContain(secret);
    }
    const bad = await openSftp({ creds: { ...keyCreds(), private_key_passphrase: "not-it" } });
    await expect(bad.stat("x")).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_AUTH") && !(e as Error).message.includes(s.passphrase));
  });

  it("creates directories 0700 and files 0600 on the server", async () => {
    const root = `modes-${Date.now()}`;
    const d = await openSftp({ root: `data/${root}` });
    await d.put("a/b.bin", bytesStream(new Uint8Array([1, 2, 3])));
    const dataDir = join(SFTP_CHROOT, "data", root);
    expect(statSync(join(dataDir, "a")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, "a", "b.bin")).mode & 0o777).toBe(0o600);
    await d.remove("a/b.bin");
  });

  it("classifies SFTP status codes", () => {
    expect(classifySftpError(status(3, "Permission denied"), { ...where, op: "put" }).code).toBe("DESTINATION_PERMISSION");
    expect(classifySftpError(status(2, "No such file"), { ...where, op: "get" }).code).toBe("DESTINATION_NOT_FOUND");
    expect(classifySftpError(status(4, "Disk quota exceeded"), { ...where, op: "put" }).code).toBe("DESTINATION_QUOTA");
    expect(classifySftpError(status(4, "Failure"), { ...where, op: "put" }).code).toBe("DESTINATION_IO");
    expect(classifySftpError(Object.assign(new Error("All configured authentication methods failed"), { level: "client-authentication" }), { ...where, op: "connect" }).code).toBe("DESTINATION_AUTH");
    expect(classifySftpError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED", level: "client-socket" }), { ...where, op: "connect" }).code).toBe("DESTINATION_NETWORK");
  });

  it("resumes an upload after sshd kills its session mid-transfer", async () => {
    await expectPutResumesAfterSessionsKilled(await openSftp(), "sshd-sftp", { size: 8 * 1024 * 1024, seed: 43, killAt: 3 * 1024 * 1024 });
  });
  it("sweeps a crash's stale temporary file on the next put into its directory", async () => {
    const root = `data/sweep-${Date.now()}`;
    await expectStaleTempsSwept((r) => openSftp({ root: r }), root, join(SFTP_CHROOT, root));
  });
});
