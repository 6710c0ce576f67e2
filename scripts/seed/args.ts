/**
 * Command-line parsing for `npm run seed`. Pure: returns options or throws UsageError, so it
 * can be tested without a process.
 */
import { DEFAULT_SEED, MAX_SCALE } from "./seed.ts";

export const USAGE = `usage: npm run seed -- --scale N [--db <postgres-url>] [--seed S]

  --scale N   size multiplier, 0 < N <= ${MAX_SCALE}; fractions allowed (0.05). 1 ≈ 50 MB of table data
  --db URL    target database (default: DATABASE_URL from .stack/env, the local stack)
  --seed S    integer 0 <= S < 2^32 (default ${DEFAULT_SEED}); same seed and scale → identical data
  --quiet     print only the summary
  --help      this text

Drops and recreates the Ortho+ demo tables in schema public of the target database.`;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface CliOptions {
  scale: number;
  seed: number;
  /** Undefined → the local stack's DATABASE_URL. */
  db: string | undefined;
  quiet: boolean;
  help: boolean;
}

/** Strict numeric parse: the whole string must be a number ("1e2" and "0.5" yes, "1x" no). */
function parseNumber(flag: string, raw: string | undefined): number {
  if (raw === undefined || raw.startsWith("--")) throw new UsageError(`${flag} needs a value`);
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${flag}: not a number: ${JSON.stringify(raw)}`);
  return n;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const out: CliOptions = { scale: NaN, seed: DEFAULT_SEED, db: undefined, quiet: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.includes("=") ? (argv[i]!.split(/=(.*)/s, 2) as [string, string]) : [argv[i]!, undefined];
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case "--scale":
        out.scale = parseNumber("--scale", value());
        break;
      case "--seed":
        out.seed = parseNumber("--seed", value());
        break;
      case "--db": {
        const v = value();
        if (!v || v.startsWith("--")) throw new UsageError("--db needs a postgres:// URL");
        if (!/^postgres(ql)?:\/\//.test(v)) throw new UsageError("--db must be a postgres:// or postgresql:// URL");
        out.db = v;
        break;
      }
      case "--quiet":
        out.quiet = true;
        break;
      case "--help":
      case "-h":
        out.help = true;
        return out;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(argv[i])}`);
    }
  }
  if (Number.isNaN(out.scale)) throw new UsageError("--scale is required");
  if (!(out.scale > 0 && out.scale <= MAX_SCALE)) throw new UsageError(`--scale must be > 0 and <= ${MAX_SCALE}, got ${out.scale}`);
  if (!Number.isInteger(out.seed) || out.seed < 0 || out.seed >= 2 ** 32) {
    throw new UsageError(`--seed must be an integer 0 <= S < 2^32, got ${out.seed}`);
  }
  return out;
}
