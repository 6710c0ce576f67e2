/**
 * The fake Storj auth service of the local stack (test/fakes/storj-auth.ts) on
 * 127.0.0.1:PORTS.fakeStorjAuth, started by storj-auth.ts through startDaemon. It exchanges
 * the stack's access grant for the local s3rver's credentials and names s3rver as the gateway.
 */
import { startStorjAuthFake } from "../../../test/fakes/storj-auth.ts";
import { HOST, PORTS } from "../ports.ts";
import { STACK_STORJ_GRANT, STACK_STORJ_REVOKED_GRANT } from "./storj-auth.ts";

const fake = await startStorjAuthFake({
  host: HOST,
  port: PORTS.fakeStorjAuth,
  endpoint: `http://${HOST}:${PORTS.s3rver}`,
  grants: {
    [STACK_STORJ_GRANT]: { accessKeyId: "S3RVER", secretKey: "S3RVER" },
    // Registers fine, then the gateway refuses its credentials (an API key deleted after the grant was made).
    [STACK_STORJ_REVOKED_GRANT]: { accessKeyId: "REVOKED-GRANT-KEY", secretKey: "REVOKED" },
  },
});
console.log(`fake Storj auth service on ${fake.url}`);
for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => void fake.close().then(() => process.exit(0)));
