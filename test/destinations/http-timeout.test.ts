/**
 * http-timeout.ts, the fetch wrapper of every HTTP adapter, and the S3 family's transport on
 * it (s3-http.ts): redirects come back as answers and are never followed (the SSRF guard vets
 * only the configured host), and a stalled response body fails with IdleTimeoutError.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { IdleTimeoutError, idleTimeoutFetch } from "@cofre/shared/destinations/http-timeout.ts";
import { fetchRequestHandler } from "@cofre/shared/destinations/s3-http.ts";
import { startRedirectTrap } from "./cloud-fakes.ts";

const trap = await startRedirectTrap();
const stall = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { "content-length": "10" });
  res.write("12345"); // and never the rest
});
await new Promise<void>((r) => stall.listen(0, "127.0.0.1", () => r()));
afterAll(() => {
  trap.close();
  stall.closeAllConnections();
  stall.close();
});

describe("http-timeout", () => {
  it("returns a 307 as an answer, without following it", async () => {
    const res = await idleTimeoutFetch(globalThis.fetch, 2000)(`${trap.api}/x?token=secret`);
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toMatch(/^http:\/\/127\.0\.0\.2:/);
    expect(trap.reached).toEqual([]);
  });

  it("the S3 transport hands the SDK the 307 and never reaches the redirect target", async () => {
    const port = Number(new URL(trap.api).port);
    const out = await fetchRequestHandler(globalThis.fetch, 2000).handle({
      method: "PUT", protocol: "http:", hostname: "127.0.0.1", port, path: "/bucket/key", query: { "x-id": "PutObject" },
      headers: { authorization: "AWS4-HMAC-SHA256 Credential=x" }, body: new Uint8Array(300 * 1024),
    });
    expect(out.response.statusCode).toBe(307);
    expect(trap.reached).toEqual([]);
  });

  it("fails a response body that stops arriving with IdleTimeoutError", async () => {
    const t0 = Date.now();
    const res = await idleTimeoutFetch(globalThis.fetch, 300)(`http://127.0.0.1:${(stall.address() as AddressInfo).port}/`);
    await expect(res.arrayBuffer()).rejects.toBeInstanceOf(IdleTimeoutError);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
