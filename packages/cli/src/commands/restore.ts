import { runRestore, type RestoreProgress, type RestoreSummary } from "@cofre/shared/engine/restore.ts";
import { openDestination } from "@cofre/shared/destinations/registry.ts";
import { parse, PASSPHRASE_OPTIONS, readPassphrase, required } from "../args.ts";
import { formatBytes, formatDuration, formatNumber, t, type Locale } from "../i18n.ts";
import { ProgressLine } from "../progress.ts";

export const RESTORE_USAGE = "cofre restore --from <destination> --backup <id|latest> --db <target-postgres-url> [--passphrase-env VAR | --passphrase-file F] [--json]";

export async function restoreCommand(argv: string[], locale: Locale): Promise<number> {
  const { values } = parse(argv, {
    from: { type: "string" },
    backup: { type: "string" },
    db: { type: "string" },
    json: { type: "boolean" },
    ...PASSPHRASE_OPTIONS,
  });
  const progress = new ProgressLine();
  const summary = await runRestore({
    destination: openDestination(required(values.from, "--from")),
    backupId: required(values.backup, "--backup"),
    targetUrl: required(values.db, "--db"),
    passphrase: readPassphrase(values),
    onProgress: (p) => progress.update(describeProgress(p, locale), p.phase !== "data"),
  });
  progress.done();
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else printSummary(summary, locale);
  return 0;
}

function describeProgress(p: RestoreProgress, locale: Locale): string {
  const phase = {
    reading: t(locale, "lendo o backup", "reading the backup"),
    schema: t(locale, "criando o schema", "creating the schema"),
    data: t(locale, "carregando", "loading"),
    constraints: t(locale, "criando índices e restrições", "creating indexes and constraints"),
    done: t(locale, "concluído", "done"),
  }[p.phase];
  return `${phase} ${p.table ?? ""} [${p.tablesDone}/${p.tablesTotal}] ${formatNumber(p.rows, locale)} ${t(locale, "linhas", "rows")}, ${formatBytes(p.bytes, locale)}`;
}

function printSummary(s: RestoreSummary, locale: Locale) {
  const lines = [
    t(locale, `Restauração concluída: ${s.backupId}`, `Restore complete: ${s.backupId}`),
    `  ${t(locale, "banco de destino", "target database")}:  ${s.target}`,
    `  ${t(locale, "tabelas", "tables")}:  ${s.tables}`,
    `  ${t(locale, "linhas", "rows")}:  ${formatNumber(s.rows, locale)}`,
    `  ${t(locale, "dados", "data")}:  ${formatBytes(s.bytes, locale)}`,
    `  ${t(locale, "duração", "duration")}:  ${formatDuration(s.durationMs, locale)}`,
  ];
  for (const w of s.warnings) lines.push(`  ${t(locale, "aviso", "warning")}: ${w}`);
  console.log(lines.join("\n"));
}
