/**
 * The peak-RSS benchmarks' source table (main.ts and acceptance.ts): `public.bench_big`,
 * ~242 bytes of CSV per row — timestamps, words, a note with a hash, 64 bytes of bytea — so
 * 2 GiB is 8.9 M rows and compresses ~2.3× (harder than the demo's ~4×).
 */
import postgres from "postgres";
import { log } from "./lib.ts";

const GiB = 1024 ** 3;

/**
 * A table of ~`gib` GiB of CSV: timestamps, words, a note with a hash, 64 random-ish bytes.
 * Filled by two connections at once (both cores), the primary key built once at the end, then
 * vacuumed (so the backup's first read does not set hint bits): the same rows as one
 * connection inserting into an indexed table, in about half the time.
 */
export async function fillRssSource(url: string, gib: number): Promise<void> {
  const rowsWanted = Math.ceil((gib * GiB) / 242);
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  try {
    await sql.unsafe(`create table public.bench_big (
      id bigint not null, created_at timestamptz not null, kind text not null, note text not null, payload bytea not null)`);
    const batch = 500_000;
    let next = 1;
    let done = 0;
    const worker = async () => {
      while (next <= rowsWanted) {
        const from = next;
        const to = Math.min(rowsWanted, from + batch - 1);
        next = to + 1;
        await sql.unsafe(`insert into public.bench_big
          select i, timestamptz '2020-01-01' + i * interval '37 seconds',
            (array['consulta','retorno','orcamento','limpeza','canal','extracao','ortodontia'])[1 + (hashint4(i::int) & 2147483647) % 7],
            'Paciente ' || (hashint4(i::int) & 65535) || ' relata ' ||
              (array['dor leve','sensibilidade','sangramento gengival','bracket solto','nenhuma queixa'])[1 + (hashint4(i::int + 1) & 2147483647) % 5] ||
              '; obs ' || md5(i::text),
            decode(md5((i*3)::text) || md5((i*3+1)::text) || md5((i*3+2)::text) || md5((i*7)::text), 'hex')
          from generate_series(${from}::bigint, ${to}::bigint) i`);
        done += to - from + 1;
        log(`  bench_big: ${done.toLocaleString("en")} / ${rowsWanted.toLocaleString("en")} rows`);
      }
    };
    await Promise.all([worker(), worker()]);
    await sql.unsafe("alter table public.bench_big add primary key (id)");
    await sql.unsafe("vacuum analyze public.bench_big");
  } finally {
    await sql.end({ timeout: 5 });
  }
}
