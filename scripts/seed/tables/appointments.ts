/**
 * public.appointments: three years of agenda plus 90 days ahead, in chronological id order,
 * Monday–Saturday, 08:00–17:30 São Paulo time. Past appointments are completed, cancelled or
 * no-shows; future ones scheduled, confirmed or cancelled.
 */
import { intArray, line, num, text, ts } from "../copy.ts";
import { Rng } from "../rng.ts";
import { BASE_MS, DAY_MS, YEAR_MS, sampleClinic, sampleDentist, samplePatient } from "../world.ts";
import { note } from "./patients.ts";
import type { TableSpec } from "./spec.ts";

const REASONS = [
  "Avaliação", "Retorno", "Limpeza", "Dor de dente", "Manutenção do aparelho", "Canal — sessão 2",
  "Clareamento", "Urgência", "Extração", "Moldagem para prótese", "Instalação de implante",
  "Consulta infantil 🧸", "Revisão pós-operatória", "Orçamento",
];

/** A random FDI tooth number (11–48 permanent; 51–85 deciduous for `child`). */
export function tooth(rng: Rng, child = false): number {
  return child ? rng.int(5, 8) * 10 + rng.int(1, 5) : rng.int(1, 4) * 10 + rng.int(1, 8);
}

const START_MS = BASE_MS - 3 * YEAR_MS;
const SPAN_DAYS = 3 * 365 + 90;
const SP_OFFSET_MS = 3 * 3_600_000; // São Paulo is UTC−3 all year.

export const appointments: TableSpec = {
  table: "public.appointments",
  columns: [
    "id", "clinic_id", "patient_id", "dentist_id", "starts_at", "ends_at", "status", "teeth", "reason",
    "notes", "reminder_sent_at", "created_at", "updated_at",
  ],
  owned: true,
  *lines(world) {
    const rng = new Rng(world.seed, "appointments");
    const n = world.counts.appointments;
    for (let i = 0; i < n; i++) {
      const id = i + 1;
      let dayMs = START_MS + Math.floor((i * SPAN_DAYS) / n) * DAY_MS;
      if (new Date(dayMs + SP_OFFSET_MS).getUTCDay() === 0) dayMs += DAY_MS; // no Sundays
      const startsMs = dayMs + SP_OFFSET_MS + (8 * 60 + rng.int(0, 19) * 30) * 60_000;
      const endsMs = startsMs + rng.pick([30, 30, 45, 60, 60, 90]) * 60_000;
      const clinic = sampleClinic(world, rng);
      const past = startsMs < BASE_MS;
      const status = past
        ? rng.weighted({ completed: 80, cancelled: 9, no_show: 11 })
        : rng.weighted({ scheduled: 55, confirmed: 38, cancelled: 7 });
      const teethR = rng.next();
      const teeth = teethR < 0.45 ? null : teethR < 0.5 ? [] : Array.from({ length: rng.int(1, 3) }, () => tooth(rng));
      const createdMs = startsMs - rng.int(1, 45) * DAY_MS - rng.int(0, 600) * 60_000;
      const reminder = status !== "cancelled" && rng.chance(0.7) ? startsMs - DAY_MS - rng.int(0, 120) * 60_000 : null;
      const updatedMs = past ? endsMs + rng.int(0, 240) * 60_000 : status === "scheduled" ? createdMs : Math.min(BASE_MS, startsMs - DAY_MS);
      yield line(
        num(id), num(clinic.id), num(samplePatient(clinic, rng)), num(sampleDentist(clinic, rng)),
        ts(startsMs), ts(endsMs), status, intArray(teeth), text(rng.chance(0.1) ? null : rng.pick(REASONS)),
        text(note(rng, 0.7, 0.05)), ts(reminder), ts(createdMs), ts(Math.max(createdMs, updatedMs)),
      );
    }
  },
};
