/** `cofre restore --tables | --tenant | --dry-run | --apply | --recreate-other-tenant-parents` from the real command line. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cofre } from "../support/cli.ts";
import { CLINIC_A, fixtureBackup, rowsChecksum, withDb } from "./support.ts";

let fx: Awaited<ReturnType<typeof fixtureBackup>>;
let from = "";

beforeAll(async () => {
  fx = await fixtureBackup("cli");
  from = `file://${(fx.destination as unknown as { root: string }).root}`;
});
afterAll(async () => fx?.cleanup());

describe("cofre restore partial and live modes", () => {
  it("--tables, --tenant, --dry-run then --apply", async () => {
    const url = await fx.scratch("target");
    // The URL goes through an environment variable, as the CLI recommends for secrets.
    const base = ["restore", "--from", from, "--backup", fx.backupId, "--db-env", "COFRE_TEST_TARGET"];
    const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => cofre(args, { COFRE_TEST_TARGET: url, ...env });
    const other = await fx.scratch("tables");
    const tables = cofre([...base, "--tables", "public.procedures"], { COFRE_TEST_TARGET: other });
    expect(tables.stderr).toBe("");
    expect(tables.status).toBe(0);
    expect(tables.stdout).toContain(`Restauração concluída: ${fx.backupId}`);
    expect(await rowsChecksum(other, "public.procedures")).toEqual(await rowsChecksum(fx.sourceUrl, "public.procedures"));

    const tenant = cli([...base, "--tenant", `clinic_id=${CLINIC_A}`, "--json"]);
    expect(tenant.stderr).toBe("");
    expect(tenant.status).toBe(0);
    expect(JSON.parse(tenant.stdout).mode).toBe("tenant");

    await withDb(url, (sql) => sql`update public.patients set notes = 'mudou' where id = 2`);
    const scope = ["--tenant", `clinic_id=${CLINIC_A}`, "--tables", "public.patients"];
    const dry = cli([...base, "--dry-run", ...scope]);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain("Simulação (nada foi gravado)");
    expect(dry.stdout).toMatch(/"public"\."patients":\s+0 \/ 1 \/ 0/);
    const id = /--apply (dr-[0-9a-f]{32})/.exec(dry.stdout)![1]!;

    const apply = cli([...base, "--apply", id, ...scope]);
    expect(apply.stderr).toBe("");
    expect(apply.status).toBe(0);
    expect(await rowsChecksum(url, "public.patients", `t.clinic_id = '${CLINIC_A}'`))
      .toEqual(await rowsChecksum(fx.sourceUrl, "public.patients", `t.clinic_id = '${CLINIC_A}'`));

    // The same id again: the difference is now empty, so it no longer matches.
    const wrong = cli([...base, "--apply", id, ...scope], { COFRE_LANG: "en" });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain("RESTORE_CONFLICT");

    // --recreate-other-tenant-parents reaches the restore, which accepts it only with --tenant.
    const alone = cli([...base, "--recreate-other-tenant-parents", "--tables", "public.procedures"]);
    expect(alone.status).not.toBe(0);
    expect(alone.stderr).toContain("--recreate-other-tenant-parents só vale com --tenant");
  });
});
