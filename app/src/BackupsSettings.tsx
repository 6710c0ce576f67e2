/**
 * Settings → Backups tab. For now an honest placeholder: it says the tab is not available
 * yet and names the sections that will come. It shows no data and offers no action.
 */
import { useId } from "react";

export type Locale = "pt-BR" | "en";

interface Copy {
  title: string;
  notice: string;
  upcoming: string;
  sections: readonly string[];
}

const COPY: Record<Locale, Copy> = {
  "pt-BR": {
    title: "Backups",
    notice:
      "Esta aba chega em uma próxima versão do Cofre. Por enquanto, nenhum backup é criado, agendado ou restaurado por aqui.",
    upcoming: "Seções previstas",
    sections: ["Painel", "Backups manuais", "Agendamentos", "Destinos", "Histórico e restauração", "Análises"],
  },
  en: {
    title: "Backups",
    notice:
      "This tab arrives in a later release of Cofre. For now, no backup is created, scheduled or restored from here.",
    upcoming: "Planned sections",
    sections: ["Dashboard", "Manual backups", "Schedules", "Destinations", "History and restore", "Analytics"],
  },
};

export interface BackupsSettingsProps {
  /** UI language; pt-BR unless the host app says otherwise. */
  locale?: Locale;
}

export function BackupsSettings({ locale = "pt-BR" }: BackupsSettingsProps) {
  const copy = COPY[locale];
  const titleId = useId();
  const upcomingId = useId();

  return (
    <section aria-labelledby={titleId} lang={locale}>
      <h1 id={titleId}>{copy.title}</h1>
      <p>{copy.notice}</p>
      <h2 id={upcomingId}>{copy.upcoming}</h2>
      <ul aria-labelledby={upcomingId}>
        {copy.sections.map((name) => (
          <li key={name}>{name}</li>
        ))}
      </ul>
    </section>
  );
}
