/**
 * Storj DCS through its S3-compatible gateway, on the one S3 implementation in s3.ts.
 *
 * Spec: `storj://<bucket>/<prefix>?auth=<auth service URL>` (default https://auth.storjshare.io;
 * regional ones are auth.us1/eu1/ap1.storjshare.io). Credential: `access_grant`
 * (COFRE_STORJ_ACCESS_GRANT) — the serialized grant made in the satellite console or with
 * `uplink share`; restrict it to the bucket/prefix and to read, write, list and delete.
 *
 * The grant is registered with Storj's auth service — `POST {auth}/v1/access` with
 * `{"access_grant": "…", "public": false}` → `{"access_key_id", "secret_key", "endpoint"}`
 * (storj/edge pkg/auth/httpauth/resources.go; https://storj.dev/dcs/api/uplink-cli/access-command/access-register)
 * — once per process and auth service (cached), and the S3 credentials it returns are used
 * against the gateway it names (`gateway=` overrides it, e.g. a self-hosted gateway-mt).
 * The grant itself never travels to the gateway and is never printed.
 *
 * The gateway is MinIO-based: Content-MD5 is checked (`checksum=md5`, the default here);
 * storage classes and SSE headers have no meaning on Storj (data is always encrypted
 * client-side by the grant's encryption key at the gateway) and are refused in the spec.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { CofreError } from "../errors.ts";
import { guardHost } from "./network-guard.ts";
import { ioTimeoutOf, requireCredential, type OpenContext } from "./open-context.ts";
import { parseRetryAfter, withRetry } from "./retry.ts";
import { classifyS3Error } from "./s3-errors.ts";
import {
  DEFAULT_PART_SIZE, S3Credentials, displaySpecOf, httpUrl, openS3Compatible, parseBucketSpec, type S3Destination,
} from "./s3.ts";

const KIND = "storj";
export const DEFAULT_STORJ_AUTH = "https://auth.storjshare.io";

const AccessResponse = z.object({
  access_key_id: z.string().min(1),
  secret_key: z.string().min(1),
  endpoint: httpUrl,
});

interface GatewayAccess {
  credentials: S3Credentials;
  endpoint: URL;
}

/** Registered grants, per auth service and grant (keyed by a hash: the grant is a secret). */
const registered = new Map<string, Promise<GatewayAccess>>();

/** Forgets every registered grant (tests; a process that rotates grants). */
export function clearStorjAccessCache(): void {
  registered.clear();
}

function authError(status: number, text: string, auth: URL): CofreError {
  const details: Record<string, unknown> = { kind: KIND, authService: auth.origin, httpStatus: status };
  const body = text.trim().slice(0, 200);
  // The auth service answers an unparseable grant with 500 "error storing request in database: …"
  // (resources.go), so the body decides, not only the status.
  if (status === 401 || status === 403 || status === 422 || /access grant|invalid|parse|decode|macaroon|api key/i.test(body)) {
    return new CofreError("DESTINATION_AUTH", {
      "pt-BR": `O serviço de autenticação da Storj recusou o access grant (${status}). Gere um novo access grant no console da Storj e salve-o de novo.`,
      en: `Storj's auth service rejected the access grant (${status}). Create a new access grant in the Storj console and save it again.`,
    }, { details });
  }
  if (status === 429) {
    return new CofreError("DESTINATION_RATE_LIMITED", {
      "pt-BR": "O serviço de autenticação da Storj pediu para diminuir o ritmo. O Cofre espera e tenta de novo.",
      en: "Storj's auth service asked to slow down. Cofre waits and retries.",
    }, { details });
  }
  if (status >= 500) {
    return new CofreError("DESTINATION_UNAVAILABLE", {
      "pt-BR": `O serviço de autenticação da Storj está indisponível (${status}). O Cofre tenta de novo.`,
      en: `Storj's auth service is unavailable (${status}). Cofre retries.`,
    }, { details });
  }
  return new CofreError("DESTINATION_IO", {
    "pt-BR": `Resposta inesperada do serviço de autenticação da Storj (${status}).`,
    en: `Unexpected answer from Storj's auth service (${status}).`,
  }, { details });
}

async function register(auth: URL, grant: string, fetchFn: typeof fetch, ioTimeoutMs: number): Promise<GatewayAccess> {
  const url = new URL("v1/access", auth.href.endsWith("/") ? auth.href : `${auth.href}/`);
  return withRetry(async () => {
    let res: Response;
    let text: string;
    try {
      res = await fetchFn(url.href, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ access_grant: grant, public: false }),
        signal: AbortSignal.timeout(ioTimeoutMs),
        redirect: "manual",
      });
      text = await res.text();
    } catch (e) {
      throw classifyS3Error(e, { kind: KIND, bucket: "-", key: auth.origin, op: "register-access" });
    }
    if (!res.ok) {
      const err = authError(res.status, text, auth);
      const after = parseRetryAfter(res.headers.get("retry-after"));
      if (after !== undefined) err.details.retryAfterMs = after;
      throw err;
    }
    let parsed: z.infer<typeof AccessResponse>;
    try {
      parsed = AccessResponse.parse(JSON.parse(text));
    } catch (e) {
      throw new CofreError("DESTINATION_IO", {
        "pt-BR": "O serviço de autenticação da Storj respondeu num formato inesperado.",
        en: "Storj's auth service answered in an unexpected format.",
      }, { details: { kind: KIND, authService: auth.origin }, cause: e });
    }
    return { credentials: new S3Credentials(parsed.access_key_id, parsed.secret_key), endpoint: new URL(parsed.endpoint) };
  });
}

export async function open(url: URL, ctx: OpenContext): Promise<S3Destination> {
  const { bucket, prefix, query } = parseBucketSpec(url, { auth: httpUrl.optional(), gateway: httpUrl.optional() });
  for (const p of ["endpoint", "storage_class", "sse", "sse_kms_key_id", "path_style"] as const) {
    if (query[p] !== undefined) {
      throw new CofreError("INVALID_INPUT", {
        "pt-BR": `O destino storj não aceita ${p}: a Storj informa o gateway (use gateway= para outro) e não tem classes nem SSE.`,
        en: `The storj destination does not take ${p}: Storj names the gateway (use gateway= for another) and has no storage classes or SSE.`,
      }, { details: { spec: displaySpecOf(url), parameter: p } });
    }
  }
  const auth = new URL((query.auth as string | undefined) ?? DEFAULT_STORJ_AUTH);
  const grant = requireCredential(ctx, KIND, url, "access_grant");
  const fetchFn = ctx.fetch ?? globalThis.fetch.bind(globalThis);
  const ioTimeoutMs = ioTimeoutOf(ctx);
  await guardHost(auth.hostname, ctx.network);
  const cacheKey = createHash("sha256").update(`${auth.href}\n${grant}`).digest("hex");
  let pending = registered.get(cacheKey);
  if (!pending) {
    pending = register(auth, grant, fetchFn, ioTimeoutMs);
    registered.set(cacheKey, pending);
    pending.catch(() => registered.delete(cacheKey));
  }
  const access = await pending;
  return openS3Compatible({
    kind: KIND,
    displaySpec: displaySpecOf(url),
    bucket,
    prefix,
    // The gateway ignores the region, but SigV4 needs one.
    region: query.region ?? "us-1",
    endpoint: query.gateway ? new URL(query.gateway as string) : access.endpoint,
    forcePathStyle: true,
    storageClass: null,
    sse: null,
    sseKmsKeyId: null,
    checksum: query.checksum ?? "md5",
    partSize: query.part_size_mib ? query.part_size_mib * 1024 * 1024 : DEFAULT_PART_SIZE,
    credentials: access.credentials,
    fetch: fetchFn,
    ioTimeoutMs,
  }, ctx.network);
}
