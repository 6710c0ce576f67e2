import { runBackup, type BackupProgress, type BackupSummary } from "@cofre/shared/engine/backup.ts";
import { pgDumpArtifact } from "@cofre/shared/sources/postgres/pg-dump-custom.ts";
import { parse, parseIntIn, parseSize, PASSPHRASE_OPTIONS, readPassphrase, required, UsageError } from "../args.ts";
import { formatBytes, formatDuration, formatNumber, t, type Locale } from "../i18n.ts";
import { ProgressLine } from "../progress.ts";
import { DB_OPTIONS, DESTINATION_OPTIONS, destinationContext, openCliDestination, readDatabaseUrl } from "../connection-options.ts";
import { parseBucketList } from "@cofre/shared/sources/storage/spec.ts";

export const BACKUP_USAGE =
  "cofre backup --db <postgres-url> | --db-env VAR --to <destination> [--credentials-file F] [--schema s]… [--exclude pattern]… [--no-default-excludes] [--level 0-9] [--volume-size 64MiB] [--passphrase-env VAR | --passphrase-file F] [--type full|incremental|differential] [--capture] [--pg-dump] [--buckets b1,b2 [--storage https://<ref>.supabase.co/storage/v1/s3?region=…]] [--json]";

/** `--type`: full (default), incremental (since the chain's newest backup) or differential (since the last full). */
function parseBackupType(text: string | undefined): "full" | "incremental" | "differential" | undefined {
  if (text === undefined || text === "full" || text === "incremental" || text === "differential") return text;
  throw new UsageError(`--type deve ser full, incremental ou differential (recebido: ${text})`, `--type must be full, incremental or differential (got: ${text})`);
}

export async function backupCommand(argv: string[], locale: Locale): Promise<number> {
  const { values } = parse(argv, {
    ...DB_OPTIONS,
    ...DESTINATION_OPTIONS,
    to: { type: "string" },
    schema: { type: "string", multiple: true },
    exclude: { type: "string", multiple: true },
    "no-default-excludes": { type: "boolean" },
    level: { type: "string" },
    "volume-size": { type: "string" },
    json: { type: "boolean" },
    type: { type: "string" },
    capture: { type: "boolean" },
    "pg-dump": { type: "boolean" },
    buckets: { type: "string", multiple: true },
    storage: { type: "string" },
    ...PASSPHRASE_OPTIONS,
  });
  // Supabase Storage buckets in the same backup (docs/storage-source.md); endpoint from --storage or COFRE_SUPABASE_STORAGE_ENDPOINT.
  const buckets = parseBucketList(values.buckets);
  if (values.storage !== undefined && buckets.length === 0) {
    throw new UsageError("--storage só vale com --buckets", "--storage only applies with --buckets");
  }
  const sourceUrl = readDatabaseUrl(values, { fallbackEnv: "DATABASE_URL", warn: (w) => console.error(w) });
  const destination = await openCliDestination(required(values.to, "--to"), values);
  const progress = new ProgressLine();
  const summary = await runBackup({
    sourceUrl: required(sourceUrl, "--db (or DATABASE_URL)"),
    destination,
    type: parseBackupType(values.type),
    capture: values.capture,
    // Also store a `pg_dump -Fc` archive in the backup (needs a compatible pg_dump here).
    artifacts: values["pg-dump"] ? [pgDumpArtifact(required(sourceUrl, "--db (or DATABASE_URL)"))] : undefined,
    schemas: values.schema,
    exclude: values.exclude,
    noDefaultExcludes: values["no-default-excludes"],
    compressionLevel: parseIntIn(values.level, "--level", 0, 9),
    volumeSize: values["volume-size"] ? parseSize(values["volume-size"], "--volume-size") : undefined,
    passphrase: readPassphrase(values),
    storage: buckets.length ? { buckets, endpoint: values.storage, context: await destinationContext(values) } : undefined,
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
    changes: t(locale, "alterações de", "changes of"),
    finishing: t(locale, "finalizando", "finishing"),
    done: t(locale, "concluído", "done"),
  }[p.phase];
  return `${phase} ${p.table ?? ""} [${p.tablesDone}/${p.tablesTotal}] ${formatNumber(p.rows, locale)} ${t(locale, "linhas", "rows")}, ${formatBytes(p.bytesIn, locale)} → ${formatBytes(p.bytesOut, locale)}`;
}

function printSummary(s: BackupSummary, locale: Locale) {
  const reduction = s.bytesIn > 0 ? (1 - s.bytesOut / s.bytesIn) * 100 : 0;
  const lines = [
    t(locale, `Backup concluído: ${s.backupId}`, `Backup complete: ${s.backupId}`),
    `  ${t(locale, "tipo", "type")}:  ${{ full: t(locale, "completo", "full"), incremental: "incremental", differential: t(locale, "diferencial", "differential") }[s.type]}` +
      (s.parentId ? `  (${t(locale, "a partir de", "on top of")} ${s.parentId}; ${t(locale, "completo", "full")} ${s.baseId}; ${formatNumber(s.changeRows, locale)} ${t(locale, "alterações", "changes")})` : ""),
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
  if (s.storage) {
    lines.push(`  storage:  ${s.storage.buckets} bucket(s), ${formatNumber(s.storage.objects, locale)} ${t(locale, "arquivos", "files")} — ` +
      `${formatNumber(s.storage.stored, locale)} ${t(locale, "gravados", "stored")} (${formatBytes(s.storage.storedBytes, locale)}), ` +
      `${formatNumber(s.storage.reused, locale)} ${t(locale, "sem mudança", "unchanged")}, ${formatNumber(s.storage.deleted, locale)} ${t(locale, "apagados desde o anterior", "deleted since the parent")}`);
  }
  for (const w of s.warnings) lines.push(`  ${t(locale, "aviso", "warning")}: ${w}`);
  console.log(lines.join("\n"));
}
