/**
 * Which tables a restore touches, decided from the backup alone (pure): `--tables` parsed and
 * checked against the manifest, the foreign keys between backed-up tables (from the schema
 * document's FK CONSTRAINT objects and their `deps`), and `--with-dependencies` closing the
 * selection over the tables it references.
 */
import { CofreError } from "../errors.ts";
import type { BackupManifest, TableRecord } from "../config/manifest.ts";
import type { SchemaDumpDoc } from "../config/schema-dump.ts";

export interface TableRef {
  schema: string;
  name: string;
}

const refKey = (t: TableRef) => `${t.schema}\u0000${t.name}`;

/** Parses `schema.table` (or `table` when the backup has exactly one schema holding it). */
export function parseTableSpecs(specs: readonly string[], manifest: BackupManifest): TableRef[] {
  const out: TableRef[] = [];
  const unknown: string[] = [];
  for (const raw of specs.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean)) {
    const dot = raw.indexOf(".");
    const matches = dot > 0
      ? manifest.tables.filter((t) => t.schema === raw.slice(0, dot) && t.name === raw.slice(dot + 1))
      : manifest.tables.filter((t) => t.name === raw);
    if (matches.length !== 1) unknown.push(raw);
    else if (!out.some((o) => refKey(o) === refKey(matches[0]!))) out.push({ schema: matches[0]!.schema, name: matches[0]!.name });
  }
  if (unknown.length || out.length === 0) {
    throw new CofreError("INVALID_INPUT", {
      "pt-BR": `Tabela(s) que o backup não tem (ou ambíguas; use schema.tabela): ${unknown.join(", ") || "(nenhuma informada)"}. Veja as tabelas com \`cofre ls\` ou no manifesto.`,
      en: `Table(s) the backup does not hold (or ambiguous; use schema.table): ${unknown.join(", ") || "(none given)"}. See the tables with \`cofre ls\` or in the manifest.`,
    }, { details: { tables: unknown } });
  }
  return out;
}

export interface TableReference {
  from: TableRef;
  to: TableRef;
  constraint: string;
}

/** Foreign keys between tables whose definitions are in the backup (FK CONSTRAINT objects). */
export function tableReferences(schema: SchemaDumpDoc): TableReference[] {
  const byId = new Map(schema.objects.map((o) => [o.id, o]));
  const out: TableReference[] = [];
  for (const o of schema.objects) {
    if (o.kind !== "FK CONSTRAINT" || o.schema === null || o.table === null) continue;
    for (const d of o.deps) {
      const t = byId.get(d);
      if (!t || t.kind !== "TABLE" || t.schema === null || t.table === null) continue;
      if (t.schema === o.schema && t.table === o.table) continue;
      out.push({ from: { schema: o.schema, name: o.table }, to: { schema: t.schema, name: t.table }, constraint: o.name });
    }
  }
  return out;
}

/** `selected` plus every backed-up table they reference, transitively (parents first is not implied). */
export function withDependencies(selected: readonly TableRef[], refs: readonly TableReference[]): TableRef[] {
  const out = [...selected];
  const seen = new Set(out.map(refKey));
  for (let i = 0; i < out.length; i++) {
    for (const r of refs) {
      if (refKey(r.from) === refKey(out[i]!) && !seen.has(refKey(r.to))) {
        seen.add(refKey(r.to));
        out.push(r.to);
      }
    }
  }
  return out;
}

/** References from a selected table to one that is not selected. */
export function unselectedReferences(selected: readonly TableRef[], refs: readonly TableReference[]): TableReference[] {
  const chosen = new Set(selected.map(refKey));
  return refs.filter((r) => chosen.has(refKey(r.from)) && !chosen.has(refKey(r.to)));
}

/** The manifest records of `tables`, in manifest order. */
export function recordsFor(manifest: BackupManifest, tables: readonly TableRef[]): TableRecord[] {
  const chosen = new Set(tables.map(refKey));
  return manifest.tables.filter((t) => chosen.has(refKey(t)));
}
