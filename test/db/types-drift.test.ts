/**
 * The generated database types (packages/shared/src/db/database.types.ts) match the migrated
 * stack database: regenerated in memory from its catalogs and compared with the file.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { stackEnv } from "../support/stack.ts";
import { generateDatabaseTypes, TYPES_COMMAND, TYPES_FILE } from "../../scripts/db/gen-types.ts";
import {
  type CompositeTypes, Constants, type Database, type Enums, type Tables, type TablesInsert, type TablesUpdate,
} from "../../packages/shared/src/db/database.types.ts";
import type { CofreRow, CofreRpcArgs, CofreRpcResult } from "../../app/src/api/database.ts";

describe("generated database types", () => {
  it("are current (else run the generator)", async () => {
    const fresh = await generateDatabaseTypes(stackEnv().DATABASE_URL);
    const current = readFileSync(TYPES_FILE, "utf8");
    if (fresh !== current) {
      throw new Error(`${TYPES_FILE} is out of date with the migrated database: run \`${TYPES_COMMAND}\``);
    }
    expect(fresh).toBe(current);
  });

  it("have the shape supabase gen types produces", () => {
    // Compile-time checks: these lines stop type-checking if the shape changes.
    const args: Database["cofre"]["Functions"]["start_restore"]["Args"] = { p_backup_run_id: "x" };
    const row: Pick<Database["cofre"]["Tables"]["runs"]["Row"], "status" | "content_stats"> = { status: "queued", content_stats: null };
    const rel: Database["cofre"]["Tables"]["artifacts"]["Relationships"][number]["referencedRelation"] = "runs";
    expect([args.p_backup_run_id, row.status, rel]).toEqual(["x", "queued", "runs"]);
    expect(Constants.cofre.Enums.restore_scope).toEqual(["whole", "tables", "tenant"]);
  });

  it("carry the CLI's helper generics, used with the schema named (there is no public schema here)", () => {
    // Compile-time checks (tsc over test/**): each line stops type-checking if a generic is missing or wrong.
    const run: Pick<Tables<{ schema: "cofre" }, "runs">, "status" | "bytes_written"> = { status: "succeeded", bytes_written: 1 };
    const insert: Pick<TablesInsert<{ schema: "cofre" }, "tenants">, "name"> = { name: "Clínica" };
    const update: TablesUpdate<{ schema: "cofre" }, "tenants"> = {};
    const role: Enums<{ schema: "cofre" }, "tenant_role"> = "admin";
    // @ts-expect-error: not a tenant_role
    const notRole: Enums<{ schema: "cofre" }, "tenant_role"> = "owner";
    const noComposite: [CompositeTypes<{ schema: "cofre" }, never>] extends [never] ? true : false = true;
    // The app's RPC helper types come from the same file.
    const args: CofreRpcArgs<"start_backup"> = { p_tenant_id: "t" };
    const tenants: CofreRpcResult<"list_my_tenants"> = [{ tenant_id: "t", name: "n", time_zone: "UTC", role: "viewer" }];
    const schedule: Pick<CofreRow<"schedules">, "frequency"> = { frequency: "weekly" };
    const setof: Database["cofre"]["Functions"]["claim_next_run"]["SetofOptions"] = { from: "*", to: "runs", isOneToOne: false, isSetofReturn: true };
    expect(setof.to).toBe("runs");
    expect([run.status, insert.name, Object.keys(update).length, role, notRole, noComposite, args.p_tenant_id, tenants[0]!.role, schedule.frequency])
      .toEqual(["succeeded", "Clínica", 0, "admin", "owner", true, "t", "viewer", "weekly"]);
    const text = readFileSync(TYPES_FILE, "utf8");
    for (const name of ["type DatabaseWithoutInternals", "type DefaultSchema", "export type Tables<", "export type TablesInsert<",
      "export type TablesUpdate<", "export type Enums<", "export type CompositeTypes<", "export const Constants"]) {
      expect(text).toContain(name);
    }
  });
});
