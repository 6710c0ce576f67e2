/**
 * FTP (vsftpd): the conformance suite, the CLI round trip, and what only FTP has — reply-code
 * classification, spec rules, on-disk modes, and an upload that survives the server killing
 * its session mid-transfer (resumed with SIZE + REST + STOR).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { FTPError } from "basic-ftp";
import { bytesStream, getBytes } from "@cofre/shared/destinations/contract.ts";
import { classifyFtpError, open } from "@cofre/shared/destinations/ftp.ts";
import { isTransient } from "@cofre/shared/destinations/retry.ts";
import { isCofreError } from "@cofre/shared/errors.ts";
import { STACK_DIR } from "../../scripts/stack/paths.ts";
import { stackEnv } from "../support/stack.ts";
import { describeConformance } from "./conformance.ts";
import { ctxWith, ftpServer, ftpTarget, ftpUrl, openFtp } from "./ftp-target.ts";
import { describeDemoRoundTrip } from "./roundtrip.ts";
import { expectPutResumesAfterSessionsKilled, expectStaleTempsSwept } from "./server-sessions.ts";

describeConformance(ftpTarget("ftp"));
describeDemoRoundTrip("ftp", () => stackEnv().DEST_FTP ?? "");

const where = { kind: "ftp", key: "k", display: "ftp://u@h:21/x" } as const;
const reply = (code: number, message = `${code} server says no`) => new FTPError({ code, message });

describe("ftp adapter", () => {
  it("classifies server replies and socket errors", () => {
    expect(classifyFtpError(reply(530), { ...where, op: "connect" }).code).toBe("DESTINATION_AUTH");
    expect(classifyFtpError(reply(552), { ...where, op: "put" }).code).toBe("DESTINATION_QUOTA");
    expect(classifyFtpError(reply(452), { ...where, op: "put" }).code).toBe("DESTINATION_QUOTA");
    expect(classifyFtpError(reply(550), { ...where, op: "get" }).code).toBe("DESTINATION_NOT_FOUND");
    expect(classifyFtpError(reply(550), { ...where, op: "put" }).code).toBe("DESTINATION_PERMISSION");
    expect(classifyFtpError(reply(553), { ...where, op: "put" }).code).toBe("DESTINATION_PERMISSION");
    const busy = classifyFtpError(reply(421, "421 Too many connections"), { ...where, op: "put" });
    expect(busy.code).toBe("DESTINATION_UNAVAILABLE");
    expect(isTransient(busy)).toBe(true);
    expect(classifyFtpError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), { ...where, op: "connect" }).code).toBe("DESTINATION_NETWORK");
    expect(classifyFtpError(new Error("Timeout (data socket)"), { ...where, op: "put" }).code).toBe("DESTINATION_NETWORK");
    expect(classifyFtpError(Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }), { ...where, op: "connect" }).code).toBe("DESTINATION_TLS");
    expect(classifyFtpError(reply(502, "502 AUTH not supported"), { ...where, op: "connect" }).code).toBe("DESTINATION_TLS");
  });

  it("refuses a password in the URL and never shows one back", async () => {
    const s = ftpServer("ftp");
    await expect(open(new URL(`ftp://cofre-ftp:${s.password}@127.0.0.1:${s.port}/x`), ctxWith(s.creds)))
      .rejects.toSatisfy((e: unknown) => isCofreError(e, "INVALID_INPUT") && !JSON.stringify((e as Error & { toJSON(): unknown }).toJSON()).includes(s.password));
    await expect(open(ftpUrl("ftp", "x"), ctxWith({}))).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_CREDENTIALS_MISSING"));
    const d = await openFtp("ftp");
    expect(d.displaySpec).not.toContain(s.password);
    expect(inspect(d, { depth: 10 })).not.toContain(s.password);
    expect(JSON.stringify(d)).not.toContain(s.password);
    expect(d.displaySpec).toMatch(/^ftp:\/\/cofre-ftp@127\.0\.0\.1:\d+\/conformance\//);
  });

  it("creates directories 0700 and files 0600 on the server", async () => {
    const root = `modes-${Date.now()}`;
    const d = await openFtp("ftp", { root });
    await d.put("a/b.bin", bytesStream(new Uint8Array([1, 2, 3])));
    const dataDir = join(STACK_DIR, "vsftpd", "data", root);
    expect(statSync(join(dataDir, "a")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, "a", "b.bin")).mode & 0o777).toBe(0o600);
    await d.remove("a/b.bin");
  });

  it("a path below the login directory (/~/) resolves against it", async () => {
    const d = await openFtp("ftp", { root: `~/home-rel-${Date.now()}` });
    await d.put("x.txt", bytesStream(new TextEncoder().encode("home")));
    expect(new TextDecoder().decode(await getBytes(d, "x.txt"))).toBe("home");
    await d.remove("x.txt");
  });

  it("resumes an upload after the server kills its session mid-transfer", async () => {
    await expectPutResumesAfterSessionsKilled(await openFtp("ftp"), "vsftpd-ftp", { size: 12 * 1024 * 1024, seed: 41, killAt: 4 * 1024 * 1024 });
  });
  it("sweeps a crash's stale temporary file on the next put into its directory", async () => {
    const root = `sweep-${Date.now()}`;
    await expectStaleTempsSwept((r) => openFtp("ftp", { root: r }), root, join(STACK_DIR, "vsftpd", "data", root));
  });
});
