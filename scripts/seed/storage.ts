/**
 * `npx tsx scripts/seed/storage.ts [--seed S] [--endpoint <storage spec>]` — the Ortho+ demo's
 * Storage buckets: `orthoplus-xrays` (JPEG-like radiographs) and `orthoplus-docs` (PDF-like
 * contracts, pt-BR text notes), created when missing and filled with a small deterministic set
 * of files through Supabase Storage's S3 protocol — on the local stack, the s3rver below
 * /storage/v1/s3 (COFRE_SUPABASE_STORAGE_ENDPOINT and _ACCESS_KEY_ID/_SECRET_ACCESS_KEY in
 * .stack/env). Same seed, same bytes, every run. The database seeder (seed.ts) is untouched.
 *
 * The bytes only look like their formats (magic numbers, trailer): enough for the backup's
 * store-or-deflate sniffing (format/zip/sniff.ts) and for a person browsing the bucket.
 */
import { readEnvFile } from "../stack/env.ts";
import { Rng } from "./rng.ts";
import { openBucket, parseStorageEndpoint, STORAGE_ENDPOINT_ENV } from "../../packages/shared/src/sources/storage/spec.ts";
import { contextFromEnvironment, type OpenContext } from "../../packages/shared/src/destinations/open-context.ts";
import { bytesStream } from "../../packages/shared/src/destinations/contract.ts";
import { sha256Hex } from "../../packages/shared/src/format/checksum.ts";

export const DEMO_BUCKETS = ["orthoplus-xrays", "orthoplus-docs"] as const;

export interface DemoFile {
  bucket: (typeof DEMO_BUCKETS)[number];
  key: string;
  contentType: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
  bytes: Uint8Array;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = rng.u32();
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
  }
  return out;
}

function withEnds(head: Uint8Array, body: Uint8Array, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + body.length + tail.length);
  out.set(head, 0);
  out.set(body, head.length);
  out.set(tail, head.length + body.length);
  return out;
}

const enc = new TextEncoder();
/** JPEG SOI + JFIF APP0 marker … EOI. */
const JPEG_HEAD = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
const JPEG_TAIL = new Uint8Array([0xff, 0xd9]);

/** The demo files for `seed`: the same list and bytes every time. */
export function demoStorageFiles(seed = 42): DemoFile[] {
  const files: DemoFile[] = [];
  for (let clinic = 1; clinic <= 2; clinic++) {
    for (let patient = 1; patient <= 3; patient++) {
      const rng = new Rng(seed, "storage", clinic, patient);
      const dir = `clinica-${clinic}/paciente-${String(patient).padStart(4, "0")}`;
      files.push({
        bucket: "orthoplus-xrays", key: `${dir}/panoramica.jpg`, contentType: "image/jpeg",
        metadata: { paciente: String(patient), tipo: "panoramica" },
        bytes: withEnds(JPEG_HEAD, randomBytes(rng, rng.int(20_000, 120_000)), JPEG_TAIL),
      });
      files.push({
        bucket: "orthoplus-xrays", key: `${dir}/periapical-1.jpg`, contentType: "image/jpeg",
        bytes: withEnds(JPEG_HEAD, randomBytes(rng, rng.int(5_000, 40_000)), JPEG_TAIL),
      });
      files.push({
        bucket: "orthoplus-docs", key: `${dir}/contrato.pdf`, contentType: "application/pdf",
        bytes: withEnds(enc.encode("%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n"), randomBytes(rng, rng.int(8_000, 60_000)), enc.encode("\n%%EOF\n")),
      });
      const notes = Array.from({ length: rng.int(5, 30) }, (_, i) =>
        `Consulta ${i + 1}: paciente ${patient} da clínica ${clinic} — ajuste do aparelho, higiene orientada, retorno em ${rng.int(7, 60)} dias.`);
      files.push({
        bucket: "orthoplus-docs", key: `${dir}/anamnese.txt`, contentType: "text/plain; charset=utf-8",
        bytes: enc.encode(`${notes.join("\n")}\n`),
      });
    }
  }
  files.push({
    bucket: "orthoplus-docs", key: "leia-me.txt", contentType: "text/plain; charset=utf-8", cacheControl: "max-age=60",
    metadata: { origem: "cofre-demo" },
    bytes: enc.encode("Arquivos de demonstração do Ortho+ (dados fictícios).\n"),
  });
  return files;
}

export interface StorageSeedSummary {
  buckets: string[];
  files: { bucket: string; key: string; size: number; sha256: string }[];
}

/** Creates the demo buckets (if missing) and uploads the demo files through the Storage S3 endpoint. */
export async function seedStorage(opts: {
  endpoint?: string;
  context?: OpenContext;
  seed?: number;
  /** Other bucket names for the demo buckets (tests use their own). */
  names?: Partial<Record<(typeof DEMO_BUCKETS)[number], string>>;
} = {}): Promise<StorageSeedSummary> {
  const ctx = opts.context ?? contextFromEnvironment();
  const ep = parseStorageEndpoint(opts.endpoint, (n) => ctx.credentials.env?.(n));
  const files = demoStorageFiles(opts.seed);
  const nameOf = (b: (typeof DEMO_BUCKETS)[number]) => opts.names?.[b] ?? b;
  for (const demo of DEMO_BUCKETS) {
    const bucket = await openBucket(ep, nameOf(demo), ctx);
    await bucket.createBucket();
    for (const f of files.filter((x) => x.bucket === demo)) {
      await bucket.putWithAttributes(f.key, bytesStream(f.bytes), { contentType: f.contentType, cacheControl: f.cacheControl, metadata: f.metadata });
    }
  }
  return {
    buckets: DEMO_BUCKETS.map(nameOf),
    files: files.map((f) => ({ bucket: nameOf(f.bucket), key: f.key, size: f.bytes.length, sha256: sha256Hex(f.bytes) })),
  };
}

/** The local stack's storage spec: COFRE_SUPABASE_STORAGE_ENDPOINT, or the supabase-storage destination's endpoint. */
export function stackStorageEndpoint(env: Record<string, string> = readEnvFile()): string {
  if (env[STORAGE_ENDPOINT_ENV]) return env[STORAGE_ENDPOINT_ENV];
  const dest = env.DEST_SUPABASE_STORAGE;
  if (!dest) throw new Error(".stack/env has no DEST_SUPABASE_STORAGE: run `npm run stack:up`");
  const u = new URL(dest);
  return `${u.searchParams.get("endpoint")}?region=${u.searchParams.get("region") ?? "us-east-1"}`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const at = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const env = { ...readEnvFile(), ...process.env } as Record<string, string>;
  const seed = at("--seed") === undefined ? 42 : Number(at("--seed"));
  const summary = await seedStorage({
    endpoint: at("--endpoint") ?? stackStorageEndpoint(env), seed,
    context: contextFromEnvironment((n) => env[n]),
  });
  console.log(`storage: ${summary.files.length} files in ${summary.buckets.join(", ")} (seed ${seed})`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
