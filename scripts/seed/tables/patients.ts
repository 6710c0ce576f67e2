/**
 * public.patients: pt-BR identities (valid CPFs, unique per clinic), addresses, NULL-vs-''
 * optional fields, allergies text[], anamnesis jsonb, notes with accents and emoji.
 */
import { ALLERGIES, CITIES, FEMALE_NAMES, HEALTH_PLANS, MALE_NAMES, MEDICATIONS, NOTE_FRAGMENTS } from "../br-data.ts";
import { address, cpfForIndex, emailLocal, landline, mobilePhone, person, type Person } from "../br.ts";
import { date, json, line, num, text, textArray, ts } from "../copy.ts";
import { Rng } from "../rng.ts";
import { BASE_MS, DAY_MS, YEAR_MS } from "../world.ts";
import type { TableSpec } from "./spec.ts";

const MAIL_DOMAINS = ["mail.example", "correio.example", "webmail.example", "provedor.example"];
const SURGERIES = ["Apendicectomia", "Cesárea", "Colecistectomia", "Amigdalectomia", "Cirurgia cardíaca", "Artroscopia de joelho"];
const COMPLAINTS = [
  "Dor ao mastigar do lado direito", "Sangramento na gengiva ao escovar", "Quer clarear os dentes ✨",
  "Dente quebrado após queda", "Avaliação para aparelho", "Mau hálito", "Sensibilidade ao gelado 🥶",
  "Check-up semestral", "Dor de cabeça ao acordar (bruxismo?)", "Quer implante no lugar do 46",
];

/** Free-text note: NULL, '' or one or two fragments. */
export function note(rng: Rng, pNull: number, pEmpty: number): string | null {
  const r = rng.next();
  if (r < pNull) return null;
  if (r < pNull + pEmpty) return "";
  const first = rng.pick(NOTE_FRAGMENTS);
  return rng.chance(0.3) ? `${first}${rng.chance(0.5) ? " · " : "\n"}${rng.pick(NOTE_FRAGMENTS)}` : first;
}

function anamnesis(rng: Rng, p: Person, ageYears: number, filledMs: number): Record<string, unknown> {
  const meds = rng.chance(0.35) ? rng.sample(MEDICATIONS, rng.int(1, 3)) : [];
  return {
    versao: rng.chance(0.8) ? 2 : 1,
    preenchida_em: new Date(filledMs).toISOString(),
    hipertensao: ageYears > 40 && rng.chance(0.3),
    diabetes: rng.chance(0.05) ? null : ageYears > 35 && rng.chance(0.12),
    cardiopatia: rng.chance(0.04),
    gestante: p.sex === "F" && ageYears > 16 && ageYears < 45 ? rng.chance(0.06) : null,
    fumante: rng.chance(0.14),
    sangramento_excessivo: rng.chance(0.05),
    medicamentos: meds,
    cirurgias_previas: rng.chance(0.2) ? [`${rng.pick(SURGERIES)} (${rng.int(1990, 2024)})`] : [],
    pressao_arterial: rng.chance(0.6) ? `${rng.int(10, 15)}x${rng.int(6, 10)}` : null,
    habitos: {
      escovacoes_dia: rng.int(1, 4),
      fio_dental: rng.chance(0.45),
      bruxismo: rng.chance(0.2),
      roer_unhas: rng.chance(0.1),
    },
    queixa_principal: rng.pick(COMPLAINTS),
    "observações": rng.chance(0.3) ? "Paciente refere medo de agulha 😰" : "",
  };
}

export const patients: TableSpec = {
  table: "public.patients",
  columns: [
    "id", "clinic_id", "full_name", "social_name", "cpf", "birth_date", "sex", "email", "phone",
    "phone_alt", "street", "number", "complemento", "bairro", "cidade", "uf", "cep", "health_plan",
    "health_plan_card", "allergies", "anamnesis", "notes", "lgpd_consent_at", "created_at",
    "updated_at", "deleted_at",
  ],
  owned: true,
  *lines(world) {
    const rng = new Rng(world.seed, "patients");
    for (const clinic of world.clinics) {
      const end = clinic.patientStart + clinic.patientCount;
      for (let id = clinic.patientStart; id < end; id++) {
        const p = person(rng);
        const ageYears = rng.chance(0.15) ? rng.int(3, 14) : rng.int(15, 88);
        const birthMs = BASE_MS - ageYears * YEAR_MS - rng.int(0, 364) * DAY_MS;
        // 70 % imported when the clinic joined, the rest registered since.
        const createdMs = rng.chance(0.7)
          ? clinic.onboardedMs + rng.int(0, 30 * 24 * 60) * 60_000
          : clinic.onboardedMs + rng.int(0, Math.floor((BASE_MS - clinic.onboardedMs) / 60_000)) * 60_000;
        const updatedMs = rng.chance(0.5) ? createdMs : Math.min(BASE_MS, createdMs + rng.int(1, 700) * DAY_MS);
        const city = rng.chance(0.9) ? clinic.city : rng.pick(CITIES);
        const a = address(rng, city);
        const sexR = rng.next();
        const sex = sexR < 0.02 ? null : sexR < 0.03 ? "X" : p.sex;
        const emailR = rng.next();
        const email = emailR < 0.15 ? null : emailR < 0.18 ? "" : `${emailLocal(p.first, p.last)}${rng.chance(0.4) ? rng.int(1, 99) : ""}@${rng.pick(MAIL_DOMAINS)}`;
        const altR = rng.next();
        const phoneAlt = altR < 0.6 ? null : altR < 0.75 ? "" : landline(rng, city.ddd);
        const plan = rng.chance(0.45) ? null : rng.pick(HEALTH_PLANS);
        const allergyR = rng.next();
        const allergies = allergyR < 0.1 ? null : allergyR < 0.75 ? [] : rng.sample(ALLERGIES, rng.chance(0.9) ? 1 : rng.int(2, 3));
        const socialName = rng.chance(0.01) ? rng.pick(p.sex === "F" ? MALE_NAMES : FEMALE_NAMES) : null;
        yield line(
          num(id), num(clinic.id), text(p.fullName), text(socialName), cpfForIndex(id - 1, world.cpfSalt), date(birthMs),
          text(sex), text(email), text(rng.chance(0.97) ? mobilePhone(rng, city.ddd) : null), text(phoneAlt),
          text(a.street), text(a.number), text(a.complemento), text(a.bairro), text(city.name), city.uf, a.cep,
          text(plan), text(plan && plan !== "Particular" ? rng.hex(8).replace(/[a-f]/g, (c) => String(c.charCodeAt(0) % 10)) : null),
          textArray(allergies), json(rng.chance(0.15) ? null : anamnesis(rng, p, ageYears, createdMs)),
          text(note(rng, 0.55, 0.08)), ts(rng.chance(0.3) ? null : createdMs + rng.int(0, 600) * 1000),
          ts(createdMs), ts(updatedMs), ts(rng.chance(0.02) ? updatedMs : null),
        );
      }
    }
  },
};
