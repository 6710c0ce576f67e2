/**
 * `cofre` — the command line over @cofre/shared. Exit codes: 0 success, 1 a Cofre error
 * (message in pt-BR or English, never a stack trace), 2 a wrong command line.
 */
// The AWS SDK warns on every run under Node 20 (its support window); the CLI's users cannot act on
// it and it would bury Cofre's own messages on stderr. Set before the SDK loads (adapters are
// imported lazily). An explicit setting in the environment wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { CofreError, describeError } from "@cofre/shared/errors.ts";
import { UsageError } from "./args.ts";
import { detectLocale, t, type Locale } from "./i18n.ts";
import { BACKUP_USAGE, backupCommand } from "./commands/backup.ts";
import { RESTORE_USAGE, restoreCommand } from "./commands/restore.ts";
import { LS_USAGE, lsCommand } from "./commands/ls.ts";
import { DECRYPT_USAGE, decryptCommand } from "./commands/decrypt.ts";
import { VERIFY_USAGE, verifyCommand } from "./commands/verify.ts";
import { TEST_CONNECTION_USAGE, testConnectionCommand } from "./commands/test-connection.ts";

const COMMANDS: Record<string, { usage: string; run: (argv: string[], locale: Locale) => Promise<number> }> = {
  backup: { usage: BACKUP_USAGE, run: backupCommand },
  restore: { usage: RESTORE_USAGE, run: restoreCommand },
  ls: { usage: LS_USAGE, run: lsCommand },
  verify: { usage: VERIFY_USAGE, run: verifyCommand },
  decrypt: { usage: DECRYPT_USAGE, run: decryptCommand },
  "test-connection": { usage: TEST_CONNECTION_USAGE, run: testConnectionCommand },
};

function usage(locale: Locale): string {
  return [
    t(locale, "Cofre — backups para aplicações Supabase", "Cofre — backups for Supabase applications"),
    "",
    t(locale, "Uso:", "Usage:"),
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
    "",
    t(locale, "Opções globais: --lang pt-BR|en (ou COFRE_LANG)", "Global options: --lang pt-BR|en (or COFRE_LANG)"),
  ].join("\n");
}

/** Pulls `--lang X` / `--lang=X` out of argv (it is accepted anywhere). */
function takeLang(argv: string[]): { lang: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let lang: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--lang") lang = argv[++i];
    else if (a.startsWith("--lang=")) lang = a.slice(7);
    else rest.push(a);
  }
  return { lang, rest };
}

export async function main(argv: string[]): Promise<number> {
  const { lang, rest } = takeLang(argv);
  const locale = detectLocale(lang);
  const [name, ...args] = rest;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(usage(locale));
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`${t(locale, "Comando desconhecido", "Unknown command")}: ${name}\n\n${usage(locale)}`);
    return 2;
  }
  try {
    return await cmd.run(args, locale);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${t(locale, "Uso incorreto", "Wrong usage")}: ${t(locale, e.ptBR, e.message)}\n  ${cmd.usage}`);
      return 2;
    }
    if (e instanceof CofreError) {
      console.error(`${t(locale, "Erro", "Error")} [${e.code}]: ${e.messageIn(locale)}`);
      return 1;
    }
    console.error(`${t(locale, "Erro inesperado", "Unexpected error")}: ${describeError(e)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
