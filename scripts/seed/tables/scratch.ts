/**
 * Tables a backup excludes by default — they exist so tests can prove the exclusion:
 * `_temp_import_batches` (six rows at any scale) and `report_cache` (three rows per clinic).
 */
import { json, line, num, text, ts } from "../copy.ts";
import { Rng } from "../rng.ts";
import { BASE_MS, DAY_MS } from "../world.ts";
import type { TableSpec } from "./spec.ts";

export const tempImportBatches: TableSpec = {
  table: "public._temp_import_batches",
  columns: ["id", "clinic_id", "source_file", "rows_total", "rows_failed", "payload", "started_at", "finished_at"],
  owned: true,
  *lines(world) {
    const rng = new Rng(world.seed, "_temp_import_batches");
    for (let id = 1; id <= 6; id++) {
      const clinic = world.clinics[(id - 1) % world.clinics.length]!;
      const startedMs = BASE_MS - rng.int(1, 20) * DAY_MS;
      const total = rng.int(50, 3000);
      const failed = rng.int(0, 12);
      yield line(
        num(id), num(clinic.id), text(`pacientes_exportados_${id}.csv`), num(total), num(failed),
        json({
          separador: ";",
          codificacao: rng.chance(0.5) ? "ISO-8859-1" : "UTF-8",
          mapeamento: { Nome: "full_name", CPF: "cpf", "Data de Nascimento": "birth_date" },
          erros: Array.from({ length: Math.min(failed, 3) }, (_, i) => ({ linha: rng.int(2, total), erro: i % 2 ? "CPF inválido" : "Data fora do formato dd/mm/aaaa" })),
        }),
        ts(startedMs), ts(id === 6 ? null : startedMs + rng.int(5, 300) * 1000),
      );
    }
  },
};

export const reportCache: TableSpec = {
  table: "public.report_cache",
  columns: ["clinic_id", "report_key", "payload", "computed_at", "expires_at"],
  owned: true,
  *lines(world) {
    const rng = new Rng(world.seed, "report_cache");
    for (const c of world.clinics) {
      const computedMs = BASE_MS - rng.int(1, 600) * 60_000;
      const reports: [string, unknown][] = [
        ["faturamento_mensal:2025-10", { total: rng.int(20_000, 400_000), moeda: "BRL", por_forma: { pix: rng.int(1, 60), cartao: rng.int(1, 40) } }],
        ["agenda_semana:2025-W45", { consultas: rng.int(20, 300), faltas: rng.int(0, 20), ocupacao: Math.round(rng.next() * 100) / 100 }],
        ["inadimplencia", { pacientes: rng.int(0, 80), valor: rng.int(0, 90_000), atualizado: "há 5 minutos ⏱️" }],
      ];
      for (const [key, payload] of reports) {
        yield line(num(c.id), text(key), json(payload), ts(computedMs), ts(computedMs + DAY_MS));
      }
    }
  },
};
