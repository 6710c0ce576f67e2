import { listBackups } from "@cofre/shared/engine/catalog.ts";
import { parse, required } from "../args.ts";
import { formatBytes, formatNumber, t, type Locale } from "../i18n.ts";
import { DESTINATION_OPTIONS, openCliDestination } from "../connection-options.ts";

export const LS_USAGE = "cofre ls --from <destination> [--credentials-file F] [--json]";

export async function lsCommand(argv: string[], locale: Locale): Promise<number> {
  const { values } = parse(argv, { from: { type: "string" }, json: { type: "boolean" }, ...DESTINATION_OPTIONS });
  const dest = await openCliDestination(required(values.from, "--from"), values);
  const backups = await listBackups(dest);
  if (values.json) {
    console.log(JSON.stringify(backups, null, 2));
    return 0;
  }
  if (backups.length === 0) {
    console.log(t(locale, `Nenhum backup em ${dest.displaySpec}.`, `No backups at ${dest.displaySpec}.`));
    return 0;
  }
  console.log(t(
    locale,
    "ID                        TIPO  CRIADO EM (UTC)      TABELAS  LINHAS      TAMANHO     ",
    "ID                        TYPE  CREATED (UTC)        TABLES   ROWS        SIZE        ",
  ));
  const encrypted = t(locale, "criptografado", "encrypted");
  for (const b of backups) {
    if (!b.complete) {
      console.log(`${b.backupId.padEnd(26)}${t(locale, "INCOMPLETO", "INCOMPLETE")} (${b.problem})  ${formatBytes(b.storedBytes, locale)}`);
      continue;
    }
    console.log([
      b.backupId.padEnd(25),
      (b.type ?? "").padEnd(5),
      (b.createdAt ?? "").slice(0, 19).replace("T", " ").padEnd(20),
      (b.tables === null ? "—" : String(b.tables)).padEnd(8),
      (b.rows === null ? "—" : formatNumber(b.rows, locale)).padEnd(11),
      formatBytes(b.storedBytes, locale).padEnd(11),
      b.encrypted ? encrypted : "",
    ].join(" ").trimEnd());
  }
  return 0;
}
