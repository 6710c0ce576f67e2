/**
 * Browser tests on Debian's Chromium through playwright-core: builds the app, serves it with
 * `vite preview` on 127.0.0.1 (stopped by PID at the end), and checks what a user sees.
 * Screenshots go to test-results/screenshots/. Exit status non-zero on any failure.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { build } from "vite";
import { chromium, type Browser } from "playwright-core";
import { ROOT } from "../../scripts/stack/paths.ts";
import { HOST, PORTS } from "../../scripts/stack/ports.ts";

const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const SHOTS = join(ROOT, "test-results", "screenshots");
const APP_DIR = join(ROOT, "app");
const PREVIEW_PORT = PORTS.app + 1;

type Check = [name: string, fn: (browser: Browser, url: string) => Promise<void>];

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

const checks: Check[] = [
  ["the Backups tab placeholder renders in pt-BR and names its six sections", async (browser, url) => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(url);
    assert((await page.getAttribute("html", "lang")) === "pt-BR", "html lang is not pt-BR");
    const heading = page.getByRole("heading", { level: 1, name: "Backups" });
    await heading.waitFor();
    const items = await page.getByRole("listitem").allTextContents();
    assert(items.length === 6, `expected 6 sections, saw ${items.length}`);
    assert(items.includes("Histórico e restauração"), "section 'Histórico e restauração' missing");
    await page.screenshot({ path: join(SHOTS, "backups-placeholder.png"), fullPage: true });
    assert(errors.length === 0, `console errors: ${errors.join("; ")}`);
    await page.close();
  }],
];

async function waitForHttp(url: string, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`preview server did not answer at ${url}`);
}

async function main(): Promise<number> {
  mkdirSync(SHOTS, { recursive: true });
  const outDir = join(ROOT, "test-results", "app-dist");
  await build({ root: APP_DIR, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  const vite = join(ROOT, "node_modules", ".bin", "vite");
  const server = spawn(vite, ["preview", "--outDir", outDir, "--host", HOST, "--port", String(PREVIEW_PORT), "--strictPort"], {
    cwd: APP_DIR,
    stdio: "ignore",
  });
  const url = `http://${HOST}:${PREVIEW_PORT}/`;
  let failed = 0;
  let browser: Browser | null = null;
  try {
    await waitForHttp(url, 30_000);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
    for (const [name, fn] of checks) {
      try {
        await fn(browser, url);
        console.log(`ok   ${name}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${name}\n     ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } finally {
    await browser?.close();
    if (server.pid) process.kill(server.pid, "SIGTERM");
  }
  console.log(`${checks.length - failed}/${checks.length} browser checks passed`);
  return failed || checks.length === 0 ? 1 : 0;
}

process.exitCode = await main();
