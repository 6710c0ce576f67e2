/**
 * One error family for everything Cofre does. Every error has a stable `code` (for programs,
 * tests and the UI's message table), a pt-BR and an English message that tell the user what
 * to do, and never carries a secret.
 */

/** Stable error codes, in the style of fflate's FlateErrorCode table. */
export const ErrorCode = {
  INVALID_INPUT: "INVALID_INPUT",
  NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
  BACKUP_NOT_FOUND: "BACKUP_NOT_FOUND",
  BACKUP_INCOMPLETE: "BACKUP_INCOMPLETE",
  INTEGRITY_MISMATCH: "INTEGRITY_MISMATCH",
  TRUNCATED: "TRUNCATED",
  UNSUPPORTED_VERSION: "UNSUPPORTED_VERSION",
  CORRUPT_ARCHIVE: "CORRUPT_ARCHIVE",
  UNSAFE_PATH: "UNSAFE_PATH",
  DESTINATION_NOT_FOUND: "DESTINATION_NOT_FOUND",
  DESTINATION_AUTH: "DESTINATION_AUTH",
  DESTINATION_NETWORK: "DESTINATION_NETWORK",
  DESTINATION_TLS: "DESTINATION_TLS",
  DESTINATION_HOST_KEY: "DESTINATION_HOST_KEY",
  DESTINATION_UNSUPPORTED: "DESTINATION_UNSUPPORTED",
  DESTINATION_PERMISSION: "DESTINATION_PERMISSION",
  DESTINATION_QUOTA: "DESTINATION_QUOTA",
  DESTINATION_IO: "DESTINATION_IO",
  /** The provider asked us to slow down (HTTP 429 / 503 SlowDown); details.retryAfterMs when known. */
  DESTINATION_RATE_LIMITED: "DESTINATION_RATE_LIMITED",
  /** The provider answered 5xx or the equivalent: worth retrying. */
  DESTINATION_UNAVAILABLE: "DESTINATION_UNAVAILABLE",
  /** A destination host resolves to a loopback, private, link-local or metadata address. */
  DESTINATION_BLOCKED_HOST: "DESTINATION_BLOCKED_HOST",
  /** A path or object conflict the adapter will not resolve by guessing (e.g. Dropbox path/conflict). */
  DESTINATION_CONFLICT: "DESTINATION_CONFLICT",
  /** Credentials the destination needs were not supplied. */
  DESTINATION_CREDENTIALS_MISSING: "DESTINATION_CREDENTIALS_MISSING",
  SOURCE_CONNECTION: "SOURCE_CONNECTION",
  SOURCE_QUERY: "SOURCE_QUERY",
  RESTORE_TARGET_NOT_EMPTY: "RESTORE_TARGET_NOT_EMPTY",
  RESTORE_FAILED: "RESTORE_FAILED",
  /** The target holds rows that conflict with the backup; restore reports them instead of guessing. */
  RESTORE_CONFLICT: "RESTORE_CONFLICT",
  /** An incremental or differential backup whose base is missing, or a chain out of order. */
  CHAIN_BROKEN: "CHAIN_BROKEN",
  PASSPHRASE_REQUIRED: "PASSPHRASE_REQUIRED",
  WRONG_PASSPHRASE: "WRONG_PASSPHRASE",
  /** COFRE_SECRET_KEY (the functions' key for write-only secrets) is missing, malformed, or not the key a secret was sealed with. */
  SECRET_KEY_MISSING: "SECRET_KEY_MISSING",
  /** The database refused the caller: not a member with the needed role (same answer for unknown objects). */
  PERMISSION_DENIED: "PERMISSION_DENIED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface Messages {
  "pt-BR": string;
  en: string;
}

export class CofreError extends Error {
  override readonly name = "CofreError";
  readonly code: ErrorCode;
  readonly messages: Messages;
  /** Non-secret facts that help someone fix it (table name, key, HTTP status…). */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, messages: Messages, opts: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(messages.en, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.messages = messages;
    this.details = opts.details ?? {};
  }

  messageIn(locale: keyof Messages = "pt-BR") {
    return this.messages[locale];
  }

  toJSON() {
    return { code: this.code, message: this.messages["pt-BR"], message_en: this.messages.en, details: this.details };
  }
}

export function isCofreError(e: unknown, code?: ErrorCode): e is CofreError {
  return e instanceof CofreError && (code === undefined || e.code === code);
}

/** The text of any thrown value, without a stack; for wrapping driver errors into CofreError. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
