import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalDestination } from "@cofre/shared/destinations/local.ts";
import { bytesStream, getBytes, listAll } from "@cofre/shared/destinations/contract.ts";
import { isCofreError } from "@cofre/shared/errors.ts";
import { STALE_TEMP_MS, TEMP_MARK } from "@cofre/shared/destinations/keys.ts";
import { listTree, type TreeEntry } from "@cofre/shared/destinations/tree-list.ts";
import { describeConformance } from "./conformance.ts";

const enc = (s: string) => new TextEncoder().encode(s);
let root = "";
let dest: LocalDestination;

beforeEach(() => {
  root = join(mkdtempSync(join(tmpdir(), "cofre-local-")), "backups");
  dest = new LocalDestination(root);
});
afterEach(() => rmSync(join(root, ".."), { recursive: true, force: true }));

describe("local destination", () => {
  it("getBytes reads a small object whole and refuses one past its limit as CORRUPT_ARCHIVE", async () => {
    await dest.put("m/manifest.json", bytesStream(enc("x".repeat(100))));
    expect((await getBytes(dest, "m/manifest.json", 100)).length).toBe(100);
    const e = await getBytes(dest, "m/manifest.json", 99).catch((x) => x);
    expect(isCofreError(e, "CORRUPT_ARCHIVE")).toBe(true);
    expect(e.details).toEqual({ key: "m/manifest.json", maxBytes: 99 });
  });

  it("a put sweeps its directory's stale temporary files (a crash's), never fresh ones; list hides both", async () => {
    mkdirSync(join(root, "v"), { recursive: true });
    const stale = join(root, "v", `${TEMP_MARK}crashed`);
    const fresh = join(root, "v", `${TEMP_MARK}live`);
    writeFileSync(stale, "half a volume");
    writeFileSync(fresh, "a put in progress");
    const old = (Date.now() - STALE_TEMP_MS - 60_000) / 1000;
    utimesSync(stale, old, old);
    expect((await dest.list("")).objects).toEqual([]);
    await dest.put("v/vol.bin", bytesStream(enc("whole")));
    const names = readdirSync(join(root, "v")).sort();
    expect(names).toEqual([`${TEMP_MARK}live`, "vol.bin"]);
    expect((await dest.list("")).objects.map((o) => o.key)).toEqual(["v/vol.bin"]);
  });

  it("a list page stats only its own objects (tree-list), not the whole tree", async () => {
    for (let i = 0; i < 30; i++) await dest.put(`d/${String(i).padStart(2, "0")}.bin`, bytesStream(new Uint8Array(i)));
    const page = await dest.list("d/", { limit: 3, cursor: "d/10.bin" });
    expect(page.objects.map((o) => [o.key, o.size])).toEqual([["d/11.bin", 11], ["d/12.bin", 12], ["d/13.bin", 13]]);
    expect(page.cursor).toBe("d/13.bin");
    // The walk over a fake tree: one describe per listed object, and none for what the page skips.
    const dirs: Record<string, TreeEntry[]> = {
      "": [{ name: "a", dir: true, size: 0, modifiedAt: null }, { name: "b", dir: true, size: 0, modifiedAt: null }],
      a: Array.from({ length: 500 }, (_, i) => ({ name: `f${String(i).padStart(3, "0")}`, dir: false, size: 0, modifiedAt: null })),
      b: [{ name: "x", dir: false, size: 0, modifiedAt: null }],
    };
    const read: string[] = [];
    const described: string[] = [];
    const res = await listTree(async (k) => {
      read.push(k);
      return dirs[k] ? dirs[k]!.map((e) => ({ ...e })) : null;
    }, "", { limit: 2, cursor: "a/f100", describe: async (key) => (described.push(key), { size: 7, modifiedAt: null }) });
    expect(res.objects.map((o) => o.key)).toEqual(["a/f101", "a/f102"]);
    expect(described).toEqual(["a/f101", "a/f102"]);
    expect(read, "the walk stops once the page is full").toEqual(["", "a"]);
  });

  it("puts, gets, ranges, stats, overwrites and removes", async () => {
    await dest.put("a/b/clínica 🦷.txt", bytesStream(enc("0123456789")));
    expect(new TextDecoder().decode(await getBytes(dest, "a/b/clínica 🦷.txt"))).toBe("0123456789");
    const part = await new Response(await dest.get("a/b/clínica 🦷.txt", { offset: 3, length: 4 })).text();
    expect(part).toBe("3456");
    const tail = await new Response(await dest.get("a/b/clínica 🦷.txt", { offset: 8 })).text();
    expect(tail).toBe("89");
    expect((await dest.stat("a/b/clínica 🦷.txt"))?.size).toBe(10);
    await dest.put("a/b/clínica 🦷.txt", bytesStream(enc("novo")));
    expect((await dest.stat("a/b/clínica 🦷.txt"))?.size).toBe(4);
    await dest.remove("a/b/clínica 🦷.txt");
    await dest.remove("a/b/clínica 🦷.txt");
    expect(await dest.stat("a/b/clínica 🦷.txt")).toBeNull();
  });

  it("creates directories 0700 and files 0600", async () => {
    await dest.put("x/y.bin", bytesStream(enc("z")));
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, "x")).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, "x", "y.bin")).mode & 0o777).toBe(0o600);
  });

  it("rejects a missing key with DESTINATION_NOT_FOUND", async () => {
    await expect(dest.get("nope")).rejects.toSatisfy((e: unknown) => isCofreError(e, "DESTINATION_NOT_FOUND"));
  });

  it("lists in key order with paging", async () => {
    for (const k of ["p/3", "p/1", "p/2", "q/1"]) await dest.put(k, bytesStream(enc(k)));
    const first = await dest.list("p/", { limit: 2 });
    expect(first.objects.map((o) => o.key)).toEqual(["p/1", "p/2"]);
    const second = await dest.list("p/", { limit: 2, cursor: first.cursor });
    expect(second.objects.map((o) => o.key)).toEqual(["p/3"]);
    expect(second.cursor).toBeNull();
    const all: string[] = [];
    for await (const o of listAll(dest, "")) all.push(o.key);
    expect(all).toEqual(["p/1", "p/2", "p/3", "q/1"]);
  });

  it("leaves nothing under the key when the upload fails mid-stream", async () => {
    let sent = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 3) c.enqueue(new Uint8Array(1024));
        else c.error(new Error("connection reset"));
      },
    });
    await expect(dest.put("v/vol-00001.zip", failing)).rejects.toBeTruthy();
    expect(await dest.stat("v/vol-00001.zip")).toBeNull();
    expect(readdirSync(join(root, "v"))).toEqual([]);
  });

  it("refuses keys that escape the root", async () => {
    for (const bad of ["../x", "/etc/passwd", "a/../../b", "a//b"]) {
      await expect(dest.put(bad, bytesStream(enc("x")))).rejects.toSatisfy((e: unknown) => isCofreError(e, "INVALID_INPUT"));
    }
  });

  it("testConnection: ok on a writable directory, and leaves no probe behind", async () => {
    const ok = await dest.testConnection();
    expect(ok).toMatchObject({ ok: true, class: "ok" });
    expect(await dest.list("")).toMatchObject({ objects: [] });
  });

  it("testConnection classifies filesystem failures with the seed's advice", async () => {
    // Fault injection: the filesystem answers with an errno, as a full or read-only disk would.
    const failing = (code: string) =>
      new (class extends LocalDestination {
        override async put(): Promise<never> {
          throw Object.assign(new Error(code), { code });
        }
      })(root);
    const denied = await failing("EACCES").testConnection();
    expect(denied).toMatchObject({ ok: false, class: "permission" });
    expect(denied.message["pt-BR"]).toMatch(/permiss/i);
    const full = await failing("ENOSPC").testConnection();
    expect(full).toMatchObject({ ok: false, class: "quota" });
    expect(full.message["pt-BR"]).toMatch(/espaço/);
    expect(full.message.en).toMatch(/incremental/);
  });
});

const suiteBase = mkdtempSync(join(tmpdir(), "cofre-local-conf-"));
afterAll(() => rmSync(suiteBase, { recursive: true, force: true }));

const NO_NETWORK = "the local filesystem adapter opens no network connection to fault";
const NO_HTTP = "the local filesystem adapter speaks no HTTP";
describeConformance({
  name: "local",
  open: async () => new LocalDestination(join(suiteBase, randomUUID())),
  limitations: {
    "fault: connection reset mid-upload": NO_NETWORK,
    "fault: connection reset mid-download": NO_NETWORK,
    "fault: stalled connection times out": NO_NETWORK,
    "fault: HTTP 5xx": NO_HTTP,
    "fault: HTTP 429 with Retry-After": NO_HTTP,
    "fault: HTTP reset mid-body": NO_HTTP,
    "fault: HTTP timeout": NO_HTTP,
    "testConnection: authentication": "a local directory has no credentials",
    "testConnection: network": NO_NETWORK,
    "testConnection: tls": "no TLS on a local filesystem",
    "testConnection: host_key": "no SSH host key on a local filesystem",
    "testConnection: not_found": "the adapter creates its root directory (mkdir -p), so a missing path is created, not reported",
    "testConnection: quota":
      "a full disk cannot be produced here without mounting a filesystem; ENOSPC/EDQUOT → quota is covered by the errno test above",
  },
  failing: {
    // sysfs refuses new directories (EPERM for root, EACCES for others): a real permission failure.
    permission: async () => new LocalDestination("/sys/cofre-conformance-probe"),
  },
});
