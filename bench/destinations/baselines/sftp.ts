/**
 * Plain client for SFTP: one ssh2 connection (password), the server's host key checked
 * against COFRE_SFTP_HOST_KEY as the adapter does, `sftp.createWriteStream` fed by pipeline
 * straight under the final name (no temporary name, no fsync@openssh.com, no rename) and
 * `sftp.createReadStream` (ssh2's defaults: 64 KiB reads, one request at a time) hashed.
 */
import { Client, type SFTPWrapper } from "ssh2";
import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { envOf, type BenchClient } from "../client.ts";
import { hashAll, nodeBody } from "../data.ts";

export async function openSftpBaseline(spec: string, env: Record<string, string | undefined>): Promise<BenchClient> {
  const url = new URL(spec);
  const pin = envOf(env, "COFRE_SFTP_HOST_KEY");
  const conn = new Client();
  await new Promise<void>((resolve, reject) => {
    conn.once("ready", () => resolve()).once("error", reject).connect({
      host: url.hostname, port: Number(url.port), username: decodeURIComponent(url.username),
      password: envOf(env, "COFRE_SFTP_PASSWORD"),
      hostVerifier: (key: Buffer) => `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}` === pin,
    });
  });
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => conn.sftp((e, s) => (e ? reject(e) : resolve(s))));
  const root = decodeURIComponent(url.pathname).replace(/\/$/, "");
  // The root, created once (untimed) if this is the first run on a fresh stack.
  await new Promise<void>((resolve) => sftp.mkdir(root, () => resolve()));
  const path = (key: string) => `${root}/${key}`;
  return {
    putStream: (key, size, seed) => pipeline(nodeBody(size, seed), sftp.createWriteStream(path(key))),
    putBytes: (key, bytes) => new Promise<void>((resolve, reject) => sftp.writeFile(path(key), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), (e) => (e ? reject(e) : resolve()))),
    get: (key) => hashAll(sftp.createReadStream(path(key))),
    remove: (key) => new Promise<void>((resolve, reject) => sftp.unlink(path(key), (e) => (e ? reject(e) : resolve()))),
    close: async () => {
      conn.end();
    },
  };
}
