/** The seeder's connection: the core's (single connection, Nagle off — see its comment). */
import type postgres from "postgres";
import { connect as connectCore } from "../../packages/shared/src/sources/postgres/connect.ts";

export function connect(url: string): postgres.Sql {
  return connectCore(url, "cofre-seed");
}
