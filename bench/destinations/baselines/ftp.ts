/**
 * Plain client for FTP / FTPS: one basic-ftp connection (passive mode, its defaults),
 * `uploadFrom` a stream straight under the final name, `downloadTo` a hashing sink. FTPS
 * trusts the stack's self-signed certificate as its CA (.stack/vsftpd/cert.pem, the file the
 * server uses); the adapter pins the same certificate by fingerprint.
 */
import { Client } from "basic-ftp";
import { readFileSync } from "node:fs";
import { Readable, Writable } from "node:stream";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { envOf, type BenchClient } from "../client.ts";
import { nodeBody } from "../data.ts";

const STACK = new URL("../../../.stack/", import.meta.url).pathname;

export async function openFtpBaseline(kind: "ftp" | "ftps", spec: string, env: Record<string, string | undefined>): Promise<BenchClient> {
  const url = new URL(spec);
  const client = new Client(60_000);
  await client.access({
    host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username),
    password: envOf(env, kind === "ftp" ? "COFRE_FTP_PASSWORD" : "COFRE_FTPS_PASSWORD"),
    secure: kind === "ftps",
    ...(kind === "ftps" ? { secureOptions: { ca: readFileSync(join(STACK, "vsftpd/cert.pem")) } } : {}),
  });
  // The root as the adapter sees it (absolute in the chroot); created and entered once, untimed.
  await client.ensureDir(decodeURIComponent(url.pathname));
  return {
    async putStream(key, size, seed) {
      await client.uploadFrom(nodeBody(size, seed), key);
    },
    async putBytes(key, bytes) {
      await client.uploadFrom(Readable.from([bytes]), key);
    },
    async get(key) {
      const h = createHash("sha256");
      let size = 0;
      const sink = new Writable({
        write(c: Buffer, _e, cb) {
          h.update(c);
          size += c.length;
          cb();
        },
      });
      await client.downloadTo(sink, key);
      return { sha256: h.digest("hex"), size };
    },
    async remove(key) {
      await client.remove(key, true);
    },
    close: async () => client.close(),
  };
}
