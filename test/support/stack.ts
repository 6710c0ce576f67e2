/** What tests know of the local stack: see scripts/stack/databases.ts. */
export { createScratchDb, dropScratchDb, stackEnv, urlForDb } from "../../scripts/stack/databases.ts";
