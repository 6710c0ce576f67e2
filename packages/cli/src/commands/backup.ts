import { runBackup, type BackupProgress, type BackupSummary } from "@cofre/shared/engine/backup.ts";
import { openDestination } from "@cofre/shared/destinations/registry.ts";
import { parse, parseIntIn, parseSize, PASSPHRASE_OPTIONS, readPassphrase, required } from "../args.ts";
import { formatBytes, formatDuration, formatNumber, t, type Locale } from "../i18n.ts";
import { ProgressLine } from "../progress.ts";

export const BACKUP_USAGE =
  "cofre backup --db <postgres-url> --to <destination> [--schema s]… [--exclude pattern]… [--no-default-excludes] [--level 0-9] [--volume-size 64MiB] [--passphrase-env VAR | --passphrase-file F] [--json]";

export async function backupCommand(argv: string[], locale: Locale): Promise<number> {
  const { values } = parse(argv, {
    db: { type: "string" },
    to: { type: "string" },
    schema: { type: "string", multiple: true },
    exclude: { type: "string", multiple: true },
    "no-default-excludes": { type: "boolean" },
    level: { type: "string" },
    "volume-size": { type: "string" },
    json: { type: "boolean" },
    ...PASSPHRASE_OPTIONS,
  });
  const sourceUrl = values.db ?? process.env.DATABASE_URL;
  const destination = openDestination(required(values.to, "--to"));
  const progress = new ProgressLine();
  const summary = await runBackup({
    sourceUrl: required(sourceUrl, "--db (or DATABASE_URL)"),
    destination,
    schemas: values.schema,
    exclude: values.exclude,
    noDefaultExcludes: values["no-default-excludes"],
    compressionLevel: parseIntIn(values.level, "--level", 0, 9),
    volumeSize: values["volume-size"] ? parseSize(values["volume-size"], "--volume-size") : undefined,
    passphrase: readPassphrase(values),
    onProgress: (p) => progress.update(describeProgress(p, locale), p.phase !== "data"),
  });
  progress.done();
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else printSummary(summary, locale);
  return 0;
}

function describeProgress(p: BackupProgress, locale: Locale): string {
  const phase = {
    schema: t(locale, "lendo o schema", "reading the schema"),
    data: t(locale, "copiando", "copying"),
    finishing: t(locale, "finalizando", "finishing"),
    done: t(locale, "concluído", "done"),
  }[p.phase];
  return `${phase} ${p.table ?? ""} [${p.tablesDone}/${p.tablesTotal}] ${formatNumber(p.rows, locale)} ${t(locale, "linhas", "rows")}, ${formatBytes(p.bytesIn, locale)} → ${formatBytes(p.bytesOut, locale)}`;
}

function printSummary(s: BackupSummary, locale: Locale) {
  const reduction = s.bytesIn > 0 ? (1 - s.bytesOut / s.bytesIn) * 100 : 0;
  const lines = [
    t(locale, `Backup concluído: ${s.backupId}`, `Backup complete: ${s.backupId}`),
    `  ${t(locale, "destino", "destination")}:  ${s.destination}`,
    `  schemas:  ${s.schemas.join(", ")}`,
    `  ${t(locale, "tabelas", "tables")}:  ${s.tables}`,
    `  ${t(locale, "linhas", "rows")}:  ${formatNumber(s.rows, locale)}`,
    `  ${t(locale, "lido", "read")}:  ${formatBytes(s.bytesIn, locale)}  →  ${t(locale, "gravado", "stored")}: ${formatBytes(s.bytesOut, locale)}` +
      `  (${t(locale, "compressão", "compression")} ${formatNumber(s.compressionRatio, locale, 2)}×, −${formatNumber(reduction, locale, 0)} %)`,
    `  volumes:  ${s.volumes}${s.encrypted ? t(locale, " (criptografados, AES-256-GCM)", " (encrypted, AES-256-GCM)") : ""}`,
    `  ${t(locale, "duração", "duration")}:  ${formatDuration(s.durationMs, locale)}`,
  ];
  if (s.excluded.length) {
    lines.push(`  ${t(locale, "dados excluídos", "data excluded")}:  ${s.excluded.map((e) => `${e.schema}.${e.name}`).join(", ")}`);
  }
  for (const w of s.warnings) lines.push(`  ${t(locale, "aviso", "warning")}: ${w}`);
  console.log(lines.join("\n"));
}
