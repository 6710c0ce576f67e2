/**
 * `npm run seed -- --scale N [--db <url>] [--seed S]` — thin CLI over seedDemo().
 * Exit codes: 0 done, 1 seeding failed, 2 usage error.
 */
import { readEnvFile } from "../stack/env.ts";
import { parseArgs, USAGE, UsageError } from "./args.ts";
import { seedDemo } from "./seed.ts";
import { describeDatabase } from "../../packages/shared/src/sources/postgres/connect.ts";
import { formatSummary } from "./summary.ts";

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`seed: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const url = opts.db ?? readEnvFile().DATABASE_URL;
  if (!url) {
    console.error("seed: no --db given and the local stack is not running (no DATABASE_URL in .stack/env); run `npm run stack:up`");
    return 2;
  }
  const log = opts.quiet ? undefined : (m: string) => console.error(`  ${m}`);
  if (!opts.quiet) console.error(`seeding ${describeDatabase(url)} (scale ${opts.scale}, seed ${opts.seed})`);
  try {
    const summary = await seedDemo({ url, scale: opts.scale, seed: opts.seed, log });
    console.log(formatSummary(summary));
    return 0;
  } catch (e) {
    console.error(`seed: failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

process.exitCode = await main();
