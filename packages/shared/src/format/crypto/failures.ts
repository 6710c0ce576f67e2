/**
 * The CofreErrors the encryption container raises, one constructor per outcome. Messages say
 * what to do; `details` carry non-secret facts (`reason` or `check`, segment index, field
 * values) and never key material or the passphrase.
 */
import { CofreError } from "../../errors.ts";

/** `details.check` of an INTEGRITY_MISMATCH raised by the container. */
export type IntegrityCheck =
  /** The header MAC does not verify: nonce base, segment size or the MAC were changed. */
  | "header-mac"
  /** The key wrap failed under a passphrase already proven right for this salt and count. */
  | "key-wrap"
  /** A segment does not authenticate at its position (flipped bit, reordered, duplicated, cut). */
  | "segment"
  /** Bytes follow a segment that authenticates as the last one. */
  | "trailing-data";

/** `details.reason` of a TRUNCATED raised by the container. */
export type TruncationReason =
  | "magic" // the input ends inside the magic line
  | "header" // the input ends inside the header
  | "no-payload" // nothing after the header
  | "final-segment-missing" // the last complete segment is not flagged last
  | "partial-segment"; // the final piece is too short to be a segment

export function notAContainer(details: Record<string, unknown> = {}): CofreError {
  return new CofreError("CORRUPT_ARCHIVE", {
    "pt-BR": "Este arquivo não é um volume criptografado do Cofre (o início não confere). Use outra cópia do backup.",
    en: "This file is not a Cofre encrypted volume (its first bytes do not match). Use another copy of the backup.",
  }, { details: { reason: "magic", ...details } });
}

export function badHeaderField(field: string, details: Record<string, unknown>): CofreError {
  return new CofreError("CORRUPT_ARCHIVE", {
    "pt-BR": `O cabeçalho do volume criptografado tem um valor inválido (${field}). Use outra cópia do backup.`,
    en: `The encrypted volume's header has an invalid value (${field}). Use another copy of the backup.`,
  }, { details: { reason: "header-field", field, ...details } });
}

export type UnsupportedWhat = "version" | "kdf" | "iterations";

export function unsupportedVersion(what: UnsupportedWhat, details: Record<string, unknown>): CofreError {
  const [pt, en] = {
    version: ["uma versão de formato", "a format version"],
    kdf: ["uma derivação de chave", "a key derivation function"],
    iterations: ["um número de iterações de PBKDF2", "a PBKDF2 iteration count"],
  }[what];
  return new CofreError("UNSUPPORTED_VERSION", {
    "pt-BR": `Este volume criptografado usa ${pt} que esta versão do Cofre não aceita. Atualize o Cofre ou use outra cópia do backup.`,
    en: `This encrypted volume uses ${en} this version of Cofre does not accept. Update Cofre or use another copy of the backup.`,
  }, { details: { unsupported: what, ...details } });
}

export function truncated(reason: TruncationReason, details: Record<string, unknown> = {}): CofreError {
  return new CofreError("TRUNCATED", {
    "pt-BR": "O volume criptografado terminou antes do fim: ele foi truncado (envio ou download interrompido). Use outra cópia do backup.",
    en: "The encrypted volume ends early: it was truncated (an interrupted upload or download). Use another copy of the backup.",
  }, { details: { reason, ...details } });
}

export function wrongPassphrase(details: Record<string, unknown> = {}): CofreError {
  return new CofreError("WRONG_PASSPHRASE", {
    "pt-BR": "A senha do backup está incorreta (ou o cabeçalho do volume foi danificado). Confira a senha e tente de novo.",
    en: "The backup passphrase is wrong (or the volume's header was damaged). Check the passphrase and try again.",
  }, { details });
}

export function integrity(check: IntegrityCheck, details: Record<string, unknown> = {}): CofreError {
  const what = {
    "header-mac": ["o cabeçalho foi alterado", "its header was altered"],
    "key-wrap": ["a chave do backup gravada no volume foi alterada", "the backup key stored in the volume was altered"],
    segment: ["um trecho foi alterado, reordenado, duplicado ou cortado", "a segment was altered, reordered, duplicated or cut"],
    "trailing-data": ["há dados depois do último trecho", "there is data after the last segment"],
  }[check];
  return new CofreError("INTEGRITY_MISMATCH", {
    "pt-BR": `O volume criptografado não confere: ${what[0]}. Ele foi danificado ou adulterado; use outra cópia do backup.`,
    en: `The encrypted volume does not verify: ${what[1]}. It was damaged or tampered with; use another copy of the backup.`,
  }, { details: { check, ...details } });
}

export function invalidInput(what: string, details: Record<string, unknown> = {}): CofreError {
  return new CofreError("INVALID_INPUT", {
    "pt-BR": `Parâmetro de criptografia inválido: ${what}.`,
    en: `Invalid encryption parameter: ${what}.`,
  }, { details });
}
