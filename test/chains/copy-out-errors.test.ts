/**
 * A change set is streamed with COPY (… ) TO STDOUT; when the server fails the query after
 * the COPY started (here a division by zero while sorting, before any row is sent — as a
 * cast of a logged row fails),
 * copySelectOut must reject with the server's error — not hang, nor leave it unhandled —
 * and the connection must stay usable for the caller's ROLLBACK.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createScratchDb, dropScratchDb } from "../support/stack.ts";
import { copySelectOut } from "../../packages/shared/src/sources/postgres/data.ts";
import { connectTo, scratchName } from "./support.ts";

const DB = scratchName("copyerr");
let url = "";

beforeAll(async () => {
  url = await createScratchDb(DB);
}, 30_000);

afterAll(async () => {
  await dropScratchDb(DB);
});

it("rejects with the server's error when the query fails mid-COPY, and the connection goes on", async () => {
  const sql = connectTo(url);
  try {
    const failed = await sql.begin(async (tx) => {
      const chunks: Uint8Array[] = [];
      const e = await Promise.race([
        copySelectOut(tx, "select 1 / (3 - g) as x from generate_series(1, 10) g order by 1", async (c) => {
          chunks.push(c);
        }).then(() => "resolved", (err) => err),
        new Promise((r) => setTimeout(() => r("hung"), 5000)),
      ]);
      if (e === "hung" || e === "resolved") return e;
      throw e; // as the engine does: the transaction rolls back
    }).catch((e) => e);
    expect(failed).toMatchObject({ code: "22012" });
    const [r] = await sql`select 1 as one`;
    expect(r!.one).toBe(1);
  } finally {
    await sql.end();
  }
}, 20_000);
