import { runRestore, type RestoreProgress, type RestoreSummary } from "@cofre/shared/engine/restore.ts";
import { parse, PASSPHRASE_OPTIONS, readPassphrase, required } from "../args.ts";
import { formatBytes, formatDuration, formatNumber, t, type Locale } from "../i18n.ts";
import { ProgressLine } from "../progress.ts";
import { DB_OPTIONS, DESTINATION_OPTIONS, destinationContext, openCliDestination, readDatabaseUrl } from "../connection-options.ts";
import { parseBucketList, parseBucketMap } from "@cofre/shared/sources/storage/spec.ts";
import { runStorageRestore, type StorageRestoreSummary } from "@cofre/shared/sources/storage/restore.ts";

export const RESTORE_USAGE = "cofre restore --from <destination> --backup <id|latest> --db <target-postgres-url> | --db-env VAR [--credentials-file F] [--passphrase-env VAR | --passphrase-file F] [--tables s.t,… [--with-dependencies]] [--tenant column=value [--recreate-other-tenant-parents]] [--schema new_name] [--dry-run | --apply <dry-run id>] [--buckets b1,b2 [--bucket-map old=new] [--overwrite] [--storage <endpoint>]] [--json]  (--buckets without --db/--db-env: the buckets alone)";

export async function restoreCommand(argv: string[], locale: Locale): Promise<number> {
  const { values } = parse(argv, {
    from: { type: "string" },
    backup: { type: "string" },
    ...DB_OPTIONS,
    ...DESTINATION_OPTIONS,
    json: { type: "boolean" },
    ...PASSPHRASE_OPTIONS,
    tables: { type: "string", multiple: true },
    "with-dependencies": { type: "boolean" },
    tenant: { type: "string" },
    "recreate-other-tenant-parents": { type: "boolean" },
    schema: { type: "string" },
    "dry-run": { type: "boolean" },
    apply: { type: "string" },
    buckets: { type: "string", multiple: true },
    "bucket-map": { type: "string", multiple: true },
    overwrite: { type: "boolean" },
    storage: { type: "string" },
  });
  // Supabase Storage buckets (docs/storage-source.md): with --db after the database, without it alone.
  const buckets = parseBucketList(values.buckets);
  const storage = buckets.length
    ? { buckets, bucketMap: parseBucketMap(values["bucket-map"]), overwrite: values.overwrite, endpoint: values.storage, context: await destinationContext(values) }
    : undefined;
  if (storage && values.db === undefined && values["db-env"] === undefined) {
    const done = await runStorageRestore(await openCliDestination(required(values.from, "--from"), values), required(values.backup, "--backup"), readPassphrase(values), storage);
    if (values.json) console.log(JSON.stringify({ storage: done }, null, 2));
    else console.log([t(locale, `Restauração do Storage concluída: ${done.backupId}`, `Storage restore complete: ${done.backupId}`), ...storageLines(done, locale)].join("\n"));
    return 0;
  }
  const progress = new ProgressLine();
  const summary = await runRestore({
    destination: await openCliDestination(required(values.from, "--from"), values),
    backupId: required(values.backup, "--backup"),
    targetUrl: required(readDatabaseUrl(values, { warn: (w) => console.error(w) }), "--db"),
    passphrase: readPassphrase(values),
    tables: values.tables,
    withDependencies: values["with-dependencies"],
    tenant: values.tenant,
    recreateOtherTenantParents: values["recreate-other-tenant-parents"],
    intoSchema: values.schema,
    dryRun: values["dry-run"],
    apply: values.apply,
    storage,
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
  if (s.applied === false) return printDryRun(s, locale);
  const lines = [
    t(locale, `Restauração concluída: ${s.backupId}`, `Restore complete: ${s.backupId}`),
    `  ${t(locale, "banco de destino", "target database")}:  ${s.target}`,
    `  ${t(locale, "tabelas", "tables")}:  ${s.tables}`,
    `  ${t(locale, "linhas", "rows")}:  ${formatNumber(s.rows, locale)}`,
    `  ${t(locale, "dados", "data")}:  ${formatBytes(s.bytes, locale)}`,
    `  ${t(locale, "duração", "duration")}:  ${formatDuration(s.durationMs, locale)}`,
  ];
  for (const c of (s.changes ?? []).filter((c) => c.insert + c.update + c.delete > 0)) {
    lines.push(`  ${c.table}:  +${c.insert}  ~${c.update}  −${c.delete}`);
  }
  if (s.storage) lines.push(...storageLines(s.storage, locale));
  for (const w of s.warnings) lines.push(`  ${t(locale, "aviso", "warning")}: ${w}`);
  console.log(lines.join("\n"));
}

/** Per bucket: objects written, already there, replaced, and extra objects left alone. */
function storageLines(s: StorageRestoreSummary, locale: Locale): string[] {
  return s.buckets.map((b) =>
    `  storage ${b.bucket}${b.into !== b.bucket ? ` → ${b.into}` : ""}:  ${formatNumber(b.restored, locale)} ${t(locale, "restaurados", "restored")}, ` +
    `${formatNumber(b.unchanged, locale)} ${t(locale, "já iguais", "already equal")}, ${formatNumber(b.overwritten, locale)} ${t(locale, "substituídos", "overwritten")}, ` +
    `${formatBytes(b.bytes, locale)}` + (b.extra ? `; ${formatNumber(b.extra, locale)} ${t(locale, "arquivos fora do backup mantidos", "files not in the backup kept")}` : ""));
}

/** The dry run's report: per table, rows to insert (+), update (~) and delete (−); then how to apply it. */
function printDryRun(s: RestoreSummary, locale: Locale) {
  const lines = [
    t(locale, `Simulação (nada foi gravado): ${s.backupId} → ${s.target}`, `Dry run (nothing was written): ${s.backupId} → ${s.target}`),
    `  ${t(locale, "tabela", "table")}:  ${t(locale, "inserir", "insert")} / ${t(locale, "atualizar", "update")} / ${t(locale, "apagar", "delete")}`,
  ];
  for (const c of s.changes ?? []) {
    const unique = c.uniqueConflicts.map((u) => ` ${t(locale, "CONFLITO", "CONFLICT")} ${u.constraint}: ${u.rows}`).join("");
    lines.push(`  ${c.table}:  ${formatNumber(c.insert, locale)} / ${formatNumber(c.update, locale)} / ${formatNumber(c.delete, locale)}${unique}`);
  }
  for (const w of s.warnings) lines.push(`  ${t(locale, "aviso", "warning")}: ${w}`);
  lines.push(t(locale, `Para aplicar exatamente isto: cofre restore … --apply ${s.dryRunId}`, `To apply exactly this: cofre restore … --apply ${s.dryRunId}`));
  console.log(lines.join("\n"));
}
