import { stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { LocalDestination } from "@cofre/shared/destinations/local.ts";
import { listBackups } from "@cofre/shared/engine/catalog.ts";
import { verifyBackup, type VerifyReport } from "@cofre/shared/engine/verify.ts";
import { destinationRandomAccess } from "@cofre/shared/engine/volume-access.ts";
import { decryptingRandomAccess, isEncryptedContainer, KeyCache } from "@cofre/shared/format/crypto/mod.ts";
import { ZipReader } from "@cofre/shared/format/zip/reader.ts";
import { CofreError } from "@cofre/shared/errors.ts";
import { parse, PASSPHRASE_OPTIONS, readPassphrase, UsageError } from "../args.ts";
import { t, type Locale } from "../i18n.ts";
import { DESTINATION_OPTIONS, openCliDestination } from "../connection-options.ts";

export const VERIFY_USAGE = "cofre verify <file | dir | destination> [--backup id] [--credentials-file F] [--passphrase-env VAR | --passphrase-file F] [--json]";

async function isLocalFile(arg: string) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(arg)) return false;
  try {
    return (await stat(arg)).isFile();
  } catch {
    return false;
  }
}

/** One volume or container file: authenticate (if encrypted) and check every ZIP entry's CRC. */
async function verifyFile(path: string, passphrase: string | undefined, locale: Locale): Promise<number> {
  const full = resolve(path);
  const raw = await destinationRandomAccess(new LocalDestination(dirname(full)), basename(full));
  const head = await raw.read(0, Math.min(raw.size, 32));
  let plain = raw;
  if (isEncryptedContainer(head)) {
    if (passphrase === undefined) throw new UsageError("o arquivo é criptografado: informe --passphrase-env ou --passphrase-file", "the file is encrypted: give --passphrase-env or --passphrase-file");
    plain = await decryptingRandomAccess(raw, passphrase, new KeyCache());
  }
  const magic = await plain.read(0, Math.min(plain.size, 4));
  let entries = 0;
  if (magic.length === 4 && magic[0] === 0x50 && magic[1] === 0x4b) {
    const zip = await ZipReader.open(plain);
    for (const e of zip.entries) {
      for await (const _ of zip.read(e)) { /* CRC and size are checked as it reads */ }
      entries++;
    }
  } else {
    for await (const _ of plain.stream(0, plain.size)) { /* authenticates every segment */ }
  }
  console.log(t(locale, `OK: ${path} (${entries} entradas verificadas)`, `OK: ${path} (${entries} entries verified)`));
  return 0;
}

function printReport(r: VerifyReport, locale: Locale) {
  const status = r.ok ? "OK" : t(locale, "FALHOU", "FAILED");
  console.log(`${status}  ${r.backupId}${r.encrypted ? t(locale, " (criptografado)", " (encrypted)") : ""}: ` +
    t(locale, `${r.objects.length} objetos, ${r.entriesChecked} entradas verificadas`, `${r.objects.length} objects, ${r.entriesChecked} entries verified`));
  for (const o of r.objects.filter((o) => !o.ok)) console.log(`    ${o.name}: ${o.problem}`);
  if (r.entriesSkipped === "PASSPHRASE_REQUIRED") {
    console.log(t(locale, "    conteúdo não verificado: informe a senha para verificar as entradas", "    contents not checked: give the passphrase to verify the entries"));
  }
}

export async function verifyCommand(argv: string[], locale: Locale): Promise<number> {
  const { values, positionals } = parse(argv, { backup: { type: "string" }, json: { type: "boolean" }, ...PASSPHRASE_OPTIONS, ...DESTINATION_OPTIONS });
  const target = positionals[0];
  if (!target || positionals.length > 1) throw new UsageError("informe um arquivo, diretório ou destino para verificar", "give one file, directory or destination to verify");
  const passphrase = readPassphrase(values);
  if (await isLocalFile(target)) return verifyFile(target, passphrase, locale);

  const dest = await openCliDestination(target, values);
  const ids = values.backup ? [values.backup] : (await listBackups(dest)).filter((b) => b.complete).map((b) => b.backupId);
  if (ids.length === 0) {
    throw new CofreError("BACKUP_NOT_FOUND", { "pt-BR": `Nenhum backup completo em ${dest.displaySpec}.`, en: `No complete backup at ${dest.displaySpec}.` });
  }
  const keyCache = new KeyCache();
  const reports: VerifyReport[] = [];
  for (const id of ids) reports.push(await verifyBackup(dest, id, { passphrase, keyCache }));
  if (values.json) console.log(JSON.stringify(reports, null, 2));
  else for (const r of reports) printReport(r, locale);
  return reports.every((r) => r.ok) ? 0 : 1;
}
