/**
 * Maps what `@aws-sdk/client-s3` (through s3-http.ts) throws into the destination error
 * codes withRetry and the connection probe understand. Error names follow the S3 API's
 * error-code table (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html);
 * network errors are recognised by Node's/undici's `code` and by Deno's messages.
 *
 * The returned errors carry the S3 error code, HTTP status and request id in `details` —
 * never credentials, signatures or the string that was signed.
 */
import { CofreError, describeError, type ErrorCode } from "../errors.ts";
import { parseRetryAfter } from "./retry.ts";

const AUTH = new Set([
  "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "TokenRefreshRequired",
  "AuthorizationHeaderMalformed", "InvalidSecurity", "RequestTimeTooSkewed", "Unauthorized",
]);
const PERMISSION = new Set(["AccessDenied", "AllAccessDisabled", "AccountProblem", "Forbidden"]);
const NOT_FOUND = new Set(["NoSuchBucket", "NoSuchKey", "NotFound", "NoSuchUpload"]);
const QUOTA = new Set(["QuotaExceeded", "EntityTooLarge", "StorageQuotaExceeded", "TooManyParts", "XMinioStorageFull", "InsufficientStorage"]);
const RATE = new Set(["SlowDown", "TooManyRequests", "RequestLimitExceeded", "Throttling", "ThrottlingException"]);
const UNAVAILABLE = new Set(["InternalError", "ServiceUnavailable", "RequestTimeout"]);
const NETWORK_CODES = new Set([
  "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH",
  "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED", "ERR_STREAM_PREMATURE_CLOSE",
]);
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|EPROTO|HOSTNAME_MISMATCH|ALTNAME/i;
const TLS_MESSAGE = /certificate|tls|ssl|handshake|wrong version number|UnknownIssuer|InvalidCertificate/i;

interface SdkLike {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { statusCode?: number; headers?: Record<string, string> };
}

/** The first `code` found along the cause chain (undici nests the socket error in `cause`). */
function causeCodes(e: unknown): string[] {
  const codes: string[] = [];
  for (let c: unknown = e, i = 0; c && typeof c === "object" && i < 6; c = (c as SdkLike).cause, i++) {
    const code = (c as SdkLike).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

function causeMessages(e: unknown): string {
  const out: string[] = [];
  for (let c: unknown = e, i = 0; c && i < 6; c = (c as SdkLike).cause, i++) out.push(describeError(c));
  return out.join(" / ");
}

export interface S3ErrorContext {
  /** "s3", "supabase-storage", "storj" — named in messages. */
  kind: string;
  bucket: string;
  /** The object key (relative to the destination root) or the operation's subject. */
  key: string;
  op: string;
}

/** Classifies anything an S3 request threw. A CofreError passes through unchanged. */
export function classifyS3Error(e: unknown, c: S3ErrorContext): CofreError {
  if (e instanceof CofreError) return e;
  const err = (e ?? {}) as SdkLike;
  const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
  // Only errors the SDK built from an answer carry an S3 error code (their name); a thrown
  // TypeError or ReferenceError is not one.
  const s3Code = err.Code ?? (status !== undefined && typeof err.name === "string" && err.name !== "Error" ? err.name : undefined);
  const details: Record<string, unknown> = { kind: c.kind, bucket: c.bucket, key: c.key, op: c.op };
  if (status !== undefined) details.httpStatus = status;
  if (s3Code) details.s3Code = s3Code;
  if (err.$metadata?.requestId) details.requestId = err.$metadata.requestId;
  const where = `${c.kind} (bucket ${c.bucket})`;
  const make = (code: ErrorCode, pt: string, en: string) =>
    new CofreError(code, { "pt-BR": pt, en }, { details, cause: e });

  const codes = causeCodes(e);
  if (status === undefined) {
    const text = causeMessages(e);
    if (codes.some((x) => TLS_CODE.test(x)) || TLS_MESSAGE.test(text)) {
      return make("DESTINATION_TLS",
        `Falha de TLS ao conectar a ${where}: o certificado do servidor não é confiável, expirou ou o endereço não usa HTTPS. Confira o endpoint.`,
        `TLS failure connecting to ${where}: the server's certificate is untrusted or expired, or the address does not speak HTTPS. Check the endpoint.`);
    }
    if (codes.some((x) => NETWORK_CODES.has(x)) || err.name === "TypeError" || err.name === "IdleTimeoutError" ||
      err.name === "AbortError" || /fetch failed|connection|network|socket|timed? ?out|refused|reset/i.test(text)) {
      details.errno = codes[0] ?? err.name;
      return make("DESTINATION_NETWORK",
        `Falha de rede ao falar com ${where} (${codes[0] ?? err.name}). Confira o endereço, a porta e o firewall; o Cofre tenta de novo sozinho.`,
        `Network failure talking to ${where} (${codes[0] ?? err.name}). Check the address, port and firewall; Cofre retries by itself.`);
    }
  }
  if ((s3Code && AUTH.has(s3Code)) || status === 401) {
    return make("DESTINATION_AUTH",
      `${where} recusou as credenciais (${s3Code}). Confira a chave de acesso e o segredo, ou gere uma nova chave no provedor.`,
      `${where} rejected the credentials (${s3Code}). Check the access key and secret, or create a new key at the provider.`);
  }
  if ((s3Code && QUOTA.has(s3Code)) || status === 507 || status === 413) {
    return make("DESTINATION_QUOTA",
      `${where} recusou o objeto por cota ou tamanho (${s3Code ?? status}). Libere espaço, reduza a retenção ou amplie o plano.`,
      `${where} refused the object for quota or size (${s3Code ?? status}). Free space, shorten retention or upgrade the plan.`);
  }
  if ((s3Code && PERMISSION.has(s3Code)) || (status === 403 && !(s3Code && AUTH.has(s3Code)))) {
    return make("DESTINATION_PERMISSION",
      `Sem permissão em ${where} (${s3Code ?? status}). Conceda à chave leitura, gravação, listagem e exclusão no bucket e no prefixo.`,
      `Permission denied at ${where} (${s3Code ?? status}). Grant the key read, write, list and delete on the bucket and prefix.`);
  }
  if (s3Code === "NoSuchBucket") {
    return make("DESTINATION_NOT_FOUND",
      `O bucket ${c.bucket} não existe em ${c.kind}. Crie-o ou corrija o nome no destino.`,
      `Bucket ${c.bucket} does not exist at ${c.kind}. Create it or fix the name in the destination.`);
  }
  if ((s3Code && NOT_FOUND.has(s3Code)) || status === 404) {
    return make("DESTINATION_NOT_FOUND",
      `O objeto ${c.key} não existe em ${where}.`,
      `Object ${c.key} does not exist at ${where}.`);
  }
  if ((s3Code && RATE.has(s3Code)) || status === 429) {
    const retryAfterMs = parseRetryAfter(err.$response?.headers?.["retry-after"]);
    if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
    return make("DESTINATION_RATE_LIMITED",
      `${where} pediu para diminuir o ritmo (${s3Code ?? status}). O Cofre espera e tenta de novo.`,
      `${where} asked to slow down (${s3Code ?? status}). Cofre waits and retries.`);
  }
  // Before the 5xx test: 501 NotImplemented is permanent, not worth a retry.
  if (s3Code === "MethodNotAllowed" || s3Code === "NotImplemented" || status === 405 || status === 501) {
    return make("DESTINATION_UNSUPPORTED",
      `${where} não implementa a operação ${c.op} (${s3Code ?? status}).`,
      `${where} does not implement ${c.op} (${s3Code ?? status}).`);
  }
  if ((s3Code && UNAVAILABLE.has(s3Code)) || (status !== undefined && status >= 500)) {
    const retryAfterMs = parseRetryAfter(err.$response?.headers?.["retry-after"]);
    if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
    return make("DESTINATION_UNAVAILABLE",
      `${where} está indisponível no momento (${s3Code ?? status}). O Cofre tenta de novo; se persistir, veja a página de status do provedor.`,
      `${where} is unavailable right now (${s3Code ?? status}). Cofre retries; if it persists, check the provider's status page.`);
  }
  if (s3Code === "PreconditionFailed" || status === 409 || status === 412) {
    return make("DESTINATION_CONFLICT",
      `O objeto ${c.key} mudou em ${where} durante a operação (${s3Code ?? status}). Tente de novo.`,
      `Object ${c.key} changed at ${where} during the operation (${s3Code ?? status}). Try again.`);
  }
  return make("DESTINATION_IO",
    `Erro em ${where} durante ${c.op} de ${c.key}: ${s3Code ?? describeError(e)}.`,
    `Error at ${where} during ${c.op} of ${c.key}: ${s3Code ?? describeError(e)}.`);
}
