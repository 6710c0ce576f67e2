/**
 * Where things live inside a backup's volumes. Schema and table names are percent-encoded
 * (encodeURIComponent) so any identifier — spaces, accents, `/` — is a safe path segment;
 * the manifest maps names back to tables, so readers never parse these paths.
 */
export const MANIFEST_ENTRY = "manifest.json";
/** The backup's top-level manifest: the completion marker (see config/manifest.ts). */
export const MANIFEST_KEY = "manifest.json";
/** An encrypted backup's full manifest, sealed; `manifest.json` is then its envelope. */
export const SEALED_MANIFEST_KEY = "manifest.json.cofre";

/** `vol-00001.zip`, or `vol-00001.zip.cofre` when the volume is encrypted. */
export function volumeName(index: number, sealed = false): string {
  return `vol-${String(index).padStart(5, "0")}.zip${sealed ? ".cofre" : ""}`;
}
export const SCHEMA_JSON_ENTRY = "schema/schema.json";
export const SCHEMA_PRE_SQL_ENTRY = "schema/pre-data.sql";
export const SCHEMA_POST_SQL_ENTRY = "schema/post-data.sql";

function segment(name: string): string {
  return encodeURIComponent(name).replace(/^\.+/, (dots) => "%2E".repeat(dots.length));
}

export function tablePartEntry(schema: string, table: string, part: number): string {
  return `data/${segment(schema)}/${segment(table)}/part-${String(part).padStart(5, "0")}.csv`;
}

/** A change set's CSV part (incremental, differential, multi-step catch-up): docs/postgres-chains.md. */
export function changePartEntry(schema: string, table: string, part: number): string {
  return `changes/${segment(schema)}/${segment(table)}/part-${String(part).padStart(5, "0")}.csv`;
}

/** Part n of a Storage object's bytes (sources/storage/, docs/storage-source.md): bucket and key percent-encoded. */
export function storageObjectPartEntry(bucket: string, key: string, part: number): string {
  return `storage/${segment(bucket)}/${segment(key)}/part-${String(part).padStart(5, "0")}`;
}
