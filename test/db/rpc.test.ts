/**
 * packages/shared/src/db/rpc.ts: typed RPC calls over postgres.js return what the generated
 * types say (the JSON shape PostgREST returns), with named arguments and SQL defaults, against
 * the migrated stack database, in a rolled-back transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { stackEnv } from "../support/stack.ts";
import { rpc, rpcRows, type RpcReturns } from "../../packages/shared/src/db/rpc.ts";

const TENANT = "00000012-0000-4000-8000-00000000000a";
const USER = "00000012-0000-4000-8000-0000000000a1";

describe("typed RPC calls (postgres.js)", () => {
  let sql: postgres.Sql;
  beforeAll(() => {
    sql = postgres(stackEnv().DATABASE_URL, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end();
  });

  async function inTx(fn: (tx: postgres.TransactionSql) => Promise<void>): Promise<void> {
    const rollback = new Error("rollback");
    await sql.begin(async (tx) => {
      await fn(tx);
      throw rollback;
    }).catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
  }

  it("a scalar without arguments, and a set of scalars by named arguments with defaults, in order, as ISO strings", async () => {
    await inTx(async (tx) => {
      expect(await rpc(tx, "get_secret_store")).toBe("aes_gcm");
      const runs: RpcReturns<"preview_schedule_runs"> = await rpcRows(tx, "preview_schedule_runs", {
        p_frequency: "daily", p_run_at: "02:00", p_time_zone: "UTC", p_count: 3, p_after: "2026-11-25T12:00:00Z",
      });
      expect(runs.map((r) => new Date(r).toISOString())).toEqual([
        "2026-11-26T02:00:00.000Z", "2026-11-27T02:00:00.000Z", "2026-11-28T02:00:00.000Z",
      ]);
      expect(typeof runs[0]).toBe("string");
      // p_count left out: its SQL default (5) applies.
      expect(await rpcRows(tx, "preview_schedule_runs", { p_frequency: "daily", p_run_at: "02:00" })).toHaveLength(5);
    });
  });

  it("a `returns table` function gives objects with the generated field names", async () => {
    await inTx(async (tx) => {
      await tx`insert into auth.users (id, email) values (${USER}, 'rpc@vitest.test')`;
      await tx`insert into cofre.tenants (id, name) values (${TENANT}, 'RPC clinic')`;
      await tx`insert into cofre.tenant_members (tenant_id, user_id, role) values (${TENANT}, ${USER}, 'operator')`;
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: USER, role: "authenticated" })}, true)`;
      await tx`set local role authenticated`;
      const tenants = await rpcRows(tx, "list_my_tenants");
      expect(tenants).toEqual([{ tenant_id: TENANT, name: "RPC clinic", time_zone: "America/Sao_Paulo", role: "operator" }]);
    });
  });

  it("database errors come through unchanged (SQLSTATE), and names are checked", async () => {
    await inTx(async (tx) => {
      await tx`set local role authenticated`;
      const err = await rpc(tx, "get_secret_store").catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe("42501");
    });
    await expect(rpc(sql, "get_secret_store; drop table x" as "get_secret_store")).rejects.toThrow(/not an RPC name/);
  });
});
