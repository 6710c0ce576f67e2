/** Opens either side of the comparison for a kind: Cofre's adapter or the protocol's plain client. */
import type { BenchClient, KindName } from "./client.ts";
import { openAdapterClient } from "./adapter-client.ts";
import { openLocalBaseline } from "./baselines/local.ts";
import { openS3Baseline } from "./baselines/s3.ts";
import { DEFAULT_PART_SIZE } from "../../packages/shared/src/destinations/s3.ts";
import { openDropboxBaseline, openGdriveBaseline } from "./baselines/http-cloud.ts";
import { openFtpBaseline } from "./baselines/ftp.ts";
import { openSftpBaseline } from "./baselines/sftp.ts";

export type Side = "adapter" | "baseline";

/** What each kind's baseline is, for the printed tables. */
export const BASELINE_NAME: Record<KindName, string> = {
  local: "node:fs createWriteStream/createReadStream + pipeline",
  s3: "@aws-sdk/client-s3 PutObject/GetObject (one request)",
  "s3-multipart": "@aws-sdk/client-s3 multipart upload, 8 MiB parts in sequence, no checksums; GetObject",
  "supabase-storage": "@aws-sdk/client-s3 PutObject/GetObject (one request)",
  storj: "auth exchange + @aws-sdk/client-s3 PutObject/GetObject",
  gdrive: "fetch: resumable upload in one PUT, files.get alt=media",
  dropbox: "fetch: files/upload in one request, files/download",
  ftp: "basic-ftp uploadFrom/downloadTo, one connection",
  ftps: "basic-ftp uploadFrom/downloadTo, one connection (TLS)",
  sftp: "ssh2 sftp createWriteStream/createReadStream",
};

export function openClient(kind: KindName, side: Side, spec: string, env: Record<string, string | undefined>): Promise<BenchClient> {
  if (side === "adapter") return openAdapterClient(spec, env);
  switch (kind) {
    case "local": return openLocalBaseline(spec);
    case "s3": case "supabase-storage": case "storj": return openS3Baseline(kind, spec, env);
    case "s3-multipart": return openS3Baseline("s3", spec, env, { multipartPartSize: DEFAULT_PART_SIZE });
    case "gdrive": return openGdriveBaseline(spec, env);
    case "dropbox": return openDropboxBaseline(spec, env);
    case "ftp": case "ftps": return openFtpBaseline(kind, spec, env);
    case "sftp": return openSftpBaseline(spec, env);
  }
}
