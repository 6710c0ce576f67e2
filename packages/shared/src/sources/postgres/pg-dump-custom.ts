/**
 * A `pg_dump -Fc` archive of the backed-up schemas, stored in the same backup as the object
 * `<backupId>/pg_dump.dump` (`.dump.cofre`, sealed, when the backup is encrypted) and listed
 * in the manifest's `artifacts` with its stored size, SHA-256 and MD5 — so anyone with stock
 * PostgreSQL tools can `pg_restore` it. NODE ONLY (it spawns a process): the CLI and the
 * worker pass `pgDumpArtifact(…)` to runBackup; edge functions cannot and do not.
 *
 * Compatibility: pg_dump dumps servers of its own major version and older, never newer. The
 * binary is taken from COFRE_PG_DUMP, else the highest /usr/lib/postgresql/<N>/bin/pg_dump,
 * else `pg_dump` on PATH — and refused unless its major ≥ the server's.
 * Consistency: pg_dump takes its own snapshot, right after Cofre's dump (documented in
 * docs/restore.md); the archive is consistent in itself.
 * Secrets: the connection goes through PG* environment variables, never the command line
 * (which `ps` shows); pg_dump's messages are passed through redactUrls before any error.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { CofreError } from "../../errors.ts";
import type { ArtifactRecord } from "../../config/manifest.ts";
import { redactUrls } from "../../redacted.ts";
import type { ArtifactProducer } from "../../engine/backup.ts";
import { connect } from "./connect.ts";

export const PG_DUMP_OBJECT = "pg_dump.dump";

export interface PgDumpBinary {
  path: string;
  /** `pg_dump (PostgreSQL) 15.18 …` */
  version: string;
  major: number;
}

function probe(path: string): PgDumpBinary | null {
  const r = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0 || !r.stdout) return null;
  const m = /(\d+)(?:\.(\d+))?/.exec(r.stdout);
  return m ? { path, version: r.stdout.trim(), major: Number(m[1]) } : null;
}

/** Every pg_dump this machine has, highest major first. */
export function findPgDumpBinaries(): PgDumpBinary[] {
  const out: PgDumpBinary[] = [];
  const explicit = process.env.COFRE_PG_DUMP;
  if (explicit) {
    const b = probe(explicit);
    return b ? [b] : [];
  }
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    for (const v of readdirSync(root)) {
      const path = `${root}/${v}/bin/pg_dump`;
      if (existsSync(path)) {
        const b = probe(path);
        if (b) out.push(b);
      }
    }
  }
  const onPath = probe("pg_dump");
  if (onPath) out.push(onPath);
  return out.sort((a, b) => b.major - a.major);
}

/** The server's major version (`server_version_num` / 10000). */
async function serverMajor(url: string): Promise<number> {
  const sql = connect(url, "cofre-pg-dump");
  try {
    const [r] = await sql<{ v: string }[]>`select current_setting('server_version_num') as v`;
    return Math.floor(Number(r!.v) / 10000);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A pg_dump that can dump a server of `major`, or a CofreError saying what to install. */
export function compatiblePgDump(major: number, binaries = findPgDumpBinaries()): PgDumpBinary {
  const ok = binaries.find((b) => b.major >= major);
  if (ok) return ok;
  const found = binaries.map((b) => b.version).join("; ") || "nenhum / none";
  throw new CofreError("INVALID_INPUT", {
    "pt-BR": `--pg-dump precisa de um pg_dump versão ${major} ou mais nova (o servidor é ${major}); encontrado: ${found}. Instale postgresql-client-${major} (ou aponte COFRE_PG_DUMP para ele) ou rode sem --pg-dump.`,
    en: `--pg-dump needs pg_dump version ${major} or newer (the server is ${major}); found: ${found}. Install postgresql-client-${major} (or point COFRE_PG_DUMP at it) or run without --pg-dump.`,
  }, { details: { serverMajor: major, found: binaries.map((b) => b.version) } });
}

/** libpq environment for `url`: the password travels in PGPASSWORD, not in argv. */
export function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = {
    PGHOST: decodeURIComponent(u.hostname.replace(/^\[|\]$/g, "")),
    PGPORT: u.port || "5432",
    PGUSER: decodeURIComponent(u.username),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
    PGAPPNAME: "cofre-pg-dump",
  };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get("sslmode");
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

const STDERR_KEEP = 4096;

/**
 * The artifact producer: runs `pg_dump -Fc` over the backup's schemas (excluded tables keep
 * their definition but not their data, as in the backup) and streams its output into the
 * backup with backpressure (memory: a few pipe buffers).
 */
export function pgDumpArtifact(sourceUrl: string): ArtifactProducer {
  return async ({ open, sealed, schemas, excluded }): Promise<ArtifactRecord> => {
    const bin = compatiblePgDump(await serverMajor(sourceUrl));
    const name = `${PG_DUMP_OBJECT}${sealed ? ".cofre" : ""}`;
    const args = [
      "--format=custom", "--no-password",
      ...schemas.flatMap((s) => ["--schema", `"${s.replaceAll('"', '""')}"`]),
      ...excluded.flatMap((t) => ["--exclude-table-data", `"${t.schema.replaceAll('"', '""')}"."${t.name.replaceAll('"', '""')}"`]),
    ];
    const child = spawn(bin.path, args, {
      env: { PATH: process.env.PATH, LANG: "C", ...libpqEnv(sourceUrl) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < STDERR_KEEP) stderr += d.toString("utf8");
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    const upload = open(name);
    try {
      for await (const chunk of child.stdout) await upload.write(new Uint8Array(chunk as Buffer));
      const code = await exited;
      if (code !== 0) {
        throw new CofreError("SOURCE_QUERY", {
          "pt-BR": `O pg_dump terminou com código ${code}: ${redactUrls(stderr.trim()).slice(0, 1000)}. O backup não foi gravado.`,
          en: `pg_dump exited with code ${code}: ${redactUrls(stderr.trim()).slice(0, 1000)}. The backup was not stored.`,
        }, { details: { exitCode: code, tool: bin.version } });
      }
      const digests = await upload.close();
      return { name, kind: "pg_dump-custom", size: digests.size, sha256: digests.sha256, md5: digests.md5, tool: bin.version };
    } catch (e) {
      child.kill("SIGTERM");
      await upload.abort(e);
      throw e;
    }
  };
}
