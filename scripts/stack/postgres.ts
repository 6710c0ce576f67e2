/**
 * The local PostgreSQL 15 cluster: project-local data, 127.0.0.1 on a non-default port,
 * pg_cron preloaded, the Supabase-compatibility bootstrap, then supabase/migrations.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOST, PORTS } from "./ports.ts";
import { ROOT, STACK_DIR } from "./paths.ts";
import { isAlive, mustRunAs, readPid, runAs, stopByPid, waitFor, writePid } from "./proc.ts";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const PG_DIR = join(STACK_DIR, "pg");
const DATA_DIR = join(PG_DIR, "data");
/** Unix socket directory; pg_cron's background worker connects through it. */
export const SOCKET_DIR = join(PG_DIR, "run");
const PASSWORD = "postgres";
export const COMPAT_SQL = join(ROOT, "scripts", "stack", "sql", "supabase-compat.sql");

export function databaseUrl(db = "postgres") {
  return `postgresql://postgres:${PASSWORD}@${HOST}:${PORTS.postgres}/${db}`;
}

function pgUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("user 'postgres' is missing: run `npm run setup` (installs postgresql-15)");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function ensureDirs() {
  const owner = pgUser();
  // .stack itself stays searchable so the postgres user can reach its own data below it.
  mkdirSync(STACK_DIR, { recursive: true });
  chmodSync(STACK_DIR, 0o755);
  for (const d of [PG_DIR, SOCKET_DIR]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (owner) chownSync(d, owner.uid, owner.gid);
  }
  const probe = runAs("postgres", "test", ["-w", PG_DIR]);
  if (probe.status !== 0) {
    throw new Error(`user postgres cannot write ${PG_DIR}: every parent directory must be searchable (chmod o+x)`);
  }
}

function initCluster() {
  if (existsSync(join(DATA_DIR, "PG_VERSION"))) return;
  const pwfile = join(PG_DIR, "pwfile");
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  const owner = pgUser();
  if (owner) chownSync(pwfile, owner.uid, owner.gid);
  mustRunAs("postgres", `${PG_BIN}/initdb`, [
    "-D", DATA_DIR, "-U", "postgres", `--pwfile=${pwfile}`,
    "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
  ]);
  // Our settings live in their own file, rewritten at every start so port changes apply.
  const conf = join(DATA_DIR, "postgresql.conf");
  writeFileSync(conf, `${readFileSync(conf, "utf8")}\ninclude_if_exists = 'cofre-stack.conf'\n`);
}

function writeStackConf() {
  const conf = [
    `port = ${PORTS.postgres}`,
    `listen_addresses = '${HOST}'`,
    `unix_socket_directories = '${SOCKET_DIR}'`,
    `shared_preload_libraries = 'pg_cron'`,
    `cron.database_name = 'postgres'`,
    `cron.host = '${SOCKET_DIR}'`,
    `max_connections = 200`,
    `fsync = on`,
    `log_min_messages = warning`,
  ].join("\n");
  const f = join(DATA_DIR, "cofre-stack.conf");
  writeFileSync(f, `${conf}\n`);
  const owner = pgUser();
  if (owner) chownSync(f, owner.uid, owner.gid);
}

/** psql against the stack's cluster over its socket, as the superuser. */
export function psql(args: string[], db = "postgres") {
  return mustRunAs(null, `${PG_BIN}/psql`, [
    "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", SOCKET_DIR, "-p", String(PORTS.postgres), "-U", "postgres", "-d", db, ...args,
  ]);
}

async function ready() {
  return runAs(null, `${PG_BIN}/pg_isready`, ["-q", "-h", SOCKET_DIR, "-p", String(PORTS.postgres)]).status === 0;
}

function applyMigrations() {
  mustRunAs(null, join(ROOT, "node_modules", ".bin", "supabase"), [
    "migration", "up", "--workdir", ROOT, "--db-url", `${databaseUrl()}?sslmode=disable`,
  ], { env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" } });
}

export async function up(): Promise<Record<string, string>> {
  ensureDirs();
  initCluster();
  if (!isAlive(readPid("postgres"))) {
    writeStackConf();
    mustRunAs("postgres", `${PG_BIN}/pg_ctl`, ["-D", DATA_DIR, "-l", join(PG_DIR, "server.log"), "-w", "-t", "60", "start"]);
    // The postmaster's own PID, from the file it writes: that is what `down` stops.
    const pid = Number(readFileSync(join(DATA_DIR, "postmaster.pid"), "utf8").split("\n")[0]);
    writePid("postgres", pid);
  }
  await waitFor("PostgreSQL", ready);
  psql(["-f", COMPAT_SQL]);
  applyMigrations();
  return {
    DATABASE_URL: databaseUrl(),
    PGHOST: HOST,
    PGPORT: String(PORTS.postgres),
    PGUSER: "postgres",
    PGPASSWORD: PASSWORD,
    PG_SOCKET_DIR: SOCKET_DIR,
    PG_BIN,
  };
}

export async function down() {
  // SIGINT is PostgreSQL's "fast" shutdown: it ends sessions and checkpoints.
  return stopByPid("postgres", "SIGINT", 60_000);
}

export function status() {
  const pid = readPid("postgres");
  return { name: "postgres", pid, alive: isAlive(pid), url: databaseUrl() };
}
