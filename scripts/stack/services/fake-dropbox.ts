/**
 * The Dropbox FAKE of the local stack (issue 5): test/fakes/dropbox.ts run as a daemon on
 * 127.0.0.1:PORTS.fakeDropbox, data under .stack/fakes/dropbox. It is not Dropbox: a local HTTP
 * server following Dropbox's documented API, so `dropbox://` runs end to end here.
 *
 * Adds DEST_DROPBOX, COFRE_DROPBOX_API_BASE (the operator's override that points the adapter at
 * the fake; a spec cannot carry it) and COFRE_DROPBOX_APP_KEY / _APP_SECRET / _REFRESH_TOKEN
 * (the fake's stack account) to .stack/env.
 */
import { DROPBOX_STACK_ACCOUNT } from "../../../test/fakes/dropbox.ts";
import { httpFakeService } from "../fake-service.ts";
import { PORTS } from "../ports.ts";

export const service = httpFakeService({
  name: "fake-dropbox",
  port: PORTS.fakeDropbox,
  healthPath: "/__fake/health",
  script: "test/fakes/dropbox.ts",
  dataDir: "dropbox",
  label: "FAKE Dropbox API, not the real service",
  env: (url) => ({
    DEST_DROPBOX: "dropbox:///Ortho%2B%20Backups",
    COFRE_DROPBOX_API_BASE: url,
    COFRE_DROPBOX_APP_KEY: DROPBOX_STACK_ACCOUNT.clientId,
    COFRE_DROPBOX_APP_SECRET: DROPBOX_STACK_ACCOUNT.clientSecret,
    COFRE_DROPBOX_REFRESH_TOKEN: DROPBOX_STACK_ACCOUNT.refreshToken,
  }),
});
