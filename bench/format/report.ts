/** Turns the benchmark's results into the Markdown tables printed by main.ts. */
import { MB, type Result, type RuntimeName } from "./lib.ts";

export interface ResticRun {
  bytesIn: number;
  seconds: number;
  cpuSeconds: number;
  peakRss: number;
  stored: number;
  initSeconds: number;
}

export interface RssRun {
  runtime: RuntimeName;
  variant: string;
  op: "backup" | "restore";
  /** RSS once the modules are loaded, before the engine runs. */
  baseRss: number;
  /** Peaks of process.memoryUsage() fields, sampled every 100 ms. */
  sampledPeaks: Record<string, number>;
  seconds: number;
  wallWithStartup: number;
  cpuSeconds: number;
  peakRssTimeV: number;
  peakRssSelf: number;
  bytes: number;
  bytesOut?: number;
  rows: number;
  volumes?: number;
  verified?: boolean;
}

export interface AllResults {
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  corpora?: Record<string, number>;
  results: Result[];
  restic: ResticRun[];
  rss: RssRun[];
  notes: string[];
  /** versus.ts's table: Cofre vs restic in interleaved rounds (ratios within a round). */
  versus?: string;
  totalSeconds?: number;
  load?: number[];
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? "" : `${Math.round(x * 100)} %`);
const speed = (r: Result) => r.bytesIn / MB / r.seconds;
const perCpu = (r: Result) => r.bytesIn / MB / r.cpuSeconds;
const MiB = 2 ** 20;

/** The node:zlib / node:crypto row a stage is compared with (same corpus). */
function refName(r: Result): string | "hasher" | null {
  if (r.group === "limit" || r.name.includes("store") || r.name.includes("auto")) return null;
  if (r.name === "Crc32") return "node:zlib crc32 (native)";
  if (r.name.includes("StoredObjectHasher")) return "hasher";
  if (/AES|encrypt/.test(r.name) && r.group === "stage") return "node:crypto AES-256-GCM";
  if (/\bL1\b/.test(r.name)) return "node:zlib deflateRaw L1";
  if (/\bL2\b/.test(r.name)) return "node:zlib deflateRaw L2";
  if (/\bL6\b/.test(r.name) || r.name.includes("CompressionStream")) return "node:zlib deflateRaw L6";
  return null;
}

/** The reference's wall-clock MB/s and MB per CPU-second (same runtime, same corpus). */
function refOf(rs: Result[], rt: RuntimeName, corpus: string, ref: string): { wall: number; cpu: number } {
  const find = (n: string) => rs.find((x) => x.runtime === rt && x.corpus === corpus && x.name === n);
  if (ref === "hasher") {
    const a = find("node:crypto SHA-256");
    const b = find("node:crypto MD5");
    return a && b
      ? { wall: 1 / (1 / speed(a) + 1 / speed(b)), cpu: 1 / (1 / perCpu(a) + 1 / perCpu(b)) }
      : { wall: NaN, cpu: NaN };
  }
  const x = find(ref);
  return x ? { wall: speed(x), cpu: perCpu(x) } : { wall: NaN, cpu: NaN };
}

function corpusTable(all: AllResults, corpus: string): string {
  const rs = all.results;
  const names: { group: string; name: string }[] = [];
  for (const r of rs) {
    if (r.corpus === corpus && !names.some((n) => n.name === r.name)) names.push({ group: r.group, name: r.name });
  }
  if (!names.length) return "";
  const lines = [
    "| group | stage | Node MB/s | Node MB per CPU-s | Node vs ref: wall · CPU | Node size ratio | Deno MB/s | Deno MB per CPU-s | Deno vs Node's ref: wall · CPU (vs Deno's own, CPU) | Deno size ratio |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const { group, name } of names) {
    const n = rs.find((r) => r.runtime === "node" && r.corpus === corpus && r.name === name);
    const d = rs.find((r) => r.runtime === "deno" && r.corpus === corpus && r.name === name);
    const ref = refName((n ?? d)!);
    let nVs = "";
    let dVs = "";
    if (ref) {
      const nodeRef = refOf(rs, "node", corpus, ref);
      const denoRef = refOf(rs, "deno", corpus, ref);
      if (n) nVs = `${pct(speed(n) / nodeRef.wall)} · ${pct(perCpu(n) / nodeRef.cpu)}`;
      if (d) dVs = `${pct(speed(d) / nodeRef.wall)} · ${pct(perCpu(d) / nodeRef.cpu)} (${pct(perCpu(d) / denoRef.cpu)})`;
    } else if (group === "limit" && d && n) {
      dVs = `${pct(speed(d) / speed(n))} · ${pct(perCpu(d) / perCpu(n))}`;
    }
    if (name.includes("store") || name.includes("auto")) {
      const mark = (r?: Result) => (r ? `${speed(r) >= 200 ? "≥ 200 ✓" : "< 200 ✗"} · ${perCpu(r) >= 200 ? "≥ 200 ✓" : "< 200 ✗"}` : "");
      nVs = mark(n);
      dVs = mark(d);
    }
    const compresses = /deflate|Deflater|CompressionStream|ZipWriter|zlib L|zlib deflate|\+ zlib|gzip|^zip /i.test(name) && !name.includes("crc32 (native)");
    const ratio = (r?: Result) => (r && compresses && r.bytesOut > 0 ? f2(r.bytesIn / r.bytesOut) : "");
    const cells = (r?: Result) => (r ? [f1(speed(r)), f1(perCpu(r))] : ["", ""]);
    lines.push(`| ${group} | ${name} | ${cells(n).join(" | ")} | ${nVs} | ${ratio(n)} | ${cells(d).join(" | ")} | ${dVs} | ${ratio(d)} |`);
  }
  return lines.join("\n");
}

function mixedTable(all: AllResults): string {
  const rs = all.results.filter((r) => r.corpus === "mixed");
  if (!rs.length && !all.restic.length) return "";
  const lines = [
    "| run | wall s | MB/s | CPU s | stored MB | size ratio | vs restic (time) |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  const restic = all.restic.length ? [...all.restic].sort((a, b) => a.seconds - b.seconds)[0]! : null;
  if (restic) {
    lines.push(`| restic backup (repo v2, compression auto, --no-cache), 2 cores | ${f2(restic.seconds)} | ${f1(restic.bytesIn / MB / restic.seconds)} | ${f2(restic.cpuSeconds)} | ${f1(restic.stored / MB)} | ${f2(restic.bytesIn / restic.stored)} | 1.00× |`);
  }
  for (const r of rs) {
    const vs = restic ? `${f2(restic.seconds / r.seconds)}×` : "";
    lines.push(`| ${r.runtime}: ${r.name} | ${f2(r.seconds)} | ${f1(speed(r))} | ${f2(r.cpuSeconds)} | ${f1(r.bytesOut / MB)} | ${f2(r.bytesIn / r.bytesOut)} | ${vs} |`);
  }
  const runs = all.restic.map((r) => `${f2(r.seconds)} s`).join(", ");
  return lines.join("\n") + `\n\nrestic runs: ${runs} (the fastest is compared). "vs restic" > 1 means faster than restic. ` +
    "restic's time includes opening its repository (scrypt); the `+enc` runs include deriving the key (PBKDF2, 600,000 iterations).";
}

function rssTable(all: AllResults): string {
  if (!all.rss.length) return "";
  const mib = (x: number | undefined) => f1((x ?? NaN) / MiB);
  const lines = [
    "| started as | op | CSV GiB | rows | s | MB/s | CPU s | peak RSS (time -v) MiB | floor MiB | peak heapTotal / heapUsed / external / arrayBuffers MiB | < 128 MiB | rows checked |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
  ];
  for (const r of all.rss) {
    const p = r.sampledPeaks ?? {};
    const peakRss = Math.max(r.peakRssTimeV, r.peakRssSelf);
    lines.push(`| ${r.variant} | ${r.op} | ${f2(r.bytes / 2 ** 30)} | ${r.rows.toLocaleString("en")} | ${f1(r.seconds)} | ${f1(r.bytes / MB / r.seconds)} | ${f1(r.cpuSeconds)} | ${mib(peakRss)} | ${mib(r.baseRss)} | ${mib(p.heapTotal)} / ${mib(p.heapUsed)} / ${mib(p.external)} / ${mib(p.arrayBuffers)} | ${peakRss < 128 * MiB ? "yes" : "**no**"} | ${r.op === "restore" ? (r.verified ? "yes" : "**no**") : ""} |`);
  }
  const b = all.rss.find((r) => r.op === "backup" && r.bytesOut);
  if (b) lines.push("", `Backup stored ${f1(b.bytesOut! / MB)} MB for ${f1(b.bytes / MB)} MB of CSV (ratio ${f2(b.bytes / b.bytesOut!)}) in ${b.volumes} volumes (compression level 6, the engine's default).`);
  return lines.join("\n");
}

export function renderMarkdown(all: AllResults): string {
  const m = all.machine;
  const out = [
    `### Run of ${String(m.date).slice(0, 10)}`,
    "",
    `Machine: ${m.nproc} cores (${m.cpu}), ${m.ramGiB} GiB RAM, ${m.os}; Node ${m.node}, ${m.deno}, ${m.restic}. ` +
      `Settings: ${JSON.stringify(all.settings)}; encryption module present: ${m.cryptoModule ? "yes" : "no"}.`,
    all.corpora ? `Corpora: text ${f1(all.corpora.text! / MB)} MB, random ${f1(all.corpora.random! / MB)} MB, mixed ${f1(all.corpora.mixed! / MB)} MB. MB = 10^6 bytes; fastest of the repetitions.` : "",
    all.load ? `1-minute load average: ${all.load.map((x) => x.toFixed(2)).join(" → ")} (start → after throughput → end; other jobs share this machine).` : "",
    "",
    "#### Text corpus (a): demo database export, CSV",
    "",
    corpusTable(all, "text"),
    "",
    "#### Incompressible corpus (b): random bytes",
    "",
    corpusTable(all, "random"),
    "",
    "#### Corpus (c): half text, half random, from files to volume files on disk, vs restic",
    "",
    mixedTable(all),
    "",
    ...(all.versus ? ["#### Corpus (c) vs restic, interleaved rounds (versus.ts)", "", all.versus, ""] : []),
    "#### Peak RSS through the engine (runBackup / runRestore, file:// destination)",
    "",
    rssTable(all),
    "",
    all.notes.length ? `Notes: ${all.notes.join("; ")}` : "",
    all.totalSeconds ? `Whole run: ${Math.round(all.totalSeconds)} s.` : "",
  ];
  return out.join("\n");
}
