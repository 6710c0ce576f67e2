/**
 * The acceptance path of issue 6, from scratch: a brand-new PostgreSQL 15 cluster (pg_cron
 * preloaded, as on Supabase) bootstrapped with the Supabase-compatibility script, then
 *   `supabase db push --db-url …`  applies every migration in supabase/migrations, and
 *   `supabase db lint --db-url …`  (plpgsql_check) finds nothing in schemas cofre and cofre_private.
 * The real Supabase CLI (node_modules/.bin/supabase) does both. A new cluster rather than a
 * scratch database because pg_cron can only be created in the database its worker reads
 * (cron.database_name), which on the shared cluster already holds the stack's migrations.
 * The cluster listens on a Unix socket only (no TCP port), in a directory of its own, and is
 * stopped by its postmaster's PID at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { mustRunAs } from "../../scripts/stack/proc.ts";
import { ROOT, STACK_DIR } from "../../scripts/stack/paths.ts";
import { COMPAT_SQL } from "../../scripts/stack/postgres.ts";
import { PORTS } from "../../scripts/stack/ports.ts";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const DIR = join(STACK_DIR, `tmp-db-push-${process.pid}`);
const SOCKET_DIR = join(DIR, "run");
const DATA = join(DIR, "data");
// Only the socket file's name: the cluster listens on no TCP address.
const SOCKET_PORT = PORTS.postgres;
const DB_URL = `postgresql://postgres:postgres@localhost:${SOCKET_PORT}/postgres?host=${encodeURIComponent(SOCKET_DIR)}&sslmode=disable`;
const asPostgres = process.getuid?.() === 0 ? "postgres" : null;
const CLI_ENV = { ...process.env, SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };

function supabase(args: string[]) {
  return spawnSync(join(ROOT, "node_modules", ".bin", "supabase"), [...args, "--workdir", ROOT, "--db-url", DB_URL], {
    encoding: "utf8", env: CLI_ENV, input: "y\n", timeout: 180_000,
  });
}

function psql(sql: string): string {
  return mustRunAs(null, `${PG_BIN}/psql`, ["-X", "-q", "-At", "-h", SOCKET_DIR, "-p", String(SOCKET_PORT), "-U", "postgres",
    "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], { encoding: "utf8" }).stdout.toString().trim();
}

let postmasterPid: number | null = null;

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(SOCKET_DIR, { recursive: true, mode: 0o700 });
  if (asPostgres) mustRunAs(null, "chown", ["-R", "postgres:postgres", DIR]);
  mustRunAs(asPostgres, `${PG_BIN}/initdb`, ["-D", DATA, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=trust", "-N"]);
  mustRunAs(asPostgres, `${PG_BIN}/pg_ctl`, ["-D", DATA, "-l", join(DIR, "server.log"), "-w", "-t", "60", "-o",
    [`-c listen_addresses=''`, `-c port=${SOCKET_PORT}`, `-c unix_socket_directories=${SOCKET_DIR}`,
     "-c shared_preload_libraries=pg_cron", "-c cron.database_name=postgres", "-c fsync=off"].join(" "), "start"]);
  postmasterPid = Number(readFileSync(join(DATA, "postmaster.pid"), "utf8").split("\n")[0]);
  mustRunAs(null, `${PG_BIN}/psql`, ["-X", "-q", "-h", SOCKET_DIR, "-p", String(SOCKET_PORT), "-U", "postgres", "-d", "postgres",
    "-v", "ON_ERROR_STOP=1", "-f", COMPAT_SQL]);
});

afterAll(async () => {
  if (postmasterPid) {
    try {
      process.kill(postmasterPid, "SIGINT"); // PostgreSQL's fast shutdown
    } catch {
      // already gone
    }
    for (let i = 0; i < 100 && existsSync(join(DATA, "postmaster.pid")); i++) await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(DIR, { recursive: true, force: true });
});

describe("migrations from scratch with the Supabase CLI", () => {
  it("`supabase db push --db-url` applies every migration", () => {
    const r = supabase(["db", "push", "--yes"]);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const files = readdirSync(join(ROOT, "supabase", "migrations")).filter((f) => f.endsWith(".sql"))
      .map((f) => f.split("_")[0]).sort();
    const applied = psql("select string_agg(version, ',' order by version) from supabase_migrations.schema_migrations");
    expect(applied.split(",")).toEqual(files);
    expect(psql("select count(*) from pg_proc where pronamespace = 'cofre'::regnamespace")).not.toBe("0");
  });

  it("`supabase db lint --db-url` finds no warning or error in cofre and cofre_private", () => {
    const r = supabase(["db", "lint", "--schema", "cofre,cofre_private", "--level", "warning", "--fail-on", "warning"]);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toMatch(/Linting schema: cofre_private/);
    expect(r.stdout.trim() === "" || r.stdout.trim() === "[]" || /No schema errors found/.test(r.stdout + r.stderr),
      `lint output:\n${r.stdout}`).toBe(true);
  });
});
