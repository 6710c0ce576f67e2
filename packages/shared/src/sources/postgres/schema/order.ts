/**
 * Dependency order. Turns the readers' items into the dump's object list:
 *
 * 1. Catalog objects that are not items are folded into the item that owns them, following
 *    pg_depend's internal/extension/auto links (a view's rewrite rule → the view, a table's row
 *    type and array type → the table, an index backing a constraint → the constraint, an
 *    extension's members → the extension, a column default → the table…).
 * 2. Every pg_depend row and every explicit `deps` entry between two items becomes an edge. A
 *    sequence's auto link to the column that owns it goes to its "SEQUENCE OWNED BY" item.
 * 3. Parts (column defaults, CHECKs) stay inside their table unless something they reference
 *    reaches back to the table; such parts become their own items (cycle broken as pg_dump does).
 * 4. Items that depend on an excluded relation are dropped (with a warning), transitively.
 * 5. Post-data items a pre-data item needs move to pre-data (e.g. a view grouping by a primary key).
 * 6. A stable topological sort: among ready items the lowest (section, kind rank, schema, table,
 *    name) goes first, so output is deterministic and close to pg_dump's. A remaining cycle is
 *    broken at its lowest item, with a warning.
 */
import type { DependRow } from "./depend.ts";
import type { Item, SchemaObject, Section } from "./model.ts";

const RANK: Record<string, number> = {
  SCHEMA: 0,
  EXTENSION: 1,
  COLLATION: 2,
  TYPE: 3,
  DOMAIN: 3,
  FUNCTION: 4,
  PROCEDURE: 4,
  AGGREGATE: 5,
  SEQUENCE: 6,
  TABLE: 7,
  DEFAULT: 8,
  "SEQUENCE OWNED BY": 9,
  VIEW: 10,
  "MATERIALIZED VIEW": 11,
  CONSTRAINT: 20,
  INDEX: 21,
  "INDEX ATTACH": 22,
  "CLUSTER ON": 23,
  "REPLICA IDENTITY": 23,
  "FK CONSTRAINT": 24,
  TRIGGER: 25,
  RULE: 26,
  STATISTICS: 27,
  "ROW SECURITY": 28,
  POLICY: 29,
  "MATERIALIZED VIEW DATA": 30,
  COMMENT: 40,
  OWNER: 41,
  ACL: 42,
  "DEFAULT ACL": 50,
};

const CATALOG_KEY = /^pg_[a-z_]+:\d+$/;

export interface OrderInput {
  items: Item[];
  depends: DependRow[];
  /** Catalog keys the target has without an item (schemas in scope that get no CREATE: `public`). */
  provided: ReadonlySet<string>;
  /** Keys of items removed by the scope's `excludeTable`. */
  excluded: ReadonlySet<string>;
}

export interface OrderOutput {
  objects: SchemaObject[];
  /** Catalog keys outside the dump that emitted objects reference. */
  unresolved: string[];
  warnings: string[];
}

export function orderItems(input: OrderInput): OrderOutput {
  const warnings: string[] = [];
  const items = new Map<string, Item>();
  const partOwner = new Map<string, string>();
  const partItems = new Map<string, Item>();
  for (const it of input.items) {
    items.set(it.key, it);
    for (const p of it.parts ?? []) {
      partOwner.set(p.key, it.key);
      partItems.set(p.key, p);
    }
  }
  const isNode = (k: string) => items.has(k) || partItems.has(k);

  // 1. Aliases: non-item catalog objects → the object they are part of. A partition's clone of
  // its parent's foreign key or trigger ('P') stands for the parent's, not for the partition.
  const alias = new Map<string, string>();
  const partOf = new Map<string, string>(); // internal/extension aliases only
  for (const types of [["i", "e"], ["P"], ["a"], ["S"]]) {
    for (const d of input.depends) {
      if (types.includes(d.type) && !isNode(d.dep) && !alias.has(d.dep) && d.dep !== d.ref) {
        alias.set(d.dep, d.ref);
        if (d.type === "i" || d.type === "e") partOf.set(d.dep, d.ref);
      }
    }
  }
  const EXCLUDED = "\u0000excluded";
  // Resolution with every part standing for itself (memoized: keys repeat a lot).
  const cache = new Map<string, string | null>();
  const resolveBase = (key: string): string | null => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    let k = key;
    let out: string | null = null;
    for (let hops = 0; hops < 32; hops++) {
      if (input.excluded.has(k)) {
        out = EXCLUDED;
        break;
      }
      if (partOwner.has(k) || items.has(k)) {
        out = k;
        break;
      }
      const next = alias.get(k);
      if (next === undefined) break;
      k = next;
    }
    cache.set(key, out);
    return out;
  };

  // 2. Edges between nodes (a part stands for itself here), and references to the outside.
  const base: { from: string; to: string }[] = [];
  const toExcludedBase = new Set<string>();
  const unresolvedBase = new Map<string, Set<string>>(); // node → catalog keys
  const addEdge = (fromRaw: string, toRaw: string, type: string) => {
    let from = resolveBase(fromRaw);
    if (from === null || from === EXCLUDED) return;
    if (type === "a" && from === fromRaw && items.get(from)?.kind === "SEQUENCE") {
      const ownedBy = `ownedby:${from}`;
      if (!items.has(ownedBy)) return;
      from = ownedBy;
    }
    const to = resolveBase(toRaw);
    if (to === EXCLUDED) toExcludedBase.add(from);
    else if (to === null) {
      // Outside the dump: name what owns it (an extension rather than its member function).
      let outside = toRaw;
      for (let hops = 0; hops < 32 && partOf.has(outside); hops++) outside = partOf.get(outside)!;
      if (CATALOG_KEY.test(outside) && !input.provided.has(outside)) {
        (unresolvedBase.get(from) ?? unresolvedBase.set(from, new Set()).get(from)!).add(outside);
      }
    } else if (to !== from) base.push({ from, to });
  };
  for (const d of input.depends) addEdge(d.dep, d.ref, d.type);
  for (const it of [...items.values(), ...partItems.values()]) for (const dep of it.deps) addEdge(it.key, dep, "n");

  /** The graph once it is decided which parts are split out (the others fold into their table). */
  const build = (split: ReadonlySet<string>) => {
    const at = (k: string) => {
      const owner = partOwner.get(k);
      return owner !== undefined && !split.has(k) ? owner : k;
    };
    const edges = new Map<string, Set<string>>();
    for (const e of base) {
      const from = at(e.from);
      const to = at(e.to);
      if (from !== to) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
    }
    const toExcluded = new Set([...toExcludedBase].map(at));
    const unresolved = new Map<string, Set<string>>();
    for (const [k, v] of unresolvedBase) {
      const set = unresolved.get(at(k)) ?? new Set<string>();
      for (const x of v) set.add(x);
      unresolved.set(at(k), set);
    }
    return { edges, toExcluded, unresolved };
  };

  // 3. Parts that close a cycle through their table are split out.
  const merged = build(new Set());
  const reaches = (start: string, goal: string, edges: Map<string, Set<string>>): boolean => {
    const seen = new Set<string>([start]);
    const stack = [start];
    while (stack.length) {
      const k = stack.pop()!;
      if (k === goal) return true;
      for (const n of edges.get(k) ?? []) if (!seen.has(n)) (seen.add(n), stack.push(n));
    }
    return false;
  };
  const partDeps = new Map<string, Set<string>>();
  for (const e of base) {
    const owner = partOwner.get(e.from);
    if (owner === undefined) continue;
    const to = partOwner.get(e.to) ?? e.to;
    if (to !== owner) (partDeps.get(e.from) ?? partDeps.set(e.from, new Set()).get(e.from)!).add(to);
  }
  const split = new Set<string>();
  for (const [partKey, deps] of partDeps) {
    const owner = partOwner.get(partKey)!;
    if ([...deps].some((d) => reaches(d, owner, merged.edges))) split.add(partKey);
  }
  const { edges, toExcluded, unresolved } = build(split);

  // Nodes: items plus split parts.
  const nodes = new Map<string, Item>(items);
  for (const k of split) nodes.set(k, partItems.get(k)!);

  // 4. Drop what depends on excluded relations, transitively.
  const reverse = new Map<string, Set<string>>();
  for (const [from, tos] of edges) for (const to of tos) (reverse.get(to) ?? reverse.set(to, new Set()).get(to)!).add(from);
  const dropped = new Set<string>();
  const queue = [...toExcluded];
  while (queue.length) {
    const k = queue.pop()!;
    if (dropped.has(k) || !nodes.has(k)) continue;
    dropped.add(k);
    for (const r of reverse.get(k) ?? []) queue.push(r);
    // A table's split parts go with it.
    for (const [p, owner] of partOwner) if (owner === k && split.has(p)) queue.push(p);
  }
  const droppedNotes: string[] = [];
  for (const k of dropped) {
    const it = nodes.get(k)!;
    if (!["COMMENT", "ACL", "OWNER"].includes(it.kind)) {
      droppedNotes.push(`${it.kind.toLowerCase()} ${it.schema ? `${it.schema}.` : ""}${it.name} left out: it depends on an excluded table`);
    }
    nodes.delete(k);
  }
  warnings.push(...droppedNotes.sort());

  // Matview refreshes wait for the refreshes of the matviews they read (through views too).
  for (const [k, it] of nodes) {
    if (it.kind !== "MATERIALIZED VIEW DATA") continue;
    const mv = k.slice("refresh:".length);
    const seen = new Set<string>([mv]);
    const stack = [mv];
    while (stack.length) {
      const cur = stack.pop()!;
      for (const n of edges.get(cur) ?? []) {
        if (seen.has(n)) continue;
        seen.add(n);
        stack.push(n);
        const r = `refresh:${n}`;
        if (n !== mv && nodes.has(r)) (edges.get(k) ?? edges.set(k, new Set()).get(k)!).add(r);
      }
    }
  }

  // 5. Sections, with promotion of post-data items that pre-data ones need.
  const section = new Map<string, Section>();
  for (const [k, it] of nodes) section.set(k, it.section);
  const promote = (k: string) => {
    const stack = [k];
    while (stack.length) {
      const cur = stack.pop()!;
      for (const n of edges.get(cur) ?? []) {
        if (section.get(n) === "post-data") {
          section.set(n, "pre-data");
          stack.push(n);
        }
      }
    }
  };
  for (const [k, s] of [...section]) if (s === "pre-data") promote(k);

  // 6. Topological sort with a stable priority.
  const prioOf = new Map<string, string>();
  for (const [k, it] of nodes) {
    const rank = String(RANK[it.kind] ?? 35).padStart(3, "0");
    prioOf.set(k, [section.get(k) === "pre-data" ? "0" : "1", rank, it.schema ?? "", it.table ?? "", it.name, it.kind, k].join("\u0001"));
  }
  const cmp = (a: string, b: string) => {
    const pa = prioOf.get(a)!;
    const pb = prioOf.get(b)!;
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  };
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const k of nodes.keys()) {
    const deps = [...(edges.get(k) ?? [])].filter((d) => nodes.has(d));
    pending.set(k, deps.length);
    for (const d of deps) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(k);
  }
  const heap = new Heap(cmp);
  for (const [k, n] of pending) if (n === 0) heap.push(k);
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < nodes.size) {
    let k = heap.pop();
    if (k === undefined) {
      const stuck = [...nodes.keys()].filter((x) => !done.has(x)).sort(cmp);
      k = stuck[0]!;
      const it = nodes.get(k)!;
      warnings.push(`dependency cycle: ${it.kind.toLowerCase()} ${it.schema ? `${it.schema}.` : ""}${it.name} placed before objects it depends on`);
    }
    if (done.has(k)) continue;
    done.add(k);
    order.push(k);
    for (const d of dependents.get(k) ?? []) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0 && !done.has(d)) heap.push(d);
    }
  }

  // Objects, with ids and the deps that precede them.
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const k of order) {
    const it = nodes.get(k)!;
    const baseId = `${it.kind}|${it.schema ?? ""}|${it.table ?? ""}|${it.name}`;
    let id = baseId;
    for (let n = 2; used.has(id); n++) id = `${baseId}#${n}`;
    used.add(id);
    ids.set(k, id);
  }
  const position = new Map(order.map((k, i) => [k, i]));
  const objects: SchemaObject[] = order.map((k, i) => {
    const it = nodes.get(k)!;
    const deps = [...(edges.get(k) ?? [])]
      .filter((d) => nodes.has(d) && position.get(d)! < i)
      .sort((a, b) => position.get(a)! - position.get(b)!)
      .map((d) => ids.get(d)!);
    return {
      id: ids.get(k)!,
      kind: it.kind,
      schema: it.schema,
      name: it.name,
      table: it.table,
      section: section.get(k)!,
      sql: typeof it.sql === "string" ? it.sql : it.sql(split),
      deps,
    };
  });

  const external = new Set<string>();
  for (const k of order) for (const u of unresolved.get(k) ?? []) external.add(u);
  return { objects, unresolved: [...external].sort(), warnings };
}

/** A binary min-heap of keys. */
class Heap {
  private a: string[] = [];
  constructor(private readonly cmp: (x: string, y: string) => number) {}
  push(k: string) {
    const a = this.a;
    a.push(k);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.cmp(a[i]!, a[p]!) >= 0) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): string | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.cmp(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.cmp(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
