/** The CLI speaks pt-BR by default; `--lang en`, COFRE_LANG=en or an English LANG switch it. */
export type Locale = "pt-BR" | "en";

export function detectLocale(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Locale {
  const pick = flag ?? env.COFRE_LANG ?? "";
  if (pick) return pick.toLowerCase().startsWith("en") ? "en" : "pt-BR";
  return (env.LC_ALL ?? env.LANG ?? "").toLowerCase().startsWith("en") ? "en" : "pt-BR";
}

export function formatBytes(n: number, locale: Locale): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: u === 0 ? 0 : 1 }).format(v)} ${units[u]}`;
}

export function formatNumber(n: number, locale: Locale, digits = 0): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
}

export function formatDuration(ms: number, locale: Locale): string {
  if (ms < 60_000) return `${formatNumber(ms / 1000, locale, 1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m} min ${s} s`;
}

/** Picks the text for the locale: `t(locale, "Backup concluído", "Backup complete")`. */
export function t(locale: Locale, ptBR: string, en: string): string {
  return locale === "en" ? en : ptBR;
}
