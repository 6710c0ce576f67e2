/**
 * Paged, recursive listing for servers that only list one directory at a time (FTP, SFTP).
 * The tree is walked depth-first in key order, so a page costs only the directories it
 * touches: subtrees wholly before the cursor or outside the prefix are never read, and the
 * walk stops as soon as the page is full. The cursor is the last key returned.
 */
import type { ListPage, ObjectInfo } from "./contract.ts";

export interface TreeEntry {
  name: string;
  dir: boolean;
  size: number;
  modifiedAt: Date | null;
}

export interface TreeListOptions {
  cursor?: string | null;
  limit?: number;
  /** Entries never listed (e.g. temporary upload names). */
  hidden?: (name: string) => boolean;
  /**
   * Size and time of a listed file, for servers whose directory listing lacks them (a local
   * readdir): asked only for the page's objects, never for the rest of a directory. Null:
   * the file is gone (removed meanwhile) and is left out.
   */
  describe?: (key: string, entry: TreeEntry) => Promise<{ size: number; modifiedAt: Date | null } | null>;
}

/**
 * `readDir(dirKey)` lists one directory ("" is the destination's root) or returns null
 * when it does not exist. Keys order as JavaScript compares strings; sorting a directory's
 * entries by `name` for files and `name + "/"` for directories yields exactly that order.
 */
export async function listTree(
  readDir: (dirKey: string) => Promise<TreeEntry[] | null>,
  prefix: string,
  opts: TreeListOptions = {},
): Promise<ListPage> {
  const limit = Math.max(1, opts.limit ?? 1000);
  const after = opts.cursor ?? null;
  const out: { key: string; entry: TreeEntry }[] = [];

  async function walk(dirKey: string): Promise<void> {
    const entries = await readDir(dirKey);
    if (!entries) return;
    const sortKey = (e: TreeEntry) => (e.dir ? `${e.name}/` : e.name);
    entries.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    for (const e of entries) {
      if (out.length > limit) return;
      if (e.name === "." || e.name === ".." || opts.hidden?.(e.name)) continue;
      const key = dirKey ? `${dirKey}/${e.name}` : e.name;
      if (e.dir) {
        const sub = `${key}/`;
        if (!sub.startsWith(prefix) && !prefix.startsWith(sub)) continue;
        // Every key below `sub` sorts before a cursor that is past `sub` and not inside it.
        if (after !== null && after >= sub && !after.startsWith(sub)) continue;
        await walk(key);
      } else if (key.startsWith(prefix) && (after === null || key > after)) {
        out.push({ key, entry: e });
      }
    }
  }

  await walk("");
  const page = out.slice(0, limit);
  const objects: ObjectInfo[] = [];
  for (const { key, entry } of page) {
    const info = opts.describe ? await opts.describe(key, entry) : entry;
    if (info) objects.push({ key, size: info.size, modifiedAt: info.modifiedAt });
  }
  return { objects, cursor: out.length > limit ? page[page.length - 1]!.key : null };
}
