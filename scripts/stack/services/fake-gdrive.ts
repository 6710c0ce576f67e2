/**
 * The Google Drive FAKE of the local stack (issue 5): test/fakes/gdrive.ts run as a daemon on
 * 127.0.0.1:PORTS.fakeGdrive, data under .stack/fakes/gdrive. It is not Google Drive: a local HTTP
 * server following Google Drive's documented API, so `gdrive://` runs end to end here.
 *
 * Adds DEST_GDRIVE, COFRE_GDRIVE_API_BASE (the operator's override that points the adapter at
 * the fake; a spec cannot carry it) and COFRE_GDRIVE_CLIENT_ID / _CLIENT_SECRET / _REFRESH_TOKEN
 * (the fake's stack account) to .stack/env.
 */
import { GDRIVE_STACK_ACCOUNT } from "../../../test/fakes/gdrive.ts";
import { httpFakeService } from "../fake-service.ts";
import { PORTS } from "../ports.ts";

export const service = httpFakeService({
  name: "fake-gdrive",
  port: PORTS.fakeGdrive,
  healthPath: "/__fake/health",
  script: "test/fakes/gdrive.ts",
  dataDir: "gdrive",
  label: "FAKE Google Drive API, not the real service",
  env: (url) => ({
    DEST_GDRIVE: "gdrive://Ortho%2B%20Backups",
    COFRE_GDRIVE_API_BASE: url,
    COFRE_GDRIVE_CLIENT_ID: GDRIVE_STACK_ACCOUNT.clientId,
    COFRE_GDRIVE_CLIENT_SECRET: GDRIVE_STACK_ACCOUNT.clientSecret,
    COFRE_GDRIVE_REFRESH_TOKEN: GDRIVE_STACK_ACCOUNT.refreshToken,
  }),
});
