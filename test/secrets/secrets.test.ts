/**
 * Write-only secrets, TypeScript side: AES-256-GCM sealing under the functions' key, and the
 * round trip through the stack database's service-role RPCs (store aes_gcm; and store vault
 * against a stand-in with Supabase Vault's API). Everything in the database runs inside a
 * transaction that is rolled back, as service_role (the role the functions use).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { inspect } from "node:util";
import { stackEnv } from "../support/stack.ts";
import { isCofreError } from "../../packages/shared/src/errors.ts";
import {
  loadSecretKey, openSecret, parseSecretKey, readSecret, sealSecret, secretHint, secretStoreOf, writeSecret, type SecretKey,
} from "../../packages/shared/src/secrets/mod.ts";

const CREDENTIAL = '{"access_key_id":"AKIAIOSFODNN7EXAMPLE","secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"}';
const DEST = { type: "destination", id: "0000d00a-0000-4000-8000-000000000001" } as const;
const OTHER = { type: "destination", id: "0000d00a-0000-4000-8000-000000000002" } as const;
const SCHEDULE = { type: "schedule", id: "0000500a-0000-4000-8000-000000000001" } as const;
const ADMIN = "0000000a-0000-4000-8000-0000000000a1";
const OPERATOR = "0000000a-0000-4000-8000-0000000000a2";
const TENANT = "0000000a-0000-4000-8000-00000000000a";

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return isCofreError(e) ? e.code : `other: ${String(e)}`;
  }
}

describe("sealing (AES-256-GCM, Web Crypto)", () => {
  let key: SecretKey;
  beforeAll(async () => {
    key = await parseSecretKey(`ktest:${Buffer.alloc(32, 7).toString("base64")}`);
  });

  it("seals to a 12-byte nonce and ciphertext+tag, fresh each time, and opens back", async () => {
    const a = await sealSecret(CREDENTIAL, key, DEST);
    const b = await sealSecret(CREDENTIAL, key, DEST);
    expect(Buffer.from(a.nonce, "base64")).toHaveLength(12);
    expect(Buffer.from(a.ciphertext, "base64")).toHaveLength(Buffer.byteLength(CREDENTIAL) + 16);
    expect(a.keyId).toBe("ktest");
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(Buffer.from(a.ciphertext, "base64").toString("latin1")).not.toContain("wJalrXUt");
    expect(await openSecret(a, key, DEST)).toBe(CREDENTIAL);
  });

  it("refuses a flipped byte, another owner, and another key under the same id (INTEGRITY_MISMATCH)", async () => {
    const s = await sealSecret(CREDENTIAL, key, DEST);
    const bytes = Buffer.from(s.ciphertext, "base64");
    bytes[3]! ^= 1;
    expect(await codeOf(openSecret({ ...s, ciphertext: bytes.toString("base64") }, key, DEST))).toBe("INTEGRITY_MISMATCH");
    expect(await codeOf(openSecret(s, key, OTHER))).toBe("INTEGRITY_MISMATCH");
    const impostor = await parseSecretKey(`ktest:${Buffer.alloc(32, 8).toString("base64")}`);
    expect(await codeOf(openSecret(s, impostor, DEST))).toBe("INTEGRITY_MISMATCH");
  });

  it("names a rotated key instead of trying it (SECRET_KEY_MISSING)", async () => {
    const s = await sealSecret(CREDENTIAL, key, DEST);
    const rotated = await parseSecretKey(`knew:${Buffer.alloc(32, 7).toString("base64")}`);
    expect(await codeOf(openSecret(s, rotated, DEST))).toBe("SECRET_KEY_MISSING");
  });

  it("refuses a missing or malformed key without echoing it, and never prints a key", async () => {
    expect(await codeOf(loadSecretKey({}))).toBe("SECRET_KEY_MISSING");
    const bad = "ktest:c2hvcnQ=";
    const err = await parseSecretKey(bad).catch((e: unknown) => e);
    expect(isCofreError(err, "SECRET_KEY_MISSING")).toBe(true);
    expect(JSON.stringify(err)).not.toContain("c2hvcnQ");
    expect(String(key)).toBe("**redacted**");
    expect(JSON.stringify({ key })).toBe('{"key":"**redacted**"}');
    expect(inspect(key)).toBe("**redacted**");
  });

  it("hints with the last 4 characters only for secrets of 16 or more", () => {
    expect(secretHint(CREDENTIAL)).toBe("…EKEY");
    expect(secretHint("correct horse battery staple 7")).toBe("…le 7");
    expect(secretHint("short")).toBe("…");
  });
});

describe("the database store (stack PostgreSQL, service_role)", () => {
  let sql: postgres.Sql;
  let stackKey: SecretKey;
  beforeAll(async () => {
    const env = stackEnv();
    sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    // The key the stack's functions get (scripts/stack/keys.ts → .stack/env).
    stackKey = await loadSecretKey(env);
  });
  afterAll(async () => {
    await sql?.end();
  });

  /** Runs fn inside a rolled-back transaction holding a clinic, an admin, an operator, a destination and a schedule. */
  async function inClinic(fn: (tx: postgres.TransactionSql) => Promise<void>): Promise<void> {
    const rollback = new Error("rollback");
    await sql.begin(async (tx) => {
      await tx`insert into auth.users (id, email) values (${ADMIN}, 'admin@vitest.test'), (${OPERATOR}, 'op@vitest.test')`;
      await tx`insert into cofre.tenants (id, name) values (${TENANT}, 'Vitest clinic')`;
      await tx`insert into cofre.tenant_members (tenant_id, user_id, role) values (${TENANT}, ${ADMIN}, 'admin'), (${TENANT}, ${OPERATOR}, 'operator')`;
      await tx`insert into cofre.destinations (id, tenant_id, name, kind, settings)
               values (${DEST.id}, ${TENANT}, 'S3', 's3', '{"bucket":"b","region":"sa-east-1"}')`;
      await tx`insert into cofre.schedules (id, tenant_id, name, backup_type, frequency, run_at, encryption)
               values (${SCHEDULE.id}, ${TENANT}, 'Nightly', 'full', 'daily', '02:00', true)`;
      await tx`set local role service_role`;
      await fn(tx);
      throw rollback;
    }).catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
  }

  it("seals under the functions' key and reads back; the database holds only key id, nonce and ciphertext", async () => {
    await inClinic(async (tx) => {
      expect(await secretStoreOf(tx)).toBe("aes_gcm");
      const setAt = await writeSecret(tx, { owner: DEST, actorId: ADMIN, secret: CREDENTIAL }, stackKey);
      expect(setAt).toBeInstanceOf(Date);
      const [dest] = await tx`select secret_hint from cofre.destinations where id = ${DEST.id}`;
      expect(dest!.secret_hint).toBe("…EKEY");
      expect(await readSecret(tx, DEST, stackKey)).toBe(CREDENTIAL);
      await tx`reset role`;
      const [row] = await tx`select store, key_id, length(nonce) as n, encode(ciphertext, 'escape') as ct from cofre_private.secrets where owner_id = ${DEST.id}`;
      expect(row).toMatchObject({ store: "aes_gcm", key_id: stackKey.id, n: 12 });
      expect(row!.ct).not.toContain("wJalrXUt");
      const audit = await tx`select action, details::text from cofre.audit_log where target_id = ${DEST.id} order by id`;
      expect(audit.map((a) => a.action)).toEqual(["destination.secret_changed", "destination.secret_read"]);
      for (const a of audit) expect(a.details).not.toMatch(/wJalrXUt|AKIAIOSF|EKEY/);
    });
  });

  it("a passphrase: policy checked before the database, then sealed like a credential", async () => {
    await inClinic(async (tx) => {
      expect(await codeOf(writeSecret(tx, { owner: SCHEDULE, actorId: ADMIN, secret: "hunter2" }, stackKey))).toBe("INVALID_INPUT");
      await writeSecret(tx, { owner: SCHEDULE, actorId: ADMIN, secret: "correct horse battery staple 7" }, stackKey);
      expect(await readSecret(tx, SCHEDULE, stackKey)).toBe("correct horse battery staple 7");
      const [s] = await tx`select passphrase_hint from cofre.schedules where id = ${SCHEDULE.id}`;
      expect(s!.passphrase_hint).toBe("…le 7");
    });
  });

  it("refuses a non-admin and a foreign or unknown owner alike, without the secret in the error", async () => {
    await inClinic(async (tx) => {
      for (const [owner, actor] of [[DEST, OPERATOR], [OTHER, ADMIN]] as const) {
        // A savepoint per attempt: the refusal aborts only it, not the test's transaction.
        const err = await tx.savepoint((sp) => writeSecret(sp, { owner, actorId: actor, secret: CREDENTIAL }, stackKey))
          .catch((e: unknown) => e);
        expect(isCofreError(err, "PERMISSION_DENIED")).toBe(true);
        expect(JSON.stringify(err) + String(err) + inspect(err)).not.toMatch(/wJalrXUt|AKIAIOSF/);
      }
    });
  });

  it("a ciphertext altered in the database does not open", async () => {
    await inClinic(async (tx) => {
      await writeSecret(tx, { owner: DEST, actorId: ADMIN, secret: CREDENTIAL }, stackKey);
      await tx`reset role`;
      await tx`update cofre_private.secrets set ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1) where owner_id = ${DEST.id}`;
      await tx`set local role service_role`;
      expect(await codeOf(readSecret(tx, DEST, stackKey))).toBe("INTEGRITY_MISMATCH");
    });
  });

  it("with Supabase Vault's API present, hands the plaintext to Vault instead", async () => {
    await inClinic(async (tx) => {
      await tx`reset role`;
      // Stand-in with the public API of supabase/vault 0.3 (create_secret, update_secret,
      // decrypted_secrets); encrypted with pgcrypto here since pgsodium is not installed.
      await tx.unsafe(`
        create schema vault;
        create table vault.secrets (id uuid primary key default gen_random_uuid(), name text, description text not null default '',
          secret text not null, key_id uuid, nonce bytea, created_at timestamptz not null default now(), updated_at timestamptz not null default now());
        create view vault.decrypted_secrets as select s.*, extensions.pgp_sym_decrypt(decode(s.secret, 'base64'), 'vt') as decrypted_secret from vault.secrets s;
        create function vault.create_secret(new_secret text, new_name text = null, new_description text = '', new_key_id uuid = null)
          returns uuid language sql as $$ insert into vault.secrets (secret, name, description)
          values (encode(extensions.pgp_sym_encrypt(new_secret, 'vt'), 'base64'), new_name, new_description) returning id $$;
        create function vault.update_secret(secret_id uuid, new_secret text = null, new_name text = null, new_description text = null, new_key_id uuid = null)
          returns void language sql as $$ update vault.secrets set secret = encode(extensions.pgp_sym_encrypt(new_secret, 'vt'), 'base64') where id = secret_id $$;`);
      await tx`set local role service_role`;
      expect(await secretStoreOf(tx)).toBe("vault");
      await writeSecret(tx, { owner: DEST, actorId: ADMIN, secret: CREDENTIAL }, null);
      expect(await readSecret(tx, DEST, null)).toBe(CREDENTIAL);
      await tx`reset role`;
      const [row] = await tx`select store, vault_secret_id is not null as linked, ciphertext is null as no_ct from cofre_private.secrets where owner_id = ${DEST.id}`;
      expect(row).toMatchObject({ store: "vault", linked: true, no_ct: true });
    });
  });
});
