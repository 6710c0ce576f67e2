/**
 * Human-readable SQL of a dump, in pg_dump's plain-format style: the preamble, then each
 * object under a `-- Name: …; Type: …; Schema: …` header. The text is runnable with psql
 * inside one transaction (`psql -1 -f`), because the preamble uses SET LOCAL.
 */
import type { SchemaDump, Section } from "./model.ts";
import { RESTORE_PREAMBLE } from "./preamble.ts";

export function renderSql(dump: SchemaDump, section?: Section): string {
  const parts: string[] = [
    "--\n-- Cofre schema dump\n",
    `-- Dumped from database version ${dump.serverVersion}\n`,
    `-- Schemas: ${dump.schemas.join(", ")}\n`,
    section ? `-- Section: ${section}\n` : "",
    "--\n\n",
    RESTORE_PREAMBLE,
    "\n",
  ];
  for (const o of dump.objects) {
    if (section && o.section !== section) continue;
    const name = o.name.replaceAll("\n", " ");
    parts.push(`--\n-- Name: ${name}; Type: ${o.kind}; Schema: ${o.schema ?? "-"}\n--\n\n${o.sql}\n`);
  }
  return parts.join("");
}
