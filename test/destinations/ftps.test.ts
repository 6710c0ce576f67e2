/**
 * FTPS (vsftpd, explicit TLS, self-signed certificate): the conformance suite, the CLI round
 * trip, certificate pinning and CA trust, and a TLS upload that survives the server killing
 * its session mid-transfer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bytesStream, getBytes } from "@cofre/shared/destinations/contract.ts";
import { isCofreError } from "@cofre/shared/errors.ts";
import { STACK_DIR } from "../../scripts/stack/paths.ts";
import { stackEnv } from "../support/stack.ts";
import { describeConformance, generatedBody, hashStream } from "./conformance.ts";
import { ftpServer, ftpTarget, openFtp } from "./ftp-target.ts";
import { describeDemoRoundTrip } from "./roundtrip.ts";
import { killSessions, onBytes } from "./server-sessions.ts";

describeConformance(ftpTarget("ftps"));
describeDemoRoundTrip("ftps", () => stackEnv().DEST_FTPS ?? "");

describe("ftps adapter", () => {
  it("refuses a self-signed certificate that is neither pinned nor given as CA", async () => {
    const s = ftpServer("ftps");
    const d = await openFtp("ftps", { creds: { password: s.password } });
    await expect(d.stat("x")).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_TLS"));
  });

  it("shows the certificate it received when the pin does not match", async () => {
    const s = ftpServer("ftps");
    const d = await openFtp("ftps", { creds: { password: s.password, cert_fingerprint: "ab".repeat(32) } });
    const err = await d.stat("x").then(() => null, (e: unknown) => e);
    expect(isCofreError(err, "DESTINATION_TLS")).toBe(true);
    expect((err as Error).message).toContain(s.fingerprint);
    expect((err as Error).message).not.toContain(s.password);
  });

  it("trusts a certificate given as CA (verified chain and host name)", async () => {
    const s = ftpServer("ftps");
    const ca = readFileSync(join(STACK_DIR, "vsftpd", "cert.pem"), "utf8");
    const d = await openFtp("ftps", { creds: { password: s.password, ca } });
    await d.put("ca.txt", bytesStream(new TextEncoder().encode("ca")));
    expect(new TextDecoder().decode(await getBytes(d, "ca.txt"))).toBe("ca");
    await d.remove("ca.txt");
  });

  it("resumes a TLS upload after the server kills its session mid-transfer", async () => {
    const d = await openFtp("ftps");
    const body = generatedBody(8 * 1024 * 1024, 42, { chunk: 64 * 1024 });
    let killed = 0;
    const info = await d.put("resumed.bin", onBytes(body.stream, 3 * 1024 * 1024, async () => {
      await new Promise((r) => setTimeout(r, 200));
      killed = killSessions("vsftpd-ftps");
    }));
    expect(killed, "no server session was killed").toBeGreaterThan(0);
    expect(info.size).toBe(body.size);
    expect(await hashStream(await d.get("resumed.bin"))).toEqual({ sha256: body.sha256, size: body.size });
    await d.remove("resumed.bin");
  });
});
