/**
 * Amazon S3 and S3-compatible services (`@aws-sdk/client-s3`), the one implementation behind
 * the `s3:`, `supabase-storage:` and `storj:` kinds (those two configure it; see their modules).
 *
 * Spec: `s3://<bucket>/<prefix>?region=…&endpoint=…&storage_class=…&sse=…`
 *   - `region` (default us-east-1); `endpoint` for S3-compatible servers (then path-style
 *     addressing, `path_style=false` to turn it off); a path in the endpoint is kept
 *     (`https://<ref>.supabase.co/storage/v1/s3`).
 *   - `storage_class`: STANDARD_IA by default (the seed's choice), or STANDARD, ONEZONE_IA,
 *     INTELLIGENT_TIERING, GLACIER_IR, REDUCED_REDUNDANCY. GLACIER and DEEP_ARCHIVE are
 *     refused: their objects cannot be read without a restore request, so verification and
 *     restore would fail.
 *   - `sse=AES256|aws:kms` (+ `sse_kms_key_id=`): server-side encryption asked per object.
 *   - `checksum=sha256|md5|none` (default sha256): md5 sends Content-MD5 with every PUT and
 *     part (the server rejects a body that was damaged on the way); sha256 also sends
 *     x-amz-checksum-sha256 (S3 stores it and checks it; multipart uploads are created with
 *     ChecksumAlgorithm SHA256).
 *   - `part_size_mib` (5–512, default 8): the multipart part size, which bounds memory: one
 *     part is held at a time. 10,000 parts at most, so the default allows objects to 80 GiB.
 *   - `profile=<name>`: credentials from COFRE_S3_<NAME>_* instead of COFRE_S3_*.
 * Credentials (never in the spec): access_key_id, secret_access_key, optional session_token.
 *
 * Atomicity: a body smaller than one part goes in one PutObject (S3 makes it visible only
 * when complete); a larger one is a multipart upload, visible only after
 * CompleteMultipartUpload. `put` aborts the multipart upload when it fails, so no parts are
 * left behind (where the server implements AbortMultipartUpload). Requests go through
 * withRetry; a streamed body is never re-read, its parts are retried from the one part held
 * in memory. Two requests are not idempotent and get more than a blind retry:
 * CompleteMultipartUpload (a lost answer is followed by NoSuchUpload on the retry: the object
 * under the key is then checked and accepted when it is this upload's — see #complete) and
 * CreateMultipartUpload (a lost answer leaves an orphan upload: the key's uploads are listed
 * and the orphan aborted where ListMultipartUploads exists — see #create).
 *
 * Reads continue after a broken body with a new ranged GET of the same version (If-Match)
 * through resumable-read.ts: attempts that deliver no byte use up the retry policy.
 *
 * Resuming: `putResumable` keeps the multipart upload when it fails and puts a
 * `resumeToken` (and the `uploadId`) in the error's details. Call `putResumable` again with
 * the same bytes from the start and `{ resumeToken }`: parts the server already has (ListParts,
 * or the token's record when the server has no ListParts) whose SHA-256 matches the replayed
 * bytes are skipped, the rest are uploaded, and the upload is completed. `abortResumable`
 * discards an upload that will not be resumed.
 *
 * Versioned buckets: `remove` is a plain DeleteObject without a version id, which on a
 * versioned bucket adds a delete marker — older versions stay and can be restored by the
 * bucket owner. Cofre never deletes specific versions, so it never purges history; the
 * bucket's lifecycle rules decide when noncurrent versions expire.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { z } from "zod";
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand, PutObjectCommand, S3Client,
  UploadPartCommand, type CompletedPart, type StorageClass,
} from "@aws-sdk/client-s3";
import { CofreError, describeError } from "../errors.ts";
import { Redacted, redactUrls } from "../redacted.ts";
import { concatBytes } from "../format/bytes.ts";
import { assertValidKey, joinKey } from "./keys.ts";
import { guardHost } from "./network-guard.ts";
import { ioTimeoutOf, findCredential, requireCredential, type NetworkPolicy, type OpenContext } from "./open-context.ts";
import { runConnectionProbe } from "./probe.ts";
import { resumableRead, type ReadSource } from "./resumable-read.ts";
import { withRetry, type RetryPolicy } from "./retry.ts";
import { classifyS3Error } from "./s3-errors.ts";
import { fetchRequestHandler } from "./s3-http.ts";
import type { ByteRange, Capabilities, Destination, ListPage, ObjectInfo } from "./contract.ts";

const MIB = 1024 * 1024;
/** S3's limit on parts per upload. */
const MAX_PARTS = 10_000;
export const DEFAULT_PART_SIZE = 8 * MIB;
export const S3_STORAGE_CLASSES = [
  "STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "REDUCED_REDUNDANCY",
] as const;
const ARCHIVE_CLASSES = ["GLACIER", "DEEP_ARCHIVE"];

export type ChecksumMode = "sha256" | "md5" | "none";

/** Access key, secret and session token; prints as `**redacted**` however it is inspected. */
export class S3Credentials extends Redacted {
  readonly #value: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  constructor(accessKeyId: string, secretAccessKey: string, sessionToken?: string) {
    super();
    this.#value = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  /** The SDK's credential provider (a function, so the values are not a plain property of the client config). */
  provider() {
    const v = this.#value;
    return async () => ({ ...v });
  }
}

/** Everything an S3-compatible destination needs; the three kinds build it from their specs. */
export interface S3Config {
  kind: string;
  displaySpec: string;
  bucket: string;
  /** Key prefix below the bucket, without leading or trailing `/`; "" for the bucket's root. */
  prefix: string;
  region: string;
  endpoint: URL | null;
  forcePathStyle: boolean;
  storageClass: StorageClass | null;
  sse: "AES256" | "aws:kms" | null;
  sseKmsKeyId: string | null;
  checksum: ChecksumMode;
  partSize: number;
  credentials: S3Credentials;
  fetch: typeof fetch;
  ioTimeoutMs: number;
  retry?: Partial<RetryPolicy>;
}

function invalidSpec(url: URL | string, hint: { "pt-BR": string; en: string }): CofreError {
  const spec = redactUrls(String(url));
  return new CofreError("INVALID_INPUT", {
    "pt-BR": `Destino inválido: ${spec}. ${hint["pt-BR"]}`,
    en: `Invalid destination: ${spec}. ${hint.en}`,
  }, { details: { spec } });
}

/** A spec parameter holding an http(s) URL. */
export const httpUrl = z.string().refine((s) => {
  try {
    return ["http:", "https:"].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, "an http(s) URL");

/** Query parameters every S3-family spec may carry (each kind picks its defaults). */
export const S3SpecQuery = z.object({
  region: z.string().regex(/^[a-z0-9-]{2,40}$/).optional(),
  endpoint: httpUrl.optional(),
  path_style: z.enum(["true", "false"]).optional(),
  storage_class: z.string().optional(),
  sse: z.enum(["AES256", "aws:kms"]).optional(),
  sse_kms_key_id: z.string().min(1).optional(),
  checksum: z.enum(["sha256", "md5", "none"]).optional(),
  part_size_mib: z.coerce.number().int().min(5).max(512).optional(),
  profile: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
}).strict();
export type S3SpecQuery = z.infer<typeof S3SpecQuery>;

/** Parses `<scheme>//<bucket>/<prefix>?<query>`; refuses credentials in the URL. */
export function parseBucketSpec(url: URL, extra: Record<string, z.ZodType> = {}): { bucket: string; prefix: string; query: S3SpecQuery & Record<string, unknown> } {
  if (url.username || url.password) {
    throw invalidSpec(url, {
      "pt-BR": "Não coloque credenciais na URL do destino; use as variáveis COFRE_* ou as configurações do destino.",
      en: "Do not put credentials in the destination URL; use the COFRE_* variables or the destination's settings.",
    });
  }
  const bucket = decodeURIComponent(url.hostname);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,62}$/.test(bucket)) {
    throw invalidSpec(url, {
      "pt-BR": `Nome de bucket inválido "${bucket}". Formato: ${url.protocol}//meu-bucket/prefixo`,
      en: `Invalid bucket name "${bucket}". Form: ${url.protocol}//my-bucket/prefix`,
    });
  }
  const prefix = joinKey(...url.pathname.split("/").map((s) => decodeURIComponent(s)));
  if (prefix) assertValidKey(prefix);
  const parsed = S3SpecQuery.extend(extra).safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join(".") || "?"}: ${i.message}`).join("; ");
    throw invalidSpec(url, { "pt-BR": `Parâmetros inválidos (${what}).`, en: `Invalid parameters (${what}).` });
  }
  return { bucket, prefix, query: parsed.data as S3SpecQuery & Record<string, unknown> };
}

/** The storage class a spec asks for, or `fallback`; archive classes are refused (see module doc). */
export function storageClassOf(url: URL, asked: string | undefined, fallback: StorageClass | null): StorageClass | null {
  if (asked === undefined) return fallback;
  const up = asked.toUpperCase();
  if (ARCHIVE_CLASSES.includes(up)) {
    throw invalidSpec(url, {
      "pt-BR": `A classe ${up} exige um pedido de restauração antes de cada leitura, o que impede verificar e restaurar backups. Use STANDARD_IA ou GLACIER_IR.`,
      en: `Storage class ${up} needs a restore request before every read, which prevents verifying and restoring backups. Use STANDARD_IA or GLACIER_IR.`,
    });
  }
  if (!(S3_STORAGE_CLASSES as readonly string[]).includes(up)) {
    throw invalidSpec(url, {
      "pt-BR": `Classe de armazenamento desconhecida ${asked}. Use uma de: ${S3_STORAGE_CLASSES.join(", ")}.`,
      en: `Unknown storage class ${asked}. Use one of: ${S3_STORAGE_CLASSES.join(", ")}.`,
    });
  }
  return up as StorageClass;
}

/** The spec as shown back: the URL without user info (it never holds secrets). */
export function displaySpecOf(url: URL): string {
  const u = new URL(url.href);
  u.username = "";
  u.password = "";
  return u.href;
}

/** Opens `s3://…` (see the module doc). */
export async function open(url: URL, ctx: OpenContext): Promise<S3Destination> {
  const { bucket, prefix, query } = parseBucketSpec(url);
  const kind = "s3";
  const cfg: S3Config = {
    kind,
    displaySpec: displaySpecOf(url),
    bucket,
    prefix,
    region: query.region ?? "us-east-1",
    endpoint: query.endpoint ? new URL(query.endpoint) : null,
    forcePathStyle: query.endpoint ? query.path_style !== "false" : query.path_style === "true",
    storageClass: storageClassOf(url, query.storage_class, "STANDARD_IA"),
    sse: query.sse ?? null,
    sseKmsKeyId: query.sse_kms_key_id ?? null,
    checksum: query.checksum ?? "sha256",
    partSize: (query.part_size_mib ?? DEFAULT_PART_SIZE / MIB) * MIB,
    ...s3ContextConfig(ctx, kind, url),
  };
  return openS3Compatible(cfg, ctx.network);
}

/**
 * What an S3-family config takes from the context: the access key, secret and optional
 * session token of `kind` (COFRE_<KIND>_ACCESS_KEY_ID …), the fetch and the I/O timeout.
 */
export function s3ContextConfig(ctx: OpenContext, kind: string, url: URL): Pick<S3Config, "credentials" | "fetch" | "ioTimeoutMs"> {
  return {
    credentials: new S3Credentials(
      requireCredential(ctx, kind, url, "access_key_id"),
      requireCredential(ctx, kind, url, "secret_access_key"),
      findCredential(ctx, kind, url, "session_token"),
    ),
    fetch: ctx.fetch ?? globalThis.fetch.bind(globalThis),
    ioTimeoutMs: ioTimeoutOf(ctx),
  };
}

/** Checks the host against the SSRF guard, then builds the destination. */
export async function openS3Compatible(cfg: S3Config, network: NetworkPolicy): Promise<S3Destination> {
  const host = cfg.endpoint ? cfg.endpoint.hostname : `s3.${cfg.region}.amazonaws.com`;
  await guardHost(host, network);
  return new S3Destination(cfg);
}

// ---------------------------------------------------------------------------------------
// Resume tokens

const ResumeState = z.object({
  v: z.literal(1),
  bucket: z.string(),
  key: z.string(),
  uploadId: z.string().min(1),
  partSize: z.number().int().positive(),
  parts: z.array(z.object({
    n: z.number().int().min(1).max(MAX_PARTS),
    size: z.number().int().nonnegative(),
    etag: z.string(),
    sha256: z.string(),
  })),
});
type ResumeState = z.infer<typeof ResumeState>;
type DonePart = ResumeState["parts"][number];

function encodeResume(s: ResumeState): string {
  return Buffer.from(JSON.stringify(s), "utf8").toString("base64url");
}

function decodeResume(token: string): ResumeState {
  try {
    return ResumeState.parse(JSON.parse(Buffer.from(token, "base64url").toString("utf8")));
  } catch (e) {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": "O token de retomada do envio é inválido. Recomece o envio do início.",
      en: "The upload's resume token is invalid. Start the upload again from the beginning.",
    }, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------
// Parts

/**
 * Cuts a byte stream into parts of exactly `size` bytes (the last may be shorter), copying
 * into one buffer of `size` bytes that every part reuses: a part returned by `next()` is valid
 * until the following call. Small bodies never allocate the whole buffer — chunks are kept as
 * they come until they pass SMALL_BODY, and only then copied into the part buffer.
 */
class PartSource {
  static readonly SMALL_BODY = 1024 * 1024;
  #pending: Uint8Array | null = null;
  #ended = false;
  #buffer: Uint8Array | null = null;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>, private readonly size: number) {}

  /** The next part, or null when the stream is exhausted. */
  async next(): Promise<Uint8Array | null> {
    const small: Uint8Array[] = [];
    let out: Uint8Array | null = null;
    let n = 0;
    while (n < this.size) {
      let chunk = this.#pending;
      this.#pending = null;
      if (!chunk) {
        if (this.#ended) break;
        const r = await this.reader.read();
        if (r.done) {
          this.#ended = true;
          break;
        }
        chunk = r.value;
      }
      const take = Math.min(chunk.length, this.size - n);
      const piece = take === chunk.length ? chunk : chunk.subarray(0, take);
      if (take < chunk.length) this.#pending = chunk.subarray(take);
      if (out === null && n + take <= PartSource.SMALL_BODY) {
        small.push(piece);
      } else {
        if (out === null) {
          out = this.#buffer ??= new Uint8Array(this.size);
          let o = 0;
          for (const s of small.splice(0)) {
            out.set(s, o);
            o += s.length;
          }
        }
        out.set(piece, n);
      }
      n += take;
    }
    if (n === 0 && this.#ended) return null;
    if (out !== null) return out.subarray(0, n);
    return small.length === 1 ? small[0]! : concatBytes(small);
  }
}

/** Marks an error thrown by the caller's body stream, so it is not mistaken for the server's. */
class BodyError {
  constructor(readonly error: unknown) {}
}

function digest(alg: "md5" | "sha256", data: Uint8Array): string {
  return createHash(alg).update(data).digest("base64");
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.close() });
}

/** A listed object with the service's entity tag (quotes removed; null when it gave none). */
export interface S3ObjectInfo extends ObjectInfo {
  etag: string | null;
}

/** HeadObject's answer: what sources/storage/ records of a Storage object. */
export interface S3ObjectHead extends S3ObjectInfo {
  contentType: string | null;
  cacheControl: string | null;
  /** User metadata (x-amz-meta-*), names lower-case as the SDK gives them. */
  metadata: Record<string, string>;
}

/** Attributes a put may set on the object (default content type: application/octet-stream). */
export interface ObjectAttributes {
  contentType?: string | null;
  cacheControl?: string | null;
  metadata?: Record<string, string>;
}

function objectAttributeParams(a: ObjectAttributes) {
  return {
    ...(a.cacheControl ? { CacheControl: a.cacheControl } : {}),
    ...(a.metadata && Object.keys(a.metadata).length ? { Metadata: a.metadata } : {}),
  };
}

/** S3's ETag of a multipart object: MD5 of the parts' binary MD5s, "-", the part count; null when a part's ETag is not an MD5 (SSE-KMS). */
export function multipartEtag(partEtags: string[]): string | null {
  if (partEtags.length === 0 || !partEtags.every((e) => /^[0-9a-f]{32}$/i.test(e))) return null;
  const md5 = createHash("md5");
  for (const e of partEtags) md5.update(Buffer.from(e, "hex"));
  return `${md5.digest("hex")}-${partEtags.length}`;
}

function unquoteEtag(etag: string | undefined): string | null {
  return etag ? etag.replace(/^(W\/)?"|"$/g, "") : null;
}

// ---------------------------------------------------------------------------------------

export class S3Destination implements Destination {
  readonly kind: string;
  readonly displaySpec: string;
  readonly capabilities: Capabilities;
  readonly #cfg: S3Config;
  readonly #client: S3Client;

  constructor(cfg: S3Config) {
    this.#cfg = cfg;
    this.kind = cfg.kind;
    this.displaySpec = cfg.displaySpec;
    this.capabilities = {
      rangeReads: true,
      resumableUploads: true,
      serverChecksums: cfg.checksum === "sha256" ? ["md5", "sha256"] : cfg.checksum === "md5" ? ["md5"] : [],
    };
    this.#client = new S3Client({
      region: cfg.region,
      ...(cfg.endpoint ? { endpoint: cfg.endpoint.href.replace(/\/$/, "") } : {}),
      forcePathStyle: cfg.forcePathStyle,
      credentials: cfg.credentials.provider(),
      requestHandler: fetchRequestHandler(cfg.fetch, cfg.ioTimeoutMs),
      // withRetry is the one retry loop; the SDK's is off.
      maxAttempts: 1,
      // Checksums are computed here, per part, from bytes held in memory (see putParams).
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      // Explicit values so the SDK reads no ~/.aws files (the edge runtime has none to read).
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
      disableS3ExpressSessionAuth: true,
      followRegionRedirects: false,
      defaultsMode: "standard",
    });
  }

  /** The part size this destination uploads with. */
  get partSize(): number {
    return this.#cfg.partSize;
  }

  #full(key: string): string {
    assertValidKey(key);
    return this.#cfg.prefix ? `${this.#cfg.prefix}/${key}` : key;
  }

  #relative(full: string): string {
    return this.#cfg.prefix ? full.slice(this.#cfg.prefix.length + 1) : full;
  }

  #classify(e: unknown, op: string, key: string): CofreError {
    return classifyS3Error(e, { kind: this.#cfg.kind, bucket: this.#cfg.bucket, key, op });
  }

  /** One idempotent request, classified and retried. */
  #send<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(async () => {
      try {
        return await fn();
      } catch (e) {
        throw this.#classify(e, op, key);
      }
    }, { policy: this.#cfg.retry });
  }

  #objectParams(attrs?: ObjectAttributes) {
    const c = this.#cfg;
    return {
      ContentType: attrs?.contentType ?? "application/octet-stream",
      ...(attrs ? objectAttributeParams(attrs) : {}),
      ...(c.storageClass ? { StorageClass: c.storageClass } : {}),
      ...(c.sse ? { ServerSideEncryption: c.sse } : {}),
      ...(c.sse === "aws:kms" && c.sseKmsKeyId ? { SSEKMSKeyId: c.sseKmsKeyId } : {}),
    };
  }

  #checksumParams(bytes: Uint8Array, sha256: string) {
    const c = this.#cfg.checksum;
    return {
      ...(c !== "none" ? { ContentMD5: digest("md5", bytes) } : {}),
      ...(c === "sha256" ? { ChecksumSHA256: sha256 } : {}),
    };
  }

  put(key: string, body: ReadableStream<Uint8Array>): Promise<ObjectInfo> {
    return this.#upload(key, body, false, null);
  }

  /**
   * As `put`, with the object's content type, cache control and user metadata (x-amz-meta-*)
   * set on it — what a restored Storage object had (sources/storage/). Same atomicity.
   */
  putWithAttributes(key: string, body: ReadableStream<Uint8Array>, attrs: ObjectAttributes): Promise<ObjectInfo> {
    return this.#upload(key, body, false, null, attrs);
  }

  /**
   * As `put`, but a failed multipart upload is kept for resuming: the error's
   * `details.resumeToken` (with `details.uploadId`) resumes it when passed back here with the
   * same bytes from the start. See the module doc.
   */
  putResumable(key: string, body: ReadableStream<Uint8Array>, opts: { resumeToken?: string } = {}): Promise<ObjectInfo> {
    const state = opts.resumeToken ? decodeResume(opts.resumeToken) : null;
    if (state && (state.key !== this.#full(key) || state.bucket !== this.#cfg.bucket)) {
      return Promise.reject(new CofreError("INVALID_INPUT", {
        "pt-BR": `O token de retomada é de outro objeto, não de ${key}.`,
        en: `The resume token belongs to another object, not ${key}.`,
      }, { details: { key } }));
    }
    return this.#upload(key, body, true, state);
  }

  /** Discards the multipart upload a resume token names (its parts are freed). */
  async abortResumable(resumeToken: string): Promise<void> {
    const s = decodeResume(resumeToken);
    await this.#send("abort", this.#relative(s.key), () =>
      this.#client.send(new AbortMultipartUploadCommand({ Bucket: s.bucket, Key: s.key, UploadId: s.uploadId })));
  }

  async #upload(key: string, body: ReadableStream<Uint8Array>, resumable: boolean, resume: ResumeState | null, attrs?: ObjectAttributes): Promise<ObjectInfo> {
    const full = this.#full(key);
    const { bucket } = this.#cfg;
    const partSize = resume?.partSize ?? this.#cfg.partSize;
    const reader = body.getReader();
    const source = new PartSource(reader, partSize);
    const nextPart = () => source.next().catch((e: unknown) => {
      throw new BodyError(e);
    });
    let state: ResumeState | null = null;
    const startedAt = Date.now();
    try {
      const first = await nextPart();
      if (!resume && (first === null || first.length < partSize)) {
        const bytes = first ?? new Uint8Array(0);
        const sha256 = digest("sha256", bytes);
        await this.#send("put", key, () => this.#client.send(new PutObjectCommand({
          Bucket: bucket, Key: full, Body: bytes, ContentLength: bytes.length,
          ...this.#objectParams(attrs), ...this.#checksumParams(bytes, sha256),
        })));
        return { key, size: bytes.length, modifiedAt: new Date() };
      }
      state = resume ? await this.#reconcile(resume, key) : await this.#create(full, key, partSize, attrs);
      const known = new Map(state.parts.map((p) => [p.n, p]));
      const done: DonePart[] = [];
      let size = 0;
      for (let n = 1, part = first; part !== null; n++, part = await nextPart()) {
        if (n > MAX_PARTS) throw this.#tooLarge(key, partSize);
        const sha256 = digest("sha256", part);
        const have = known.get(n);
        if (have && have.size === part.length && have.sha256 === sha256) {
          done.push(have);
        } else {
          const bytes = part;
          const uploadId = state.uploadId;
          const out = await this.#send("upload-part", key, () => this.#client.send(new UploadPartCommand({
            Bucket: bucket, Key: full, UploadId: uploadId, PartNumber: n, Body: bytes, ContentLength: bytes.length,
            ...this.#checksumParams(bytes, sha256),
          })));
          const p = { n, size: bytes.length, etag: out.ETag ?? "", sha256 };
          done.push(p);
          known.set(n, p);
          state.parts = [...known.values()].sort((a, b) => a.n - b.n);
        }
        size += part.length;
      }
      if (done.length === 0) {
        // A resumed upload whose replayed body is empty: S3 needs at least one part.
        throw new CofreError("INVALID_INPUT", {
          "pt-BR": "A retomada recebeu um corpo vazio; reenvie os mesmos dados do início.",
          en: "The resumed upload received an empty body; send the same data again from the start.",
        }, { details: { key } });
      }
      const parts: CompletedPart[] = done.map((p) => ({
        PartNumber: p.n, ETag: p.etag, ...(this.#cfg.checksum === "sha256" ? { ChecksumSHA256: p.sha256 } : {}),
      }));
      await this.#complete(full, key, state.uploadId, parts, size, startedAt);
      return { key, size, modifiedAt: new Date() };
    } catch (thrown) {
      const err = thrown instanceof BodyError ? this.#bodyFailed(thrown.error, key) : this.#classify(thrown, "put", key);
      await reader.cancel(err).catch(() => {});
      if (state) {
        err.details.uploadId = state.uploadId;
        if (resumable) err.details.resumeToken = encodeResume(state);
        else err.details.multipartAbort = await this.#abortQuietly(state, key);
      }
      throw err;
    }
  }

  /**
   * CompleteMultipartUpload is not idempotent: when its answer is lost, S3 has completed the
   * upload and answers the retry with NoSuchUpload (the id is gone). After an attempt that
   * may have reached the server, a failure therefore looks at the key itself (HeadObject)
   * and accepts the object that is there when it is this upload's: the same size and — for
   * a multipart-style ETag ("<md5 of the parts' md5s>-<parts>") — the same ETag; a plain ETag
   * (servers that do not follow S3's multipart ETag, e.g. s3rver) needs a modification time
   * after this put started (5 minutes of clock skew allowed).
   */
  async #complete(full: string, key: string, uploadId: string, parts: CompletedPart[], size: number, startedAt: number): Promise<void> {
    let mayHaveCompleted = false;
    try {
      await withRetry(async () => {
        try {
          await this.#client.send(new CompleteMultipartUploadCommand({
            Bucket: this.#cfg.bucket, Key: full, UploadId: uploadId, MultipartUpload: { Parts: parts },
          }));
        } catch (e) {
          const err = this.#classify(e, "complete", key);
          // No HTTP answer: the request may have been carried out.
          if (err.details.httpStatus === undefined) mayHaveCompleted = true;
          throw err;
        }
      }, { policy: this.#cfg.retry });
    } catch (e) {
      if (!mayHaveCompleted || !(await this.#isCompletedUpload(full, key, parts, size, startedAt))) throw e;
    }
  }

  async #isCompletedUpload(full: string, key: string, parts: CompletedPart[], size: number, startedAt: number): Promise<boolean> {
    const head = await this.#send("stat", key, () => this.#client.send(new HeadObjectCommand({ Bucket: this.#cfg.bucket, Key: full })))
      .catch(() => null);
    if (!head || head.ContentLength !== size) return false;
    const etag = unquoteEtag(head.ETag) ?? "";
    const multipart = /^([0-9a-f]{32})-(\d+)$/i.exec(etag);
    if (multipart) {
      const expected = multipartEtag(parts.map((p) => unquoteEtag(p.ETag) ?? ""));
      return expected !== null ? etag.toLowerCase() === expected : Number(multipart[2]) === parts.length;
    }
    return (head.LastModified?.getTime() ?? 0) >= startedAt - 5 * 60_000;
  }

  /**
   * CreateMultipartUpload is not idempotent either: a retry after a lost answer creates a
   * second upload and the first stays, holding storage, until a lifecycle rule expires it.
   * So after an attempt whose answer was lost, the key's in-progress uploads are listed
   * (ListMultipartUploads) and those started since this attempt (5 minutes of clock skew
   * allowed) other than the one in use are aborted. Cofre never writes one key from two
   * places at once (volume names are unique per backup), so these are this put's orphans.
   * Servers without ListMultipartUploads (s3rver: NotImplemented) leave them to the bucket's
   * lifecycle rule (AbortIncompleteMultipartUpload); `details.orphanCheck` says so.
   */
  async #create(full: string, key: string, partSize: number, attrs?: ObjectAttributes): Promise<ResumeState> {
    const started = Date.now();
    let answerLost = false;
    const out = await withRetry(async () => {
      try {
        return await this.#client.send(new CreateMultipartUploadCommand({
          Bucket: this.#cfg.bucket, Key: full, ...this.#objectParams(attrs),
          ...(this.#cfg.checksum === "sha256" ? { ChecksumAlgorithm: "SHA256" as const } : {}),
        }));
      } catch (e) {
        const err = this.#classify(e, "create-multipart", key);
        if (err.details.httpStatus === undefined) answerLost = true;
        throw err;
      }
    }, { policy: this.#cfg.retry });
    if (!out.UploadId) throw this.#classify(new Error("CreateMultipartUpload returned no UploadId"), "create-multipart", key);
    if (answerLost) await this.#abortOrphans(full, key, out.UploadId, started);
    return { v: 1, bucket: this.#cfg.bucket, key: full, uploadId: out.UploadId, partSize, parts: [] };
  }

  /** Aborts the key's uploads initiated since `since` other than `keep` (see #create); best effort. */
  async #abortOrphans(full: string, key: string, keep: string, since: number): Promise<string[]> {
    const aborted: string[] = [];
    try {
      const out = await this.#send("list-uploads", key, () => this.#client.send(new ListMultipartUploadsCommand({ Bucket: this.#cfg.bucket, Prefix: full })));
      for (const u of out.Uploads ?? []) {
        if (u.Key !== full || !u.UploadId || u.UploadId === keep) continue;
        if ((u.Initiated?.getTime() ?? 0) < since - 5 * 60_000) continue;
        const uploadId = u.UploadId;
        await this.#send("abort", key, () => this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#cfg.bucket, Key: full, UploadId: uploadId })))
          .then(() => aborted.push(uploadId), () => {});
      }
    } catch {
      /* no ListMultipartUploads here: the bucket's lifecycle rule expires orphans */
    }
    return aborted;
  }

  /**
   * Checks a resume token against the server: ListParts gives the parts it really holds (a
   * part whose ETag differs from the token's is uploaded again); NoSuchUpload (aborted or
   * expired) starts a fresh upload; a server without ListParts (s3rver) leaves the token's
   * record as the only one — CompleteMultipartUpload then fails if a part is missing.
   */
  async #reconcile(resume: ResumeState, key: string): Promise<ResumeState> {
    const server = new Map<number, { etag: string; size: number }>();
    try {
      let marker: string | undefined;
      for (;;) {
        const out = await this.#send("list-parts", key, () => this.#client.send(new ListPartsCommand({
          Bucket: resume.bucket, Key: resume.key, UploadId: resume.uploadId, PartNumberMarker: marker,
        })));
        for (const p of out.Parts ?? []) if (p.PartNumber) server.set(p.PartNumber, { etag: p.ETag ?? "", size: p.Size ?? -1 });
        if (!out.IsTruncated || !out.NextPartNumberMarker) break;
        marker = out.NextPartNumberMarker;
      }
    } catch (e) {
      if (e instanceof CofreError && e.code === "DESTINATION_UNSUPPORTED") return { ...resume, parts: [...resume.parts] };
      if (e instanceof CofreError && e.code === "DESTINATION_NOT_FOUND" && e.details.s3Code === "NoSuchUpload") {
        return this.#create(resume.key, key, resume.partSize);
      }
      throw e;
    }
    const parts = resume.parts.filter((p) => {
      const s = server.get(p.n);
      return s !== undefined && s.etag.replace(/"/g, "") === p.etag.replace(/"/g, "") && (s.size < 0 || s.size === p.size);
    });
    return { ...resume, parts };
  }

  async #abortQuietly(state: ResumeState, key: string): Promise<string> {
    try {
      await this.#send("abort", key, () => this.#client.send(new AbortMultipartUploadCommand({
        Bucket: state.bucket, Key: state.key, UploadId: state.uploadId,
      })));
      return "aborted";
    } catch (e) {
      return e instanceof CofreError ? `failed: ${e.code}${e.details.s3Code ? ` ${e.details.s3Code}` : ""}` : `failed: ${describeError(e)}`;
    }
  }

  #bodyFailed(e: unknown, key: string): CofreError {
    if (e instanceof CofreError) return e;
    return new CofreError("DESTINATION_IO", {
      "pt-BR": `O envio de ${key} para ${this.#cfg.kind} parou porque os dados de origem falharam: ${describeError(e)}`,
      en: `Uploading ${key} to ${this.#cfg.kind} stopped because the source data failed: ${describeError(e)}`,
    }, { details: { key, kind: this.#cfg.kind, source: true }, cause: e });
  }

  #tooLarge(key: string, partSize: number): CofreError {
    return new CofreError("DESTINATION_QUOTA", {
      "pt-BR": `O objeto ${key} passa de ${MAX_PARTS} partes de ${partSize / MIB} MiB. Aumente part_size_mib no destino.`,
      en: `Object ${key} exceeds ${MAX_PARTS} parts of ${partSize / MIB} MiB. Raise part_size_mib in the destination.`,
    }, { details: { key, partSize } });
  }

  async get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    const full = this.#full(key);
    const start = range?.offset ?? 0;
    if (!Number.isInteger(start) || start < 0 || (range?.length !== undefined && (!Number.isInteger(range.length) || range.length < 0))) {
      throw new CofreError("INVALID_INPUT", { "pt-BR": "Intervalo de leitura inválido.", en: "Invalid read range." }, { details: { key, range } });
    }
    const end = range?.length === undefined ? null : start + range.length;
    if (end === start) {
      if (!(await this.stat(key))) throw this.#classify({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } }, "get", key);
      return emptyStream();
    }
    const first = await this.#send("get", key, () => this.#openRange(full, start, end, undefined));
    if (!first) return emptyStream();
    // A connection lost mid-body continues from the last delivered byte with a new ranged
    // GET of the same version (If-Match), through the one retry policy (resumable-read.ts).
    return resumableRead({
      start,
      end,
      exactEnd: false,
      first: first.source,
      open: async (at) => (await this.#openRange(full, at, end, first.etag))?.source ?? null,
      classify: (e) => this.#classify(e, "get", key),
      endedEarly: (pos, stop) => this.#classify(new Error(`body ended at ${pos} of ${stop}`), "get", key),
      policy: this.#cfg.retry,
    });
  }

  /**
   * One GET of bytes [from, end) (end null: to the object's end), not retried (callers run
   * it through withRetry); null when the range starts past the end. Errors are classified.
   */
  async #openRange(full: string, from: number, end: number | null, etag: string | undefined): Promise<{ source: ReadSource; etag: string | undefined } | null> {
    const Range = from === 0 && end === null ? undefined : `bytes=${from}-${end === null ? "" : end - 1}`;
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#cfg.bucket, Key: full, Range, IfMatch: etag }));
      const body = out.Body as { transformToWebStream(): ReadableStream<Uint8Array> } | undefined;
      const reader = (body ? body.transformToWebStream() : emptyStream()).getReader();
      const source: ReadSource = {
        read: async () => {
          const r = await reader.read();
          return r.done ? null : r.value;
        },
        // Also after a completed read: a server that ignores part of the Range sends more.
        close: () => void reader.cancel().catch(() => {}),
      };
      return { source, etag: out.ETag };
    } catch (e) {
      const err = this.#classify(e, "get", this.#relative(full));
      if (err.details.httpStatus === 416 || err.details.s3Code === "InvalidRange") return null;
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const full = this.#full(key);
    try {
      const out = await this.#send("stat", key, () => this.#client.send(new HeadObjectCommand({ Bucket: this.#cfg.bucket, Key: full })));
      return { key, size: out.ContentLength ?? 0, modifiedAt: out.LastModified ?? null };
    } catch (e) {
      if (e instanceof CofreError && e.code === "DESTINATION_NOT_FOUND" && e.details.s3Code !== "NoSuchBucket") return null;
      throw e;
    }
  }

  async list(prefix: string, opts: { cursor?: string | null; limit?: number } = {}): Promise<ListPage & { objects: S3ObjectInfo[] }> {
    const limit = Math.min(1000, Math.max(1, Math.floor(opts.limit ?? 1000)));
    const Prefix = this.#cfg.prefix ? `${this.#cfg.prefix}/${prefix}` : prefix;
    const out = await this.#send("list", prefix, () => this.#client.send(new ListObjectsV2Command({
      Bucket: this.#cfg.bucket, Prefix, MaxKeys: limit, ContinuationToken: opts.cursor ?? undefined,
    })));
    const objects: S3ObjectInfo[] = (out.Contents ?? [])
      .filter((o) => o.Key !== undefined)
      .map((o) => ({ key: this.#relative(o.Key!), size: o.Size ?? 0, modifiedAt: o.LastModified ?? null, etag: unquoteEtag(o.ETag) }));
    return { objects, cursor: out.IsTruncated && out.NextContinuationToken ? out.NextContinuationToken : null };
  }

  /** DeleteObject without a version id: on a versioned bucket, a delete marker (see the module doc). */
  async remove(key: string): Promise<void> {
    const full = this.#full(key);
    await this.#send("remove", key, () => this.#client.send(new DeleteObjectCommand({ Bucket: this.#cfg.bucket, Key: full })));
  }

  /**
   * HeadObject: size, ETag, time, content type, cache control and user metadata, or null when
   * the key does not exist (sources/storage/ reads Storage objects' attributes with it).
   */
  async head(key: string): Promise<S3ObjectHead | null> {
    const full = this.#full(key);
    try {
      const out = await this.#send("stat", key, () => this.#client.send(new HeadObjectCommand({ Bucket: this.#cfg.bucket, Key: full })));
      return {
        key, size: out.ContentLength ?? 0, modifiedAt: out.LastModified ?? null, etag: unquoteEtag(out.ETag),
        contentType: out.ContentType ?? null, cacheControl: out.CacheControl ?? null, metadata: { ...(out.Metadata ?? {}) },
      };
    } catch (e) {
      if (e instanceof CofreError && e.code === "DESTINATION_NOT_FOUND" && e.details.s3Code !== "NoSuchBucket") return null;
      throw e;
    }
  }

  /** CreateBucket for this destination's bucket; one that already exists (and is ours) is fine. Seeder and tests. */
  async createBucket(): Promise<void> {
    try {
      await this.#send("create-bucket", "", () => this.#client.send(new CreateBucketCommand({ Bucket: this.#cfg.bucket })));
    } catch (e) {
      const code = e instanceof CofreError ? e.details.s3Code : undefined;
      if (code === "BucketAlreadyOwnedByYou" || code === "BucketAlreadyExists") return;
      throw e;
    }
  }

  testConnection() {
    return runConnectionProbe(this, (e) => this.#classify(e, "probe", ".cofre-probe"));
  }
}
