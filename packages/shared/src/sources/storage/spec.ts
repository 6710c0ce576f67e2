/**
 * Where Supabase Storage buckets are read from (backup) and written to (restore): the
 * project's Storage S3 endpoint, as Supabase documents it
 * (https://supabase.com/docs/guides/storage/s3/authentication — `https://<ref>.supabase.co/storage/v1/s3`,
 * the project's region, path-style addressing, S3 access keys from Storage → Settings).
 *
 * Spec (`cofre backup --storage …`, the `storage.endpoint` field of the function requests, or
 * the COFRE_SUPABASE_STORAGE_ENDPOINT variable when neither is given):
 *
 *     https://<ref>.supabase.co/storage/v1/s3?region=<project region>[&profile=<name>][&part_size_mib=<5–512>]
 *
 * `region`, `profile` and `part_size_mib` are Cofre's parameters (removed before any request).
 * Credentials are the supabase-storage destination's: COFRE_SUPABASE_STORAGE_ACCESS_KEY_ID /
 * _SECRET_ACCESS_KEY (or COFRE_SUPABASE_STORAGE_<PROFILE>_…, the credentials file, or the
 * database's secret store) — never in the spec.
 *
 * Each bucket is opened as a `supabase-storage://<bucket>` destination on that endpoint, so
 * the one S3 implementation (destinations/s3.ts: client, fetch transport, error mapping,
 * retries, SSRF guard) does every request.
 */
import { CofreError } from "../../errors.ts";
import { redactUrls } from "../../redacted.ts";
import { contextFromEnvironment, environmentLookup, type OpenContext } from "../../destinations/open-context.ts";
import type { S3Destination } from "../../destinations/s3.ts";

/** The variable holding the storage spec when none is given explicitly. */
export const STORAGE_ENDPOINT_ENV = "COFRE_SUPABASE_STORAGE_ENDPOINT";

/** Supabase's bucket names: letters, digits, `.`, `_`, `-` (what an S3 path segment carries safely). */
const BUCKET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface StorageEndpoint {
  /** The S3 endpoint without Cofre's parameters. */
  endpoint: URL;
  region: string;
  profile: string | null;
  partSizeMib: number | null;
  /** As shown back: endpoint and region, no credentials. */
  display: string;
}

function invalid(pt: string, en: string, details: Record<string, unknown> = {}): CofreError {
  return new CofreError("INVALID_INPUT", { "pt-BR": pt, en }, { details });
}

const FORM_PT = "Formato: https://<ref>.supabase.co/storage/v1/s3?region=<região do projeto> (Storage → Settings → S3 Connection).";
const FORM_EN = "Form: https://<ref>.supabase.co/storage/v1/s3?region=<project region> (Storage → Settings → S3 Connection).";

/** Parses the storage spec; `spec` undefined reads COFRE_SUPABASE_STORAGE_ENDPOINT through `env`. */
export function parseStorageEndpoint(
  spec: string | undefined,
  env: (name: string) => string | undefined = environmentLookup(),
): StorageEndpoint {
  const text = spec ?? env(STORAGE_ENDPOINT_ENV);
  if (!text) {
    throw invalid(
      `Informe o endpoint S3 do Supabase Storage com --storage ou ${STORAGE_ENDPOINT_ENV}. ${FORM_PT}`,
      `Give Supabase Storage's S3 endpoint with --storage or ${STORAGE_ENDPOINT_ENV}. ${FORM_EN}`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`Endpoint do Storage inválido: ${redactUrls(text)}. ${FORM_PT}`, `Invalid Storage endpoint: ${redactUrls(text)}. ${FORM_EN}`);
  }
  if (url.username || url.password) {
    throw invalid(
      "Não coloque credenciais no endpoint do Storage; use COFRE_SUPABASE_STORAGE_ACCESS_KEY_ID e COFRE_SUPABASE_STORAGE_SECRET_ACCESS_KEY.",
      "Do not put credentials in the Storage endpoint; use COFRE_SUPABASE_STORAGE_ACCESS_KEY_ID and COFRE_SUPABASE_STORAGE_SECRET_ACCESS_KEY.",
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw invalid(`O endpoint do Storage deve ser http(s): ${url.protocol}. ${FORM_PT}`, `The Storage endpoint must be http(s): ${url.protocol}. ${FORM_EN}`);
  }
  const params = Object.fromEntries(url.searchParams);
  const unknown = Object.keys(params).filter((k) => !["region", "profile", "part_size_mib"].includes(k));
  if (unknown.length) {
    throw invalid(`Parâmetros desconhecidos no endpoint do Storage: ${unknown.join(", ")}. ${FORM_PT}`, `Unknown parameters in the Storage endpoint: ${unknown.join(", ")}. ${FORM_EN}`);
  }
  const region = params.region;
  if (!region || !/^[a-z0-9-]{2,40}$/.test(region)) {
    throw invalid(`Informe region= no endpoint do Storage (a região do projeto). ${FORM_PT}`, `Give region= in the Storage endpoint (the project's region). ${FORM_EN}`);
  }
  const partSizeMib = params.part_size_mib === undefined ? null : Number(params.part_size_mib);
  if (partSizeMib !== null && !(Number.isInteger(partSizeMib) && partSizeMib >= 5 && partSizeMib <= 512)) {
    throw invalid("part_size_mib deve ser um inteiro de 5 a 512.", "part_size_mib must be an integer from 5 to 512.");
  }
  const profile = params.profile ?? null;
  if (profile !== null && !/^[A-Za-z0-9_-]+$/.test(profile)) throw invalid("profile inválido.", "Invalid profile.");
  const endpoint = new URL(url.href);
  endpoint.search = "";
  endpoint.hash = "";
  return { endpoint, region, profile, partSizeMib, display: `${endpoint.href.replace(/\/$/, "")} (${region})` };
}

/** Refuses a bucket name Supabase Storage could not have (and that would not be a safe path segment). */
export function assertBucketName(name: string, flag = "--buckets"): void {
  if (!BUCKET_NAME.test(name)) {
    throw invalid(`Nome de bucket inválido em ${flag}: ${JSON.stringify(name)}.`, `Invalid bucket name in ${flag}: ${JSON.stringify(name)}.`, { bucket: name });
  }
}

/** Opens `bucket` at the endpoint as a supabase-storage destination rooted at the bucket. */
export async function openBucket(ep: StorageEndpoint, bucket: string, ctx: OpenContext = contextFromEnvironment()): Promise<S3Destination> {
  assertBucketName(bucket);
  const url = new URL(`supabase-storage://${bucket}`);
  url.searchParams.set("endpoint", ep.endpoint.href.replace(/\/$/, ""));
  url.searchParams.set("region", ep.region);
  if (ep.profile) url.searchParams.set("profile", ep.profile);
  if (ep.partSizeMib) url.searchParams.set("part_size_mib", String(ep.partSizeMib));
  // Imported when used, as the registry does, so a backup without buckets never loads the S3 SDK.
  const { open } = await import("../../destinations/supabase-storage.ts");
  return open(url, ctx);
}

/** Bucket names from `a,b` flags (repeatable), trimmed, without duplicates. */
export function parseBucketList(values: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const v of values ?? []) {
    for (const name of v.split(",").map((s) => s.trim()).filter(Boolean)) {
      assertBucketName(name);
      if (!out.includes(name)) out.push(name);
    }
  }
  return out;
}

/** `old=new` pairs (repeatable, comma-separated) → map; each side a valid bucket name. */
export function parseBucketMap(values: readonly string[] | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const v of values ?? []) {
    for (const pair of v.split(",").map((s) => s.trim()).filter(Boolean)) {
      const [from, to, ...rest] = pair.split("=").map((s) => s.trim());
      if (!from || !to || rest.length) {
        throw invalid(`--bucket-map espera antigo=novo; recebeu ${JSON.stringify(pair)}.`, `--bucket-map expects old=new; got ${JSON.stringify(pair)}.`);
      }
      assertBucketName(from, "--bucket-map");
      assertBucketName(to, "--bucket-map");
      map[from] = to;
    }
  }
  return map;
}
