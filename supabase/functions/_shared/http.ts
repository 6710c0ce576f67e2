/**
 * HTTP plumbing shared by Cofre's edge functions: JSON responses, CORS for supabase-js
 * `functions.invoke`, the error body every function returns, method checks and zod-validated
 * JSON bodies. Imported by relative path (`../_shared/http.ts`), Supabase's convention for
 * shared function code. Runs unchanged on Deno and Node (Web APIs only).
 *
 * Error body, for every non-2xx answer:
 *
 * ```json
 * { "error": { "code": "INVALID_INPUT", "message": "<pt-BR>", "message_en": "<en>", "details": { … } } }
 * ```
 *
 * `code` is stable (the UI and tests branch on it); `message` is pt-BR, `message_en` English,
 * the same pair `CofreError.toJSON()` produces; `details` holds non-secret facts only.
 */
import type { output, ZodType } from "zod";
import { readAllBytes } from "../../../packages/shared/src/format/streams.ts";

/** A user-facing text in both UI languages (same shape as `CofreError.messages`). */
export interface Messages {
  "pt-BR": string;
  en: string;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    message_en: string;
    details?: Record<string, unknown>;
  };
}

/** One failing field of a request body, in react-hook-form's dotted path form. */
export interface FieldIssue {
  /** Dotted path into the body (`destinations.0.bucket`); `""` is the body itself. */
  path: string;
  /** zod's issue code (`invalid_type`, `too_small`, `unrecognized_keys`, …). */
  code: string;
  /** zod's English message. Built from the schema, never from the submitted value. */
  message: string;
}

/**
 * CORS headers for calls from the browser through supabase-js `functions.invoke`: the
 * headers Supabase's CORS guide lists (the same list `@supabase/supabase-js/cors` exports:
 * authorization, x-client-info, apikey, content-type) plus `x-region`, which `invoke` sends
 * when a region is chosen. Origin `*` is safe here: supabase-js sends a bearer token, not
 * cookies. Methods are only what these functions accept.
 */
export const corsHeaders: Readonly<Record<string, string>> = Object.freeze({
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": "authorization, x-client-info, apikey, content-type, x-region",
  "Access-Control-Allow-Methods": "POST, OPTIONS",
});

/** Methods every Cofre function accepts. */
export const ALLOWED_METHODS = ["POST", "OPTIONS"] as const;

/** Largest request body `parseJsonBody` reads unless told otherwise (run requests are small). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** A JSON response with CORS headers. */
export function jsonResponse(body: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  for (const [k, v] of Object.entries(corsHeaders)) if (!h.has(k)) h.set(k, v);
  h.set("Content-Type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** The error body for `code` and `messages`; `details` must hold no secret. */
export function errorBody(code: string, messages: Messages, details?: Record<string, unknown>): ErrorBody {
  return {
    error: {
      code,
      message: messages["pt-BR"],
      message_en: messages.en,
      ...(details === undefined ? {} : { details }),
    },
  };
}

/** An error response: `{ error: { code, message, message_en, details? } }` with CORS headers. */
export function errorResponse(
  status: number,
  code: string,
  messages: Messages,
  details?: Record<string, unknown>,
  headers?: HeadersInit,
): Response {
  return jsonResponse(errorBody(code, messages, details), status, headers);
}

/** The answer to a CORS preflight (`OPTIONS`): 204 with the CORS headers, no body. */
export function preflightResponse(): Response {
  return new Response(null, { status: 204, headers: { ...corsHeaders } });
}

/** 405 METHOD_NOT_ALLOWED with an `Allow` header listing what is accepted. */
export function methodNotAllowed(method: string, allowed: readonly string[] = ALLOWED_METHODS): Response {
  const allow = allowed.join(", ");
  return errorResponse(
    405,
    "METHOD_NOT_ALLOWED",
    {
      "pt-BR": `Método ${method} não é aceito aqui; use ${allow}.`,
      en: `Method ${method} is not allowed here; use ${allow}.`,
    },
    { method, allowed: [...allowed] },
    { Allow: allow },
  );
}

/** 501 NOT_IMPLEMENTED: the function exists but does nothing yet. Never a fake success. */
export function notImplemented(messages: Messages, details?: Record<string, unknown>): Response {
  return errorResponse(501, "NOT_IMPLEMENTED", messages, details);
}

/** 401 UNAUTHORIZED, for a missing or unusable bearer token. */
export function unauthorized(): Response {
  return errorResponse(401, "UNAUTHORIZED", {
    "pt-BR": "Sessão ausente ou expirada. Entre novamente e tente de novo.",
    en: "Missing or expired session. Sign in again and retry.",
  }, undefined, { "WWW-Authenticate": "Bearer" });
}

/** 500 INTERNAL_ERROR. Says nothing about the cause: the cause may hold secrets. */
export function internalError(): Response {
  return errorResponse(500, "INTERNAL_ERROR", {
    "pt-BR": "Erro interno inesperado. Nada foi alterado por esta chamada; tente de novo mais tarde.",
    en: "Unexpected internal error. Nothing was changed by this call; try again later.",
  });
}

/** The bearer token of `Authorization: Bearer <token>`, or null. Forward it so RLS applies. */
export function bearerToken(req: Request): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("Authorization") ?? "");
  return m?.[1] ?? null;
}

/**
 * HTTP status for a `CofreError` code. Codes not listed answer 500. Adjust as the engine's
 * codes settle: a code's status is part of the API.
 */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = Object.freeze({
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PERMISSION_DENIED: 403,
  BACKUP_NOT_FOUND: 404,
  RESTORE_TARGET_NOT_EMPTY: 409,
  PAYLOAD_TOO_LARGE: 413,
  NOT_IMPLEMENTED: 501,
  DESTINATION_NOT_FOUND: 502,
  DESTINATION_PERMISSION: 502,
  DESTINATION_QUOTA: 502,
  DESTINATION_IO: 502,
  DESTINATION_AUTH: 502,
  DESTINATION_NETWORK: 502,
  DESTINATION_TLS: 502,
  DESTINATION_HOST_KEY: 502,
  DESTINATION_UNSUPPORTED: 400,
  DESTINATION_CREDENTIALS_MISSING: 400,
  DESTINATION_BLOCKED_HOST: 400,
  DESTINATION_RATE_LIMITED: 502,
  DESTINATION_UNAVAILABLE: 502,
  DESTINATION_CONFLICT: 409,
  SOURCE_CONNECTION: 502,
  BACKUP_INCOMPLETE: 409,
  INTEGRITY_MISMATCH: 422,
  CORRUPT_ARCHIVE: 422,
  TRUNCATED: 422,
  UNSUPPORTED_VERSION: 422,
  WRONG_PASSPHRASE: 422,
  PASSPHRASE_REQUIRED: 422,
  RESTORE_FAILED: 422,
});

/** What `errorResponseFrom` recognises: `CofreError`, checked by shape (no import of the core). */
export interface CofreErrorLike {
  code: string;
  messages: Messages;
  details?: Record<string, unknown>;
}

export function isCofreErrorLike(e: unknown): e is CofreErrorLike {
  if (typeof e !== "object" || e === null) return false;
  const { code, messages } = e as { code?: unknown; messages?: unknown };
  if (typeof code !== "string" || typeof messages !== "object" || messages === null) return false;
  const m = messages as Record<string, unknown>;
  return typeof m["pt-BR"] === "string" && typeof m.en === "string";
}

/**
 * The response for a thrown value: a `CofreError` becomes its code, messages and details
 * (CofreError's contract: details carry no secret) with `STATUS_BY_CODE`'s status, or
 * `status` when given. Anything else is logged (name and message only) and answered with a
 * generic 500, so driver messages never reach the caller.
 */
export function errorResponseFrom(e: unknown, status?: number): Response {
  if (isCofreErrorLike(e)) {
    const details = e.details && Object.keys(e.details).length > 0 ? e.details : undefined;
    return errorResponse(status ?? STATUS_BY_CODE[e.code] ?? 500, e.code, e.messages, details);
  }
  console.error("unhandled error:", e instanceof Error ? `${e.name}: ${e.message}` : typeof e);
  return internalError();
}

/** Copies the CORS headers onto a response that lacks them. */
export function withCors(res: Response): Response {
  const missing = Object.keys(corsHeaders).filter((k) => !res.headers.has(k));
  if (missing.length === 0) return res;
  const h = new Headers(res.headers);
  for (const k of missing) h.set(k, corsHeaders[k]!);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: h });
}

export type Handler = (req: Request) => Promise<Response>;

/**
 * Wraps a POST-only function body: OPTIONS gets the CORS preflight, other methods 405, a
 * thrown `CofreError` its error response, anything else thrown a generic 500; every answer
 * carries the CORS headers. Use as `export const handler = postHandler(async (req) => …)`.
 */
export function postHandler(fn: (req: Request) => Response | Promise<Response>): Handler {
  return async (req) => {
    if (req.method === "OPTIONS") return preflightResponse();
    if (req.method !== "POST") return methodNotAllowed(req.method);
    try {
      return withCors(await fn(req));
    } catch (e) {
      return errorResponseFrom(e);
    }
  };
}

export type ParsedBody<T> = { ok: true; data: T } | { ok: false; response: Response };

const INVALID_INPUT_MESSAGES: Messages = {
  "pt-BR": "Os dados enviados são inválidos. Corrija os campos indicados e tente de novo.",
  en: "The request data is invalid. Fix the listed fields and try again.",
};

/**
 * Reads the request body as JSON (at most `maxBytes`) and validates it with `schema`.
 *
 * - Valid: `{ ok: true, data }` with zod's output (defaults applied, unknown keys as the
 *   schema decides).
 * - Not UTF-8 JSON: 400 INVALID_INPUT, `details.reason = "malformed_json"`. The parser's
 *   message is not returned: it quotes the body.
 * - Fails the schema: 400 INVALID_INPUT, `details.fields` lists each failing field (path,
 *   zod code, zod message). Submitted values are never echoed; schemas must not build
 *   custom messages from the input.
 * - Larger than `maxBytes`: 413 PAYLOAD_TOO_LARGE.
 *
 * An empty body is validated as `undefined`, so the schema decides whether it is allowed.
 */
export async function parseJsonBody<S extends ZodType>(
  req: Request,
  schema: S,
  opts: { maxBytes?: number } = {},
): Promise<ParsedBody<output<S>>> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const text = await readBodyText(req, maxBytes);
  if (text === TOO_LARGE) {
    return {
      ok: false,
      response: errorResponse(413, "PAYLOAD_TOO_LARGE", {
        "pt-BR": `O corpo da requisição passa do limite de ${maxBytes} bytes.`,
        en: `The request body exceeds the ${maxBytes}-byte limit.`,
      }, { max_bytes: maxBytes }),
    };
  }

  let body: unknown;
  if (text === NOT_UTF8) {
    return { ok: false, response: errorResponse(400, "INVALID_INPUT", INVALID_INPUT_MESSAGES, { reason: "malformed_json" }) };
  }
  if (text.trim() === "") {
    body = undefined;
  } else {
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, response: errorResponse(400, "INVALID_INPUT", INVALID_INPUT_MESSAGES, { reason: "malformed_json" }) };
    }
  }

  const result = schema.safeParse(body);
  if (result.success) return { ok: true, data: result.data };
  const fields: FieldIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.map((p) => String(p)).join("."),
    code: issue.code,
    message: issue.message,
  }));
  return { ok: false, response: errorResponse(400, "INVALID_INPUT", INVALID_INPUT_MESSAGES, { reason: "schema", fields }) };
}

const TOO_LARGE = Symbol("too large");
/** Thrown inside readBodyText only, to stop readAllBytes at the limit. */
class BodyTooLarge extends Error {}
const NOT_UTF8 = Symbol("not utf-8");

/** The body as text, reading no more than `maxBytes` (a lying Content-Length cannot bypass it). */
async function readBodyText(req: Request, maxBytes: number): Promise<string | typeof TOO_LARGE | typeof NOT_UTF8> {
  const declared = Number(req.headers.get("Content-Length"));
  if (Number.isFinite(declared) && declared > maxBytes) return TOO_LARGE;
  if (req.body === null) return "";

  let bytes: Uint8Array;
  try {
    // readAllBytes cancels the body as soon as it passes maxBytes.
    bytes = await readAllBytes(req.body, { maxBytes, tooLarge: () => new BodyTooLarge() });
  } catch (e) {
    if (e instanceof BodyTooLarge) return TOO_LARGE;
    throw e;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return NOT_UTF8;
  }
}
