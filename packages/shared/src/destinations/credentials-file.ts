/**
 * The credentials file (`cofre --credentials-file cofre-credentials.json`, or
 * COFRE_CREDENTIALS_FILE): destination secrets kept off the command line and out of specs,
 * keyed by profile (the spec's `?profile=`, "default" without one), then destination kind,
 * then credential field — the same names as the COFRE_<KIND>_<FIELD> variables:
 *
 * ```json
 * { "profiles": {
 *     "default": { "s3": { "access_key_id": "AKIA…", "secret_access_key": "…" } },
 *     "backup2": { "sftp": { "password": "…" } } } }
 * ```
 *
 * Values are held as `Secret`s. Like an SSH key, the file must not be readable by group or
 * others (chmod 600): a readable one is refused rather than used.
 */
import { readFile, stat } from "node:fs/promises";
import { z } from "zod";
import { CofreError, describeError } from "../errors.ts";
import { Secret } from "../redacted.ts";

const Name = z.string().regex(/^[a-z][a-z0-9_-]*$/, "use lowercase letters, digits, _ and -");

export const CredentialsFileSchema = z.object({
  profiles: z.record(Name, z.record(Name, z.record(Name, z.string().min(1)))),
}).strict();

/** profile → kind → field → secret. */
export type CredentialsFile = ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, Secret>>>;

export const DEFAULT_PROFILE = "default";

function invalid(path: string, pt: string, en: string, details: Record<string, unknown> = {}): CofreError {
  return new CofreError("INVALID_INPUT", {
    "pt-BR": `Arquivo de credenciais ${path}: ${pt}`,
    en: `Credentials file ${path}: ${en}`,
  }, { details: { path, ...details } });
}

/** Validates the file's text. Errors name the path inside the file, never a value. */
export function parseCredentialsFile(text: string, path = "credentials"): CredentialsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(path, "não é um JSON válido.", "is not valid JSON.");
  }
  const parsed = CredentialsFileSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join(".") || "(raiz)"}: ${i.message}`).join("; ");
    throw invalid(path,
      `formato inválido (${where}). Esperado: {"profiles": {"default": {"s3": {"access_key_id": "…"}}}}.`,
      `invalid shape (${where}). Expected: {"profiles": {"default": {"s3": {"access_key_id": "…"}}}}.`,
      { issues: parsed.error.issues.map((i) => i.path.join(".")) });
  }
  return new Map(Object.entries(parsed.data.profiles).map(([profile, kinds]) => [
    profile,
    new Map(Object.entries(kinds).map(([kind, fields]) => [
      kind,
      new Map(Object.entries(fields).map(([field, value]) => [field, new Secret(value)])),
    ])),
  ]));
}

/** Reads and validates the file, refusing one that group or others can read. */
export async function loadCredentialsFile(path: string): Promise<CredentialsFile> {
  let text: string;
  try {
    const s = await stat(path);
    if ((s.mode & 0o077) !== 0) {
      throw invalid(path,
        `pode ser lido por outros usuários (modo ${(s.mode & 0o777).toString(8)}). Rode: chmod 600 ${path}`,
        `is readable by other users (mode ${(s.mode & 0o777).toString(8)}). Run: chmod 600 ${path}`);
    }
    text = await readFile(path, "utf8");
  } catch (e) {
    if (e instanceof CofreError) throw e;
    throw invalid(path, `não foi possível ler (${describeError(e)}).`, `cannot be read (${describeError(e)}).`);
  }
  return parseCredentialsFile(text, path);
}

/** One field of the file for `kind` under `profile` (default profile when null). */
export function credentialFromFile(file: CredentialsFile | undefined, kind: string, field: string, profile: string | null): Secret | undefined {
  return file?.get(profile ?? DEFAULT_PROFILE)?.get(kind)?.get(field);
}
