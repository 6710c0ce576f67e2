/**
 * What the benchmark drives: Cofre's adapter (adapter-client.ts) and, for each protocol, a
 * plain client of the same protocol (baselines/*.ts) behind one small interface, so both
 * sides run the same loop in the same way. Keys are flat names under the destination's root.
 */
export interface BenchClient {
  /** Streams generated body `seed` of `size` bytes to `key` (never the whole body in memory). */
  putStream(key: string, size: number, seed: number): Promise<void>;
  /** Uploads a small object held in memory. */
  putBytes(key: string, bytes: Uint8Array): Promise<void>;
  /** Downloads `key` to its end, hashing it on the way. */
  get(key: string): Promise<{ sha256: string; size: number }>;
  remove(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Every kind the benchmark knows, with its `.stack/env` spec variable. */
export const KINDS = {
  local: "DEST_LOCAL",
  s3: "DEST_S3",
  /** The s3 adapter again, against a plain multipart upload (see baselines/s3.ts). */
  "s3-multipart": "DEST_S3",
  "supabase-storage": "DEST_SUPABASE_STORAGE",
  storj: "DEST_STORJ",
  gdrive: "DEST_GDRIVE",
  dropbox: "DEST_DROPBOX",
  ftp: "DEST_FTP",
  ftps: "DEST_FTPS",
  sftp: "DEST_SFTP",
} as const;
export type KindName = keyof typeof KINDS;

export function isKind(k: string): k is KindName {
  return Object.hasOwn(KINDS, k);
}

/** Reads `name` from the environment or fails naming it (the stack writes them all). */
export function envOf(env: Record<string, string | undefined>, name: string): string {
  const v = env[name];
  if (v === undefined || v === "") throw new Error(`${name} is not set: run \`npx tsx scripts/stack/main.ts up\` (it writes .stack/env)`);
  return v;
}
