/**
 * Node only: the pipeline in worker threads, one volume each, one zlib stream per thread — the
 * alternative to `zlib-blocks` (deflate.ts), which the product uses to put both cores to work
 * inside one volume. Started from `throughput.ts --workers`; this same file is the workers' entry.
 *
 * A pool is started (and its modules loaded) before the clock starts: loading through tsx
 * costs ~0.5 s per worker here, a development artefact (a bundled CLI starts a worker in
 * tens of ms). What is timed: deriving the key when encrypting (each worker derives its own,
 * in parallel) and writing the volume.
 */
import { Worker, isMainThread, parentPort } from "node:worker_threads";
import { fileEntries, loadCrypto, writeVolume } from "./pipeline.ts";

export interface Job {
  files: string[];
  level: number;
  encrypt: boolean;
  outPath: string;
}

type Reply = { ready: true } | { bytesOut: number } | { error: string };

export interface Pool {
  /** Runs job i on worker i; resolves with the total bytes stored. */
  run(jobs: Job[]): Promise<number>;
  close(): Promise<void>;
}

export async function startPool(size: number): Promise<Pool> {
  // Node 20 does not carry `--import tsx` into workers: each registers tsx, then loads this file.
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const workers = Array.from({ length: size }, () => new Worker(boot, { eval: true }));
  const next = (w: Worker) => new Promise<Reply>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    w.once("error", onError);
    w.once("message", (m: Reply) => {
      w.off("error", onError);
      resolve(m);
    });
  });
  await Promise.all(workers.map(next));
  return {
    async run(jobs) {
      if (jobs.length > workers.length) throw new Error("more jobs than workers");
      const replies = await Promise.all(jobs.map((job, i) => {
        const reply = next(workers[i]!);
        workers[i]!.postMessage(job);
        return reply;
      }));
      let total = 0;
      for (const r of replies) {
        if ("error" in r) throw new Error(r.error);
        if ("bytesOut" in r) total += r.bytesOut;
      }
      return total;
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  await loadCrypto();
  port.on("message", async (job: Job) => {
    try {
      const cm = job.encrypt ? await loadCrypto() : null;
      const key = cm ? await cm.createBackupKey("bench passphrase", { iterations: 600_000 }) : null;
      const r = await writeVolume(fileEntries(job.files), {
        // One zlib stream per worker: this row is the one-volume-per-thread alternative to zlib-blocks.
        entry: { method: "auto", level: job.level, engine: "zlib" },
        encrypt: key !== null ? { key, segmentSize: 64 * 1024 } : null,
        outPath: job.outPath,
      });
      port.postMessage({ bytesOut: r.bytesOut });
    } catch (e) {
      port.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) });
    }
  });
  port.postMessage({ ready: true });
}
