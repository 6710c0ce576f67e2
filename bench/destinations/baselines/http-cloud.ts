/**
 * Plain clients for the Google Drive and Dropbox fakes: fetch calls of the providers'
 * documented endpoints, the whole body in one streamed request, no chunking, no retries.
 * The access token is fetched once with the refresh token, untimed.
 *
 * Drive: the fake implements only resumable uploads (what the adapter uses), so the plain
 * client uses the resumable protocol's single-request form — "Upload the data in a single
 * request" (https://developers.google.com/drive/api/guides/manage-uploads#uploading):
 * POST …/upload/drive/v3/files?uploadType=resumable, then ONE PUT of the whole body;
 * download GET …/drive/v3/files/{id}?alt=media; DELETE …/drive/v3/files/{id}.
 * Dropbox: POST content…/2/files/upload (one request, up to 150 MiB), POST …/2/files/download,
 * POST api…/2/files/delete_v2 (https://www.dropbox.com/developers/documentation/http/documentation).
 */
import { envOf, type BenchClient } from "../client.ts";
import { hashAll, webBody } from "../data.ts";

type Env = Record<string, string | undefined>;

async function ok(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return res;
}

async function refresh(tokenUrl: string, form: Record<string, string>): Promise<string> {
  const res = await ok(await fetch(tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", ...form }),
  }), "token endpoint");
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A streamed request body (fetch needs `duplex: "half"` for one). */
function streamed(body: ReadableStream<Uint8Array> | Uint8Array): RequestInit {
  return body instanceof Uint8Array ? { body: body as unknown as BodyInit } : ({ body, duplex: "half" } as RequestInit);
}

export async function openGdriveBaseline(_spec: string, env: Env): Promise<BenchClient> {
  // The API base is the operator's setting (COFRE_GDRIVE_API_BASE), not the spec's.
  const api = envOf(env, "COFRE_GDRIVE_API_BASE").replace(/\/$/, "");
  const token = await refresh(`${api}/token`, {
    client_id: envOf(env, "COFRE_GDRIVE_CLIENT_ID"),
    client_secret: envOf(env, "COFRE_GDRIVE_CLIENT_SECRET"),
    refresh_token: envOf(env, "COFRE_GDRIVE_REFRESH_TOKEN"),
  });
  const auth = { authorization: `Bearer ${token}` };
  const ids = new Map<string, string>();
  async function upload(key: string, size: number, body: ReadableStream<Uint8Array> | Uint8Array) {
    const init = await ok(await fetch(`${api}/upload/drive/v3/files?uploadType=resumable`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json; charset=UTF-8", "x-upload-content-type": "application/octet-stream", "x-upload-content-length": String(size) },
      body: JSON.stringify({ name: key, parents: ["root"] }),
    }), "upload init");
    const session = init.headers.get("location");
    if (!session) throw new Error("no session URI");
    const res = await ok(await fetch(session, {
      method: "PUT",
      headers: { "content-range": `bytes 0-${size - 1}/${size}`, "content-type": "application/octet-stream" },
      ...streamed(body),
    }), "upload");
    ids.set(key, ((await res.json()) as { id: string }).id);
  }
  return {
    putStream: (key, size, seed) => upload(key, size, webBody(size, seed)),
    putBytes: (key, bytes) => upload(key, bytes.length, bytes),
    async get(key) {
      const res = await ok(await fetch(`${api}/drive/v3/files/${ids.get(key)}?alt=media`, { headers: auth }), "download");
      return hashAll(res.body!);
    },
    async remove(key) {
      const id = ids.get(key);
      if (id) await ok(await fetch(`${api}/drive/v3/files/${id}`, { method: "DELETE", headers: auth }), "delete");
      ids.delete(key);
    },
    close: async () => {},
  };
}

export async function openDropboxBaseline(spec: string, env: Env): Promise<BenchClient> {
  const url = new URL(spec);
  // The API bases are the operator's settings (COFRE_DROPBOX_API_BASE, _CONTENT_BASE), not the spec's.
  const api = envOf(env, "COFRE_DROPBOX_API_BASE").replace(/\/$/, "");
  const content = (env.COFRE_DROPBOX_CONTENT_BASE ?? api).replace(/\/$/, "");
  const root = decodeURIComponent(url.pathname).replace(/\/$/, "");
  const token = await refresh(`${api}/oauth2/token`, {
    client_id: envOf(env, "COFRE_DROPBOX_APP_KEY"),
    client_secret: envOf(env, "COFRE_DROPBOX_APP_SECRET"),
    refresh_token: envOf(env, "COFRE_DROPBOX_REFRESH_TOKEN"),
  });
  const auth = { authorization: `Bearer ${token}` };
  // Keys here are ASCII; non-ASCII would need Dropbox's "HTTP header safe" JSON (\uXXXX).
  const arg = (o: object) => ({ "dropbox-api-arg": JSON.stringify(o) });
  async function upload(key: string, body: ReadableStream<Uint8Array> | Uint8Array) {
    const res = await ok(await fetch(`${content}/2/files/upload`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/octet-stream", ...arg({ path: `${root}/${key}`, mode: "overwrite", autorename: false, mute: true }) },
      ...streamed(body),
    }), "files/upload");
    await res.body?.cancel();
  }
  return {
    putStream: (key, size, seed) => upload(key, webBody(size, seed)),
    putBytes: (key, bytes) => upload(key, bytes),
    async get(key) {
      const res = await ok(await fetch(`${content}/2/files/download`, { method: "POST", headers: { ...auth, ...arg({ path: `${root}/${key}` }) } }), "files/download");
      return hashAll(res.body!);
    },
    async remove(key) {
      const res = await ok(await fetch(`${api}/2/files/delete_v2`, {
        method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ path: `${root}/${key}` }),
      }), "files/delete_v2");
      await res.body?.cancel();
    },
    close: async () => {},
  };
}
