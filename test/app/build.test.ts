/**
 * Builds the Backups tab with Vite's API into a temporary directory and checks the output:
 * an index.html in pt-BR that loads a JS asset which exists.
 */
import { afterAll, describe, expect, it } from "vitest";
import { build } from "vite";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const appRoot = resolve(fileURLToPath(new URL("../../app", import.meta.url)));

describe("app build", () => {
  let outDir = "";

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("produces index.html (lang pt-BR) and a JS asset", async () => {
    outDir = await mkdtemp(join(tmpdir(), "cofre-app-build-"));
    await build({
      root: appRoot,
      configFile: join(appRoot, "vite.config.ts"),
      logLevel: "silent",
      build: { outDir, emptyOutDir: true },
    });

    const html = await readFile(join(outDir, "index.html"), "utf8");
    expect(html).toMatch(/<html[^>]*\slang="pt-BR"/);

    const assets = await readdir(join(outDir, "assets"));
    const scripts = assets.filter((f) => f.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    // index.html must load one of the emitted scripts.
    expect(scripts.some((f) => html.includes(`/assets/${f}`))).toBe(true);
  });
});
