/**
 * Plain client for the S3 family (s3, supabase-storage, storj): a bare @aws-sdk/client-s3
 * S3Client with the SDK's default settings (its own NodeHttpHandler, its retries) except
 * the two noted below, one PutObject with the streamed body and its length, one GetObject.
 * Storj's access grant is exchanged for S3 credentials first (untimed), as the adapter does: POST {auth}/v1/access (storj/edge pkg/auth/httpauth/resources.go).
 */
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand,
  S3Client, UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { envOf, type BenchClient } from "../client.ts";
import { generate, hashAll, nodeBody } from "../data.ts";

interface S3Target {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
}

async function targetOf(kind: "s3" | "supabase-storage" | "storj", spec: string, env: Record<string, string | undefined>): Promise<S3Target> {
  const url = new URL(spec);
  const bucket = url.hostname;
  const prefix = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ""));
  if (kind === "storj") {
    const auth = url.searchParams.get("auth") ?? "https://auth.storjshare.io";
    const res = await fetch(`${auth.replace(/\/$/, "")}/v1/access`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ access_grant: envOf(env, "COFRE_STORJ_ACCESS_GRANT"), public: false }),
    });
    if (!res.ok) throw new Error(`storj auth answered ${res.status}`);
    const j = (await res.json()) as { access_key_id: string; secret_key: string; endpoint: string };
    return { endpoint: j.endpoint, region: "us-east-1", bucket, prefix, accessKeyId: j.access_key_id, secretAccessKey: j.secret_key };
  }
  const up = kind === "s3" ? "S3" : "SUPABASE_STORAGE";
  return {
    endpoint: envOf(Object.fromEntries(url.searchParams), "endpoint"),
    region: url.searchParams.get("region") ?? "us-east-1",
    bucket,
    prefix,
    accessKeyId: envOf(env, `COFRE_${up}_ACCESS_KEY_ID`),
    secretAccessKey: envOf(env, `COFRE_${up}_SECRET_ACCESS_KEY`),
  };
}

/**
 * `multipartPartSize`: upload the large object as a plain multipart upload instead (parts of
 * that size, one after another, no checksums) — the same request pattern as the adapter's,
 * to tell the adapter's own cost from the server's cost of multipart uploads.
 */
export async function openS3Baseline(
  kind: "s3" | "supabase-storage" | "storj", spec: string, env: Record<string, string | undefined>,
  opts: { multipartPartSize?: number } = {},
): Promise<BenchClient> {
  const t = await targetOf(kind, spec, env);
  // Two settings differ from the SDK's defaults. Path-style: what any client of an endpoint
  // with a path (Supabase's /storage/v1/s3) or an IP address needs. Checksums WHEN_REQUIRED:
  // by default (WHEN_SUPPORTED) a streamed PutObject is sent aws-chunked with a CRC32
  // trailer, which s3rver 3.7.1 does not decode — it stores the chunk framing as the object
  // (measured: 20 MiB + 5 bytes up, 20,972,286 bytes back). So the baseline sends no
  // checksum; the adapter computes its own per part (s3: MD5 + SHA-256, storj: MD5).
  const client = new S3Client({
    region: t.region, endpoint: t.endpoint, forcePathStyle: true,
    credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  const Key = (key: string) => (t.prefix ? `${t.prefix}/${key}` : key);
  return {
    async putStream(key, size, seed) {
      const partSize = opts.multipartPartSize;
      if (partSize === undefined) {
        await client.send(new PutObjectCommand({ Bucket: t.bucket, Key: Key(key), Body: nodeBody(size, seed), ContentLength: size }));
        return;
      }
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: Key(key) }));
      const parts: { PartNumber: number; ETag: string }[] = [];
      const part = new Uint8Array(partSize);
      let n = 0;
      const send = async (bytes: Uint8Array) => {
        const PartNumber = parts.length + 1;
        const out = await client.send(new UploadPartCommand({ Bucket: t.bucket, Key: Key(key), UploadId, PartNumber, Body: bytes, ContentLength: bytes.length }));
        parts.push({ PartNumber, ETag: out.ETag ?? "" });
      };
      for (const chunk of generate(size, seed)) {
        for (let o = 0; o < chunk.length;) {
          const take = Math.min(partSize - n, chunk.length - o);
          part.set(chunk.subarray(o, o + take), n);
          n += take;
          o += take;
          if (n === partSize) {
            await send(part);
            n = 0;
          }
        }
      }
      if (n > 0 || parts.length === 0) await send(part.subarray(0, n));
      await client.send(new CompleteMultipartUploadCommand({ Bucket: t.bucket, Key: Key(key), UploadId, MultipartUpload: { Parts: parts } }));
    },
    async putBytes(key, bytes) {
      await client.send(new PutObjectCommand({ Bucket: t.bucket, Key: Key(key), Body: bytes }));
    },
    async get(key) {
      const out = await client.send(new GetObjectCommand({ Bucket: t.bucket, Key: Key(key) }));
      return hashAll(out.Body as Readable);
    },
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: Key(key) }));
    },
    close: async () => client.destroy(),
  };
}
