import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** The repository root, whichever directory a script is started from. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Git-ignored state of the local stack: cluster data, logs, PID files, `env`. */
export const STACK_DIR = join(ROOT, ".stack");
export const ENV_FILE = join(STACK_DIR, "env");
export const PID_DIR = join(STACK_DIR, "pids");
export const LOG_DIR = join(STACK_DIR, "logs");
