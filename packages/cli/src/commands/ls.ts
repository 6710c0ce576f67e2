import { listBackups } from "@cofre/shared/engine/catalog.ts";
import { openDestination } from "@cofre/shared/destinations/registry.ts";
import { parse, required } from "../args.ts";
import { formatBytes, formatNumber, t, type Locale } from "../i18n.ts";

export const LS_USAGE = "cofre ls --from <destination> [--json]";

export async function lsCommand(argv: string[], locale: Locale): Promise<number> {
  const { values } = parse(argv, { from: { type: "string" }, json: { type: "boolean" } });
  const dest = openDestination(required(values.from, "--from"));
  const backups = await listBackups(dest);
  if (values.json) {
    console.log(JSON.stringify(backups.map((b) => ({
      backupId: b.backupId, complete: b.complete, problem: b.problem, storedBytes: b.storedBytes,
      type: b.manifest?.type ?? null, createdAt: b.manifest?.createdAt ?? null,
      tables: b.manifest?.tables.length ?? null, rows: b.manifest?.stats.rows ?? null,
    })), null, 2));
    return 0;
  }
  if (backups.length === 0) {
    console.log(t(locale, `Nenhum backup em ${dest.displaySpec}.`, `No backups at ${dest.displaySpec}.`));
    return 0;
  }
  const header = t(locale, "ID                        TIPO  CRIADO EM (UTC)       TABELAS  LINHAS      TAMANHO", "ID                        TYPE  CREATED (UTC)         TABLES   ROWS        SIZE");
  console.log(header);
  for (const b of backups) {
    const m = b.manifest;
    if (!m) {
      console.log(`${b.backupId.padEnd(26)}${t(locale, "INCOMPLETO", "INCOMPLETE")} (${b.problem})  ${formatBytes(b.storedBytes, locale)}`);
      continue;
    }
    console.log([
      b.backupId.padEnd(25),
      m.type.padEnd(5),
      m.createdAt.slice(0, 19).replace("T", " ").padEnd(21),
      String(m.tables.length).padEnd(8),
      formatNumber(m.stats.rows, locale).padEnd(11),
      formatBytes(b.storedBytes, locale),
    ].join(" "));
  }
  return 0;
}
