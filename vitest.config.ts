import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    // Deno's own tests (supabase/functions/tests) run under `deno test`, Playwright under its runner.
    exclude: ["**/node_modules/**", "supabase/**", "test/e2e/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests share one local cluster; files run in parallel, each on its own databases.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
