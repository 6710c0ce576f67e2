/**
 * The shared connection probe (probe.ts) over a real local destination with one operation
 * made to fail: the probe object never stays behind, and a host refused by the SSRF guard
 * gets its own advice instead of the firewall one.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalDestination } from "@cofre/shared/destinations/local.ts";
import { failedConnectionTest, runConnectionProbe } from "@cofre/shared/destinations/probe.ts";
import { guardHost } from "@cofre/shared/destinations/network-guard.ts";
import { classifyFsError } from "@cofre/shared/destinations/local.ts";
import { CofreError } from "@cofre/shared/errors.ts";
import type { Destination } from "@cofre/shared/destinations/contract.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cofre-probe-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Files left under the probe's folder. */
const leftovers = () => {
  try {
    return readdirSync(join(dir, ".cofre-probe"));
  } catch {
    return [];
  }
};

/** The local destination at `dir` with `op` replaced. */
function withFault(fault: Partial<Pick<Destination, "list" | "get">>): Destination {
  const d = new LocalDestination(dir);
  return Object.assign(Object.create(d) as Destination, fault, {
    put: d.put.bind(d), get: fault.get ?? d.get.bind(d), list: fault.list ?? d.list.bind(d), remove: d.remove.bind(d), stat: d.stat.bind(d),
  });
}
const classify = (e: unknown) => (e instanceof CofreError ? e : classifyFsError(e, ".probe"));

describe("connection probe", () => {
  it("removes the probe object when list fails", async () => {
    const d = withFault({ list: () => Promise.reject(Object.assign(new Error("EACCES"), { code: "EACCES" })) });
    const r = await runConnectionProbe(d, classify);
    expect(r.class).toBe("permission");
    expect(leftovers()).toEqual([]);
  });

  it("removes the probe object when the listing does not show it, or the read-back differs", async () => {
    const unlisted = withFault({ list: () => Promise.resolve({ objects: [], cursor: null }) });
    expect((await runConnectionProbe(unlisted, classify)).class).toBe("permission");
    expect(leftovers()).toEqual([]);
    const garbled = withFault({ get: () => Promise.resolve(new Response("garbled").body!) });
    expect((await runConnectionProbe(garbled, classify)).class).toBe("network");
    expect(leftovers()).toEqual([]);
  });

  it("a host refused by the SSRF guard has its own advice, not the firewall one", async () => {
    const err = await guardHost("169.254.169.254", { allowPrivateHosts: [] }).then(() => null, (e: CofreError) => e);
    expect(err?.code).toBe("DESTINATION_BLOCKED_HOST");
    const r = failedConnectionTest(err!, 1);
    expect(r.class).toBe("permission");
    expect(r.message.en).toMatch(/SSRF/);
    expect(r.message.en).toMatch(/COFRE_ALLOW_PRIVATE_HOSTS/);
    expect(r.message.en).not.toMatch(/firewall/);
    expect(r.message["pt-BR"]).toMatch(/SSRF/);
  });
});
