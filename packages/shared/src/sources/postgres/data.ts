/**
 * Table data in and out of PostgreSQL with COPY (FORMAT csv): NULL is an unquoted empty
 * field and the empty string is `""`, so both survive. Large tables are read in parts by
 * ranges of heap blocks (TID range scans, PostgreSQL ≥ 14), all inside the caller's
 * REPEATABLE READ transaction, so every part comes from the same snapshot.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Db } from "./db.ts";
import { ident, qualified } from "./db.ts";
import type { SequenceRecord } from "../../config/manifest.ts";

export interface TableInfo {
  schema: string;
  name: string;
  /** Stored (non-generated, non-dropped) columns, in attribute order. */
  columns: string[];
  /** Heap size in blocks when listed. */
  blocks: number;
}

/**
 * Tables outside `schemas`, in Supabase's own schemas (`auth.users` above all), that tables in
 * `schemas` reference by foreign key. Their definitions belong to Supabase, so a backup
 * carries only their rows: without them a restore into a new project cannot satisfy the
 * foreign keys (a clinic's members point at auth.users).
 */
export async function listReferencedSystemTables(
  db: Db,
  schemas: readonly string[],
  isSystemSchema: (schema: string) => boolean,
): Promise<TableInfo[]> {
  const rows = await db<{ schema: string; name: string; columns: string[] | null; blocks: string }[]>`
    select distinct rn.nspname as schema, r.relname as name,
           (select array_agg(a.attname order by a.attnum) from pg_attribute a
             where a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '') as columns,
           (pg_relation_size(r.oid) / current_setting('block_size')::int)::text as blocks
      from pg_constraint k
      join pg_class c on c.oid = k.conrelid join pg_namespace cn on cn.oid = c.relnamespace
      join pg_class r on r.oid = k.confrelid join pg_namespace rn on rn.oid = r.relnamespace
     where k.contype = 'f' and cn.nspname = any(${schemas as string[]}) and not (rn.nspname = any(${schemas as string[]}))
       and r.relkind = 'r'
     order by 1, 2`;
  return rows
    .filter((r) => isSystemSchema(r.schema))
    .map((r) => ({ schema: r.schema, name: r.name, columns: r.columns ?? [], blocks: Number(r.blocks) }));
}

/** A range of heap blocks: [fromBlock, toBlock), toBlock null = to the end. */
export interface BlockRange {
  fromBlock: number;
  toBlock: number | null;
}

/** Ordinary tables and leaf partitions with storage in `schemas` (partitioned parents hold no rows). */
export async function listTables(db: Db, schemas: readonly string[]): Promise<TableInfo[]> {
  const rows = await db<{ schema: string; name: string; columns: string[] | null; blocks: string }[]>`
    select n.nspname as schema, c.relname as name,
           (select array_agg(a.attname order by a.attnum) from pg_attribute a
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '') as columns,
           (pg_relation_size(c.oid) / current_setting('block_size')::int)::text as blocks
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'r' and n.nspname = any(${schemas as string[]})
       and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     order by n.nspname, c.relname`;
  return rows.map((r) => ({ schema: r.schema, name: r.name, columns: r.columns ?? [], blocks: Number(r.blocks) }));
}

/** Splits a table into block ranges of at most `blocksPerPart`; the last range is open-ended. */
export function blockRanges(blocks: number, blocksPerPart: number): BlockRange[] {
  const out: BlockRange[] = [];
  for (let from = 0; from + blocksPerPart < blocks; from += blocksPerPart) {
    out.push({ fromBlock: from, toBlock: from + blocksPerPart });
  }
  const last = out.length ? out[out.length - 1]!.toBlock! : 0;
  out.push({ fromBlock: last, toBlock: null });
  return out;
}

function columnList(columns: readonly string[]) {
  return columns.map(ident).join(", ");
}

/** COPY output arrives one row per chunk; rows are gathered into chunks of about this size. */
const COPY_OUT_CHUNK = 256 * 1024;
/** Chunks waiting for `onChunk` before the COPY stream is paused (memory bound: ~this × chunk). */
const COPY_OUT_QUEUE = 4;

/**
 * Streams one block range of a table as CSV with a header line to `onChunk`, in order, in
 * chunks of about 256 KiB, never holding more than a few chunks.
 *
 * postgres.js 3.4.9's COPY TO readable pauses the connection's socket whenever a push hits
 * the stream's high-water mark, and resumes it only from the stream's `read()` hook. When
 * that happens on the last rows, the stream ends (CopyDone was in the same TCP read) but the
 * socket stays paused, so CommandComplete/ReadyForQuery are never read and the next query
 * on the connection hangs (seen here on Node and Deno, intermittently; also why `for await`
 * and `stream.pipeline` "hang"). So: drive the stream with `data` events and explicit
 * pause()/resume(), and after `end` call its read hook once more to resume the socket.
 */
export async function copyOut(
  db: Db,
  table: TableInfo,
  range: BlockRange,
  onChunk: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  const where = [`ctid >= '(${range.fromBlock},0)'::tid`];
  if (range.toBlock !== null) where.push(`ctid < '(${range.toBlock},0)'::tid`);
  const select = table.columns.length
    ? `select ${columnList(table.columns)} from only ${qualified(table.schema, table.name)} where ${where.join(" and ")}`
    : `select from only ${qualified(table.schema, table.name)} where ${where.join(" and ")}`;
  await copySelectOut(db, select, onChunk);
}

/** Streams any SELECT's rows as CSV with a header line to `onChunk`, as copyOut does (same caveats). */
export async function copySelectOut(
  db: Db,
  select: string,
  onChunk: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  // Same postgres.js bug as copyFromStdin below (porsager/postgres#1173): an error the server
  // reports after the COPY started only reaches the query's internal `reject` — the stream
  // never ends or errors (the caller hangs) and the error surfaces as an unhandled rejection.
  // An error before the COPY starts (e.g. while sorting) never resolves readable() either.
  const query = db.unsafe(`copy (${select}) to stdout (format csv, header true)`);
  let reportServerError: (e: unknown) => void = () => {};
  const serverError = new Promise<never>((_, reject) => (reportServerError = reject));
  serverError.catch(() => {}); // observed through Promise.race below; never unhandled
  const internals = query as unknown as { reject: (e: unknown) => void; resolve: (x: unknown) => void };
  const originalReject = internals.reject;
  internals.reject = (e) => {
    query.catch(() => {}); // reported through serverError instead
    originalReject.call(query, e);
    reportServerError(e);
  };
  // The stream can be destroyed with the error in the same socket read that created it,
  // before the caller could listen: listen from the moment postgres.js hands it over.
  const originalResolve = internals.resolve;
  internals.resolve = (x) => {
    if (x && typeof (x as { on?: unknown }).on === "function") (x as Readable).on("error", reportServerError);
    originalResolve.call(query, x);
  };
  const readable = await Promise.race([query.readable(), serverError]);

  /** Resumes the connection's socket through the stream's read hook (see above). */
  const kick = () => (readable as unknown as { _read(size: number): void })._read(0);

  await new Promise<void>((resolve, reject) => {
    serverError.catch(reject);
    let buffer = new Uint8Array(COPY_OUT_CHUNK);
    let filled = 0;
    let queued = 0;
    let failure: { error: unknown } | null = null;
    let chain: Promise<void> = Promise.resolve();
    // On failure the rest of the COPY is still read and dropped: destroying the stream would
    // leave the socket paused and the caller's ROLLBACK waiting forever.
    const fail = (e: unknown) => {
      if (failure) return;
      failure = { error: e };
      readable.resume();
      kick();
    };
    const send = (chunk: Uint8Array) => {
      queued++;
      if (queued >= COPY_OUT_QUEUE) readable.pause();
      chain = chain.then(() => (failure ? undefined : onChunk(chunk))).then(() => {
        queued--;
        if (queued < COPY_OUT_QUEUE && readable.isPaused()) readable.resume();
      }, fail);
    };
    const flush = () => {
      if (filled === 0) return;
      send(buffer.subarray(0, filled));
      buffer = new Uint8Array(COPY_OUT_CHUNK);
      filled = 0;
    };
    readable.on("data", (row: Uint8Array) => {
      if (failure) return;
      if (row.length >= COPY_OUT_CHUNK) {
        flush();
        send(new Uint8Array(row));
        return;
      }
      if (filled + row.length > COPY_OUT_CHUNK) flush();
      buffer.set(row, filled);
      filled += row.length;
    });
    readable.on("end", () => {
      kick();
      flush();
      chain.then(() => (failure ? reject(failure.error) : resolve()), reject);
    });
    readable.on("error", reject);
  });
}

/**
 * Runs `copy … from stdin` and streams `chunks` into it with backpressure. Rejects — and the
 * server aborts the COPY — on any error: one the server reports (bad value, constraint) or
 * one thrown by the chunk source.
 *
 * postgres.js 3.4.9 bug worked around here (porsager/postgres#1173, fix in PR #1183): when
 * the server rejects a COPY after the last chunk was handed over, the writable never
 * finishes and the error only reaches the query's internal `reject`, ignored because the
 * query already resolved (to the writable). We wrap that `reject` to fail the COPY
 * ourselves, so the caller's transaction rolls back instead of hanging forever.
 */
export async function copyFromStdin(
  db: Pick<Db, "unsafe">,
  statement: string,
  chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): Promise<void> {
  const query = db.unsafe(statement);
  let reportServerError: (e: unknown) => void = () => {};
  const serverError = new Promise<never>((_, reject) => (reportServerError = reject));
  serverError.catch(() => {}); // observed through Promise.race below; never unhandled
  const internals = query as unknown as { reject: (e: unknown) => void };
  const originalReject = internals.reject;
  internals.reject = (e) => {
    originalReject.call(query, e);
    reportServerError(e);
  };
  const writable = await query.writable();
  await Promise.race([pipeline(Readable.from(chunks, { objectMode: false }), writable), serverError]);
}

/** Loads CSV (with header) into `schema.name (columns)`; the data arrives as chunks. */
export async function copyIn(
  db: Db,
  schema: string,
  name: string,
  columns: readonly string[],
  chunks: AsyncIterable<Uint8Array>,
): Promise<void> {
  const cols = columns.length ? ` (${columnList(columns)})` : "";
  await copyFromStdin(db, `copy ${qualified(schema, name)}${cols} from stdin (format csv, header true)`, slices(chunks));
}

/** Largest CopyData message sent; postgres.js copies each into a fresh buffer, so keep them small. */
const COPY_IN_CHUNK = 64 * 1024;

async function* slices(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) {
    for (let o = 0; o < c.length; o += COPY_IN_CHUNK) yield c.subarray(o, o + COPY_IN_CHUNK);
  }
}

/** Current values of every sequence in `schemas` (owned or standalone), for setval after data. */
export async function readSequences(db: Db, schemas: readonly string[]): Promise<SequenceRecord[]> {
  const seqs = await db<{ schema: string; name: string }[]>`
    select n.nspname as schema, c.relname as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'S' and n.nspname = any(${schemas as string[]})
       and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     order by 1, 2`;
  if (seqs.length === 0) return [];
  const union = seqs
    .map((s, i) => `select ${i} as i, last_value::text as last_value, is_called from ${qualified(s.schema, s.name)}`)
    .join(" union all ");
  const values = await db.unsafe<{ i: number; last_value: string; is_called: boolean }[]>(union);
  return values.map((v) => {
    const s = seqs[v.i]!;
    return { schema: s.schema, name: s.name, lastValue: v.last_value, isCalled: v.is_called };
  });
}

/** Restores sequence positions exactly (`setval(…, value, is_called)`). */
export async function writeSequences(db: Db, sequences: readonly SequenceRecord[]): Promise<void> {
  for (const s of sequences) {
    await db`select pg_catalog.setval(${qualified(s.schema, s.name)}::regclass, ${s.lastValue}::bigint, ${s.isCalled})`;
  }
}
