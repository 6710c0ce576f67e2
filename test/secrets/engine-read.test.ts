/**
 * The engine's reads of write-only secrets (packages/shared/src/secrets/engine.ts): a destination's
 * saved credential fields become the `explicit` credentials of its OpenContext, which the adapters
 * consult before the credentials file and the environment; a schedule's passphrase comes back as
 * set. Against the stack database as service_role, in a rolled-back transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { inspect } from "node:util";
import { stackEnv } from "../support/stack.ts";
import { isCofreError } from "../../packages/shared/src/errors.ts";
import { findCredential, type OpenContext } from "../../packages/shared/src/destinations/open-context.ts";
import {
  credentialsSecret, destinationCredentialSource, loadSecretKey, readDestinationCredentials, readSchedulePassphrase, writeSecret,
  type SecretKey,
} from "../../packages/shared/src/secrets/mod.ts";

const TENANT = "0000000e-0000-4000-8000-00000000000e";
const ADMIN = "0000000e-0000-4000-8000-0000000000e1";
const DEST = "0000d00e-0000-4000-8000-000000000001";
const BARE = "0000d00e-0000-4000-8000-000000000002";
const SCHEDULE = "0000500e-0000-4000-8000-000000000001";
const FIELDS = { secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", access_key_id: "AKIAIOSFODNN7EXAMPLE" };

describe("engine reads of saved secrets", () => {
  let sql: postgres.Sql;
  let key: SecretKey;
  beforeAll(async () => {
    const env = stackEnv();
    sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    key = await loadSecretKey(env);
  });
  afterAll(async () => {
    await sql?.end();
  });

  async function inClinic(fn: (tx: postgres.TransactionSql) => Promise<void>): Promise<void> {
    const rollback = new Error("rollback");
    await sql.begin(async (tx) => {
      await tx`insert into auth.users (id, email) values (${ADMIN}, 'admin@engine-read.test')`;
      await tx`insert into cofre.tenants (id, name) values (${TENANT}, 'Engine read clinic')`;
      await tx`insert into cofre.tenant_members (tenant_id, user_id, role) values (${TENANT}, ${ADMIN}, 'admin')`;
      await tx`insert into cofre.destinations (id, tenant_id, name, kind, settings) values
                 (${DEST}, ${TENANT}, 'S3', 's3', '{"bucket":"b","region":"sa-east-1"}'),
                 (${BARE}, ${TENANT}, 'S3 without saved credentials', 's3', '{"bucket":"c","region":"sa-east-1"}')`;
      await tx`insert into cofre.schedules (id, tenant_id, name, backup_type, frequency, run_at, encryption)
               values (${SCHEDULE}, ${TENANT}, 'Nightly', 'full', 'daily', '02:00', true)`;
      await tx`set local role service_role`;
      await fn(tx);
      throw rollback;
    }).catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
  }

  it("stores credentials as canonical JSON (fields in name order) whatever the input order", () => {
    expect(credentialsSecret(FIELDS)).toBe(
      '{"access_key_id":"AKIAIOSFODNN7EXAMPLE","secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"}');
  });

  it("gives the saved fields as the OpenContext's explicit credentials, ahead of the environment", async () => {
    await inClinic(async (tx) => {
      await writeSecret(tx, { owner: { type: "destination", id: DEST }, actorId: ADMIN, secret: credentialsSecret(FIELDS) }, key);
      expect(await readDestinationCredentials(tx, DEST, key)).toEqual(FIELDS);
      const env = (name: string) => ({ COFRE_S3_ACCESS_KEY_ID: "FROM-ENV", COFRE_S3_REGION_HINT: "x" } as Record<string, string>)[name];
      const credentials = await destinationCredentialSource(tx, DEST, key, { env });
      const ctx: OpenContext = { credentials, network: { allowPrivateHosts: [] } };
      const url = new URL("s3://b/backups");
      expect(findCredential(ctx, "s3", url, "access_key_id")).toBe("AKIAIOSFODNN7EXAMPLE");
      expect(findCredential(ctx, "s3", url, "secret_access_key")).toBe(FIELDS.secret_access_key);
      // A destination without saved credentials keeps the base source (the environment here).
      const bare = await destinationCredentialSource(tx, BARE, key, { env });
      expect(bare.explicit).toBeUndefined();
      expect(findCredential({ credentials: bare, network: { allowPrivateHosts: [] } }, "s3", url, "access_key_id")).toBe("FROM-ENV");
      expect(await readDestinationCredentials(tx, BARE, key)).toBeNull();
    });
  });

  it("gives a schedule's passphrase back, and null before one is set", async () => {
    await inClinic(async (tx) => {
      expect(await readSchedulePassphrase(tx, SCHEDULE, key)).toBeNull();
      await writeSecret(tx, { owner: { type: "schedule", id: SCHEDULE }, actorId: ADMIN, secret: "correct horse battery staple 7" }, key);
      expect(await readSchedulePassphrase(tx, SCHEDULE, key)).toBe("correct horse battery staple 7");
    });
  });

  it("refuses a stored credential that is not a record of fields, naming the owner only", async () => {
    await inClinic(async (tx) => {
      await writeSecret(tx, { owner: { type: "destination", id: DEST }, actorId: ADMIN, secret: "just-a-password-not-json-1234" }, key);
      const err = await readDestinationCredentials(tx, DEST, key).catch((e: unknown) => e);
      expect(isCofreError(err, "INVALID_INPUT")).toBe(true);
      expect(JSON.stringify(err) + inspect(err)).not.toContain("just-a-password");
      expect((err as { details: unknown }).details).toEqual({ owner_type: "destination", owner_id: DEST });
    });
  });
});
