/**
 * scripts/db/reapply-cofre-migrations.sh plans what it drops, forgets and re-applies: the Cofre
 * domain migrations, plus every later migration that uses Cofre's objects (their objects would
 * go with the drop), and none that does not. Checked with --dry-run over a copy of the
 * migrations with two later ones added; the database is not touched.
 */
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
const SCRIPT = join(ROOT, "scripts", "db", "reapply-cofre-migrations.sh");
const MIGRATIONS = join(ROOT, "supabase", "migrations");

function dryRun(dir: string): string {
  return execFileSync("bash", [SCRIPT, "--dry-run"], { env: { ...process.env, MIGRATIONS_DIR: dir }, encoding: "utf8" });
}

describe("reapply-cofre-migrations.sh --dry-run", () => {
  it("re-applies later migrations that use cofre objects, after the domain ones, and leaves the others", () => {
    const dir = mkdtempSync(join(tmpdir(), "cofre-reapply-"));
    try {
      const domain = readdirSync(MIGRATIONS).filter((f) => /^202611250[12]\d*_.*\.sql$/.test(f)).sort();
      expect(domain.length).toBeGreaterThan(5);
      for (const f of [...domain, "20261125000000_cofre_foundation.sql"]) copyFileSync(join(MIGRATIONS, f), join(dir, f));
      writeFileSync(join(dir, "20261125030000_chains.sql"), [
        "-- Change capture on Cofre's runs.",
        "create schema if not exists cofre_chain;",
        "create table cofre_chain.links (run_id uuid references cofre.runs (id));",
        "create or replace function cofre_chain.capture() returns trigger language plpgsql as $$ begin return new; end $$;",
        "create type cofre_chain.link_kind as enum ('full', 'delta');",
      ].join("\n"));
      writeFileSync(join(dir, "20261125030100_host_only.sql"), [
        "-- mentions cofre.runs only in a comment",
        "create table public.host_things (id int);",
      ].join("\n"));

      const out = dryRun(dir);
      const order = out.split("\n").filter((l) => /^--\s+\d{14}_/.test(l)).map((l) => l.replace(/^--\s+/, ""));
      expect(order).toEqual([...domain, "20261125030000_chains.sql"]);
      expect(out).toContain("drop table if exists cofre_chain.links cascade;");
      expect(out).toContain("drop type if exists cofre_chain.link_kind cascade;");
      expect(out).toMatch(/split_part\('cofre_chain\.capture', '\.', 2\)/);
      expect(out).toContain("drop schema if exists cofre_chain cascade;");
      expect(out).not.toContain("host_things");
      const forget = /delete from supabase_migrations\.schema_migrations where version in \(([^)]*)\);/.exec(out);
      expect(forget?.[1]?.split(",").map((v) => v.replaceAll("'", ""))).toEqual(
        [...domain, "20261125030000_chains.sql"].map((f) => f.slice(0, 14)));
      expect(out).not.toContain("20261125000000");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with today's migrations, re-applies exactly the domain ones", () => {
    const out = dryRun(MIGRATIONS);
    const planned = out.split("\n").filter((l) => /^--\s+\d{14}_/.test(l)).map((l) => l.replace(/^--\s+/, ""));
    const expected = readdirSync(MIGRATIONS).filter((f) => /^202611250[12]\d*_.*\.sql$/.test(f)).sort();
    const laterUsingCofre = readdirSync(MIGRATIONS).filter((f) => f > expected.at(-1)! && f.endsWith(".sql")).sort()
      .filter((f) => /(^|[^a-z_0-9])cofre(_private)?\./im.test(readFileSync(join(MIGRATIONS, f), "utf8").replace(/--.*$/gm, "")));
    expect(planned).toEqual([...expected, ...laterUsingCofre]);
  });
});
