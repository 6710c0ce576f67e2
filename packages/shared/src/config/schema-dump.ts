/** zod shape of `schema/schema.json` as read back from a backup (see sources/postgres/schema). */
import { z } from "zod";

export const SchemaObjectDoc = z.object({
  /** Identity within the dump; other objects name it in `deps` (used to pick objects for a partial restore). */
  id: z.string().default(""),
  kind: z.string(),
  schema: z.string().nullable(),
  name: z.string(),
  table: z.string().nullable(),
  section: z.enum(["pre-data", "post-data"]),
  sql: z.string(),
  /** `id`s of objects that must be applied first. */
  deps: z.array(z.string()).default([]),
});

export const SchemaDumpDoc = z.object({
  serverVersion: z.string(),
  schemas: z.array(z.string()),
  /** What the target must already have (e.g. "function auth.uid()"). */
  requires: z.array(z.string()).default([]),
  /** Objects in scope the dump could not reproduce, said out loud. */
  warnings: z.array(z.string()).default([]),
  objects: z.array(SchemaObjectDoc),
});
export type SchemaDumpDoc = z.infer<typeof SchemaDumpDoc>;
