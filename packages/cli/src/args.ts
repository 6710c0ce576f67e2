import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Thrown for a wrong command line; main prints it (pt-BR or English) with the usage and exits 2. */
export class UsageError extends Error {
  constructor(readonly ptBR: string, en: string = ptBR) {
    super(en);
  }
}

/** node:util parseArgs in strict mode, with its errors turned into UsageError. */
export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

export function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`falta ${flag}`, `missing ${flag}`);
  return value;
}

/** `64MiB`, `10MB`, `1048576` → bytes. */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: tamanho inválido: ${text}`, `${flag}: not a size: ${text}`);
  const mult: Record<string, number> = {
    b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3,
  };
  return Math.round(Number(m[1]) * mult[(m[2] ?? "b").toLowerCase()]!);
}

export function parseIntIn(text: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} deve ser um inteiro de ${min} a ${max}`, `${flag} must be an integer from ${min} to ${max}`);
  return n;
}

/** The passphrase options every command that reads or writes encrypted backups takes. */
export const PASSPHRASE_OPTIONS = {
  "passphrase-env": { type: "string" },
  "passphrase-file": { type: "string" },
} as const;

/**
 * The passphrase from `--passphrase-env VAR` (the variable's value) or `--passphrase-file F`
 * (the file's first line). Never from the command line itself: it would show in `ps` and in
 * shell history.
 */
export function readPassphrase(values: { "passphrase-env"?: string; "passphrase-file"?: string }): string | undefined {
  const env = values["passphrase-env"];
  const file = values["passphrase-file"];
  if (env !== undefined && file !== undefined) throw new UsageError("use --passphrase-env ou --passphrase-file, não os dois", "use --passphrase-env or --passphrase-file, not both");
  if (env !== undefined) {
    const v = process.env[env];
    if (v === undefined || v === "") throw new UsageError(`--passphrase-env: a variável ${env} não está definida`, `--passphrase-env: variable ${env} is not set`);
    return v;
  }
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      throw new UsageError(`--passphrase-file: não foi possível ler ${file}`, `--passphrase-file: cannot read ${file}`);
    }
    const line = text.split(/\r?\n/)[0] ?? "";
    if (line === "") throw new UsageError(`--passphrase-file: ${file} está vazio`, `--passphrase-file: ${file} is empty`);
    return line;
  }
  return undefined;
}
