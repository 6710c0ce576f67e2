import { randomBytes } from "node:crypto";

/** `20261125T020000Z-1a2b3c`: UTC creation time to the second plus 24 random bits. */
export function newBackupId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}
