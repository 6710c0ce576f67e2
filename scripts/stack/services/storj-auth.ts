/**
 * The fake Storj auth service (issue 5) for the storj destination: test/fakes/storj-auth.ts run
 * by storj-auth-main.ts on 127.0.0.1:PORTS.fakeStorjAuth. It hands out the local s3rver's
 * credentials and endpoint for the stack's access grant, so `storj://` runs end to end here.
 *
 * Adds DEST_STORJ and COFRE_STORJ_ACCESS_GRANT to .stack/env.
 */
import { httpFakeService } from "../fake-service.ts";
import { HOST, PORTS } from "../ports.ts";

export const STORJ_AUTH_URL = `http://${HOST}:${PORTS.fakeStorjAuth}`;
/** The local stack's access grant (not a real Storj grant: the fake knows it by name). */
export const STACK_STORJ_GRANT = "cofre-local-stack-access-grant";
/** A grant the fake registers but whose credentials the gateway refuses. */
export const STACK_STORJ_REVOKED_GRANT = "cofre-local-stack-revoked-grant";

export const service = httpFakeService({
  name: "fake-storj-auth",
  port: PORTS.fakeStorjAuth,
  healthPath: "/v1/health/live",
  script: "scripts/stack/services/storj-auth-main.ts",
  env: () => ({
    DEST_STORJ: `storj://cofre-storj/backups?auth=${encodeURIComponent(STORJ_AUTH_URL)}`,
    COFRE_STORJ_ACCESS_GRANT: STACK_STORJ_GRANT,
  }),
});
