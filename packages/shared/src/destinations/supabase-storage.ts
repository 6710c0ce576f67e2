/**
 * Supabase Storage through its S3 protocol (a private bucket), on the one S3 implementation
 * in s3.ts.
 *
 * Spec: `supabase-storage://<bucket>/<prefix>?endpoint=https://<ref>.supabase.co/storage/v1/s3&region=<project region>`
 * Both are required and shown in the dashboard (Storage → Settings → S3 Connection); the
 * region is the project's (e.g. sa-east-1) and is part of the SigV4 signature. Requests are
 * path-style below the endpoint's path, as Supabase's docs configure S3 clients
 * (https://supabase.com/docs/guides/storage/s3/authentication: `forcePathStyle: true`).
 * Credentials: COFRE_SUPABASE_STORAGE_ACCESS_KEY_ID / _SECRET_ACCESS_KEY (the dashboard's S3
 * access keys, full access: server side only), or for RLS-scoped access a user's JWT as
 * session token (COFRE_SUPABASE_STORAGE_SESSION_TOKEN) with the project ref as access key id
 * and the anon key as secret, as Supabase's S3 authentication guide describes.
 *
 * What Supabase's S3 protocol does not offer, per its compatibility table
 * (https://supabase.com/docs/guides/storage/s3/compatibility), so this kind never asks for it:
 * storage classes, server-side encryption headers (Storage encrypts at rest on its own) and
 * versioning ("S3 versioning is not supported … deleted objects are permanently removed").
 * Checksums: no x-amz-checksum-* is sent (`checksum=none` by default; `checksum=md5` sends
 * Content-MD5). Multipart uploads, ListParts and AbortMultipartUpload are implemented there.
 */
import { CofreError } from "../errors.ts";
import type { OpenContext } from "./open-context.ts";
import {
  DEFAULT_PART_SIZE, displaySpecOf, openS3Compatible, parseBucketSpec, s3ContextConfig, type S3Destination,
} from "./s3.ts";

const KIND = "supabase-storage";

function refuse(url: URL, what: string, why: { "pt-BR": string; en: string }): CofreError {
  return new CofreError("INVALID_INPUT", {
    "pt-BR": `O destino supabase-storage não aceita ${what}: ${why["pt-BR"]}`,
    en: `The supabase-storage destination does not take ${what}: ${why.en}`,
  }, { details: { spec: displaySpecOf(url), parameter: what } });
}

export async function open(url: URL, ctx: OpenContext): Promise<S3Destination> {
  const { bucket, prefix, query } = parseBucketSpec(url);
  if (!query.endpoint || !query.region) {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": "Informe endpoint e region do S3 do Supabase: supabase-storage://bucket/prefixo?endpoint=https://<ref>.supabase.co/storage/v1/s3&region=<região do projeto> (Storage → Settings → S3 Connection).",
      en: "Give Supabase's S3 endpoint and region: supabase-storage://bucket/prefix?endpoint=https://<ref>.supabase.co/storage/v1/s3&region=<project region> (Storage → Settings → S3 Connection).",
    }, { details: { spec: displaySpecOf(url) } });
  }
  if (query.storage_class !== undefined) {
    throw refuse(url, "storage_class", { "pt-BR": "o Supabase Storage não tem classes de armazenamento.", en: "Supabase Storage has no storage classes." });
  }
  if (query.sse !== undefined || query.sse_kms_key_id !== undefined) {
    throw refuse(url, "sse", { "pt-BR": "o Supabase Storage já cifra os dados em repouso e não aceita cabeçalhos SSE.", en: "Supabase Storage encrypts at rest itself and takes no SSE headers." });
  }
  if (query.checksum === "sha256") {
    throw refuse(url, "checksum=sha256", { "pt-BR": "o Supabase Storage não implementa x-amz-checksum-*; use checksum=md5 ou none.", en: "Supabase Storage does not implement x-amz-checksum-*; use checksum=md5 or none." });
  }
  return openS3Compatible({
    kind: KIND,
    displaySpec: displaySpecOf(url),
    bucket,
    prefix,
    region: query.region,
    endpoint: new URL(query.endpoint),
    forcePathStyle: true,
    storageClass: null,
    sse: null,
    sseKmsKeyId: null,
    checksum: query.checksum ?? "none",
    partSize: query.part_size_mib ? query.part_size_mib * 1024 * 1024 : DEFAULT_PART_SIZE,
    ...s3ContextConfig(ctx, KIND, url),
  }, ctx.network);
}
