/**
 * One object on its way to a destination: bytes written here are optionally sealed
 * (encrypted), hashed as stored (SHA-256 + MD5 of exactly what the destination keeps), and
 * streamed into one `put`. Aborting discards the upload; the destination keeps nothing.
 */
import { hashingStream, StoredObjectHasher, type Digests } from "../format/checksum.ts";
import type { Destination } from "../destinations/contract.ts";

/** Makes the stream that seals an object (see format/crypto), or nothing for plaintext. */
export type Sealer = () => TransformStream<Uint8Array, Uint8Array>;

export interface Upload {
  write(chunk: Uint8Array): Promise<void>;
  /** Ends the object; resolves with its stored size and digests once the destination has it. */
  close(): Promise<Digests>;
  abort(reason: unknown): Promise<void>;
}

export function openUpload(dest: Destination, key: string, seal?: Sealer): Upload {
  const hasher = new StoredObjectHasher();
  const input = new TransformStream<Uint8Array, Uint8Array>();
  const sealed = seal ? input.readable.pipeThrough(seal()) : input.readable;
  const hashed = sealed.pipeThrough(hashingStream(hasher));
  const upload = dest.put(key, hashed);
  const writer = input.writable.getWriter();
  // A put that fails (disk full, permission…) must fail the writes waiting on it, with its
  // own typed error — not leave them waiting on a stream nobody reads.
  upload.catch((e) => writer.abort(e).catch(() => {}));
  return {
    write: async (chunk) => {
      try {
        await writer.write(chunk);
      } catch (e) {
        await upload; // rejects with the destination's error, the real cause
        throw e;
      }
    },
    close: async () => {
      try {
        await writer.close();
      } catch (e) {
        await upload;
        throw e;
      }
      await upload;
      return hasher.digest();
    },
    abort: async (reason) => {
      await writer.abort(reason).catch(() => {});
      await upload.catch(() => {});
    },
  };
}

/** Stores a small object in one go (manifests). */
export async function putObject(dest: Destination, key: string, data: Uint8Array, seal?: Sealer): Promise<Digests> {
  const up = openUpload(dest, key, seal);
  try {
    await up.write(data);
    return await up.close();
  } catch (e) {
    await up.abort(e);
    throw e;
  }
}
