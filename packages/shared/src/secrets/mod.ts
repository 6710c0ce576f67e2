/** Write-only secrets: the functions' key, AES-256-GCM sealing, the hint, and the database store. */
export { SECRET_KEY_ENV, SecretKey, loadSecretKey, parseSecretKey } from "./key.ts";
export { openSecret, sealSecret, type SealedSecret, type SecretOwner, type SecretOwnerType } from "./seal.ts";
export { secretHint } from "./hint.ts";
export { readSecret, secretStoreOf, writeSecret, type SecretStoreKind, type WriteSecretInput } from "./store.ts";
export {
  CREDENTIAL_FIELD, CredentialFields, credentialsSecret, destinationCredentialSource, readDestinationCredentials,
  readSchedulePassphrase,
} from "./engine.ts";
