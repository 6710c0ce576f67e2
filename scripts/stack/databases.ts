/** Extra databases on the stack's cluster: throw-away test databases and restore targets. */
import postgres from "postgres";
import { readFileSync } from "node:fs";
import { readEnvFile } from "./env.ts";
import { COMPAT_SQL } from "./postgres.ts";

export function stackEnv() {
  const env = readEnvFile();
  if (!env.DATABASE_URL) {
    throw new Error("the local stack is not running: `npm run stack:up` (npm test and npm start start it for you)");
  }
  return env as Record<string, string> & { DATABASE_URL: string };
}

export function urlForDb(db: string) {
  const u = new URL(stackEnv().DATABASE_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

async function asAdmin(fn: (sql: postgres.Sql) => Promise<unknown>) {
  const admin = postgres(stackEnv().DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await fn(admin);
  } finally {
    await admin.end();
  }
}

/**
 * Creates (or re-creates) database `name` on the stack's cluster and returns its URL.
 * With `supabaseShape` the Supabase-compatibility bootstrap is applied, so it looks like a
 * fresh Supabase project's database: roles, `auth`, `storage`, `extensions`.
 */
export async function createScratchDb(name: string, opts: { supabaseShape?: boolean } = {}) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  await asAdmin(async (admin) => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  });
  const url = urlForDb(name);
  if (opts.supabaseShape) {
    const db = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await db.unsafe(readFileSync(COMPAT_SQL, "utf8"));
    } finally {
      await db.end();
    }
  }
  return url;
}

export async function dropScratchDb(name: string) {
  await asAdmin((admin) => admin.unsafe(`drop database if exists ${name} with (force)`));
}
