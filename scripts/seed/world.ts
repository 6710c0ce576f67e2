/**
 * The "world" of a demo dataset: row counts for a scale, and everything whose size grows with
 * the number of clinics only (clinics, their dentists, demo users, id ranges). It is built up
 * front and kept in memory; the big tables (patients, appointments, plans, …) are streamed
 * from it row by row and never held in memory.
 *
 * Id contract: every table's ids are 1..n in generation order, assigned here or by the
 * streaming generators (never by the database), so child rows can reference parents without
 * a round trip. A clinic's patients and dentists occupy contiguous id ranges.
 */
import { Rng } from "./rng.ts";
import { CITIES, SPECIALTIES, type City } from "./br-data.ts";
import { address, cnpjForIndex, emailLocal, landline, mobilePhone, person, type Address, type Person } from "./br.ts";

/** The instant the demo data is "as of": 2025-11-01 00:00 in São Paulo (UTC−3, no DST). */
export const BASE_MS = Date.parse("2025-11-01T00:00:00-03:00");
export const DAY_MS = 86_400_000;
export const YEAR_MS = 365 * DAY_MS;

/** Domain of every demo auth user; the seeder deletes users of this domain before a run. */
export const DEMO_USER_DOMAIN = "demo.orthoplus.example";

/** Rows at scale 1, calibrated so that scale 1 is about 50 MB of table data (sum of pg_table_size; measured 50.4 MB). */
export const SCALE1 = {
  clinics: 20,
  patients: 21_000,
  appointments: 115_000,
  plans: 12_000,
  documents: 15_000,
} as const;

export interface Counts {
  clinics: number;
  patients: number;
  appointments: number;
  plans: number;
  documents: number;
}

/** Row counts for `scale` (linear, with small minimums so tiny scales stay meaningful). */
export function countsFor(scale: number): Counts {
  const n = (base: number, min: number) => Math.max(min, Math.round(base * scale));
  const clinics = n(SCALE1.clinics, 2);
  return {
    clinics,
    patients: Math.max(clinics * 5, n(SCALE1.patients, 20)),
    appointments: n(SCALE1.appointments, 50),
    plans: n(SCALE1.plans, 10),
    documents: n(SCALE1.documents, 10),
  };
}

export interface DemoUser {
  id: string;
  email: string;
  createdMs: number;
}

export interface Member {
  clinicId: number;
  user: DemoUser;
  role: "owner" | "admin" | "dentist" | "receptionist";
  createdMs: number;
}

export interface Dentist {
  id: number;
  clinicId: number;
  person: Person;
  user: DemoUser | null;
  cro: string;
  specialties: string[];
  email: string | null;
  phone: string | null;
  color: string;
  active: boolean;
  createdMs: number;
}

export interface Clinic {
  id: number;
  slug: string;
  name: string;
  legalName: string;
  cnpj: string;
  city: City;
  address: Address;
  phone: string;
  whatsapp: string | null;
  email: string;
  onboardedMs: number;
  updatedMs: number;
  settings: Record<string, unknown>;
  /** Patients are ids [patientStart, patientStart + patientCount). */
  patientStart: number;
  patientCount: number;
  /** Dentists are ids [dentistStart, dentistStart + dentistCount). */
  dentistStart: number;
  dentistCount: number;
  /** Demo users who are members (for documents.uploaded_by). */
  memberUserIds: string[];
}

export interface World {
  seed: number;
  scale: number;
  counts: Counts;
  clinics: Clinic[];
  dentists: Dentist[];
  users: DemoUser[];
  members: Member[];
  /** Salt of the CPF bijection (see cpfForIndex). */
  cpfSalt: number;
  /** Cumulative patient counts, for sampling a clinic in proportion to its size. */
  cumulativePatients: number[];
}

const CLINIC_PREFIXES = ["Odonto", "Sorriso", "Clínica", "Instituto", "Espaço", "Centro Odontológico"];
const CLINIC_SUFFIXES = ["Vida", "Saúde Bucal", "Bem-Estar", "Prime", "Sorriso Feliz", "São Lucas", "Ortho+", "Dental Care", "Harmonia", "Família"];

/** "Odonto Vida São Paulo" → "odonto-vida-sao-paulo". */
function slugify(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** Builds the world for (seed, scale). Pure: same inputs, same world. */
export function buildWorld(seed: number, scale: number): World {
  const counts = countsFor(scale);
  const rng = new Rng(seed, "world");
  const cpfSalt = rng.u32();
  const clinics: Clinic[] = [];
  const dentists: Dentist[] = [];
  const users: DemoUser[] = [];
  const members: Member[] = [];

  const newUser = (p: Person, role: string, clinicId: number, createdMs: number): DemoUser => {
    const u = {
      id: rng.uuid(),
      email: `${emailLocal(p.first, p.last)}.${role}.c${clinicId}@${DEMO_USER_DOMAIN}`,
      createdMs,
    };
    users.push(u);
    return u;
  };

  // Clinic sizes: weights in [0.4, 2.0), so the biggest clinic is ~5× the smallest.
  const weights = Array.from({ length: counts.clinics }, () => 0.4 + rng.next() * 1.6);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((counts.patients * w) / totalWeight)));
  let missing = counts.patients - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; missing > 0; i = (i + 1) % sizes.length, missing--) sizes[i]!++;
  for (let i = sizes.length - 1; missing < 0; i = (i - 1 + sizes.length) % sizes.length) {
    if (sizes[i]! > 1) {
      sizes[i]!--;
      missing++;
    }
  }

  let patientStart = 1;
  let dentistId = 1;
  for (let c = 1; c <= counts.clinics; c++) {
    const city = c <= CITIES.length ? CITIES[c - 1]! : rng.pick(CITIES);
    // Clinics joined Ortho+ between 5 and 3.2 years before BASE, in id order.
    const onboardedMs = BASE_MS - 5 * YEAR_MS + Math.floor(((c - 1) / counts.clinics) * 1.8 * YEAR_MS) + rng.int(0, 20) * DAY_MS;
    const name = `${rng.pick(CLINIC_PREFIXES)} ${rng.pick(CLINIC_SUFFIXES)} ${city.name}`;
    const slug = `${slugify(name)}-${c}`;
    const owner = person(rng);
    const memberUserIds: string[] = [];

    const ownerUser = newUser(owner, "owner", c, onboardedMs);
    members.push({ clinicId: c, user: ownerUser, role: "owner", createdMs: onboardedMs });
    memberUserIds.push(ownerUser.id);
    const receptionist = newUser(person(rng), "recepcao", c, onboardedMs + DAY_MS);
    members.push({ clinicId: c, user: receptionist, role: "receptionist", createdMs: onboardedMs + DAY_MS });
    memberUserIds.push(receptionist.id);

    const dentistCount = rng.int(3, 9);
    const dentistStart = dentistId;
    for (let k = 0; k < dentistCount; k++, dentistId++) {
      const p = k === 0 ? owner : person(rng);
      const createdMs = onboardedMs + k * rng.int(0, 90) * DAY_MS;
      // The owner (also the first dentist) and one more dentist have logins.
      let user: DemoUser | null = null;
      if (k === 0) user = ownerUser;
      else if (k === 1) {
        user = newUser(p, "dentista", c, createdMs);
        members.push({ clinicId: c, user, role: "dentist", createdMs });
        memberUserIds.push(user.id);
      }
      dentists.push({
        id: dentistId,
        clinicId: c,
        person: p,
        user,
        cro: `CRO-${city.uf} ${10_000 + dentistId * 37}`,
        specialties: rng.sample(SPECIALTIES, rng.int(1, 3)),
        email: rng.chance(0.8) ? `${emailLocal(p.first, p.last)}@clinica.example` : null,
        phone: rng.chance(0.9) ? mobilePhone(rng, city.ddd) : null,
        color: `#${rng.hex(3)}`,
        active: k === 0 || rng.chance(0.9),
        createdMs,
      });
    }

    clinics.push({
      id: c,
      slug,
      name,
      legalName: `${owner.fullName} Serviços Odontológicos Ltda.`,
      cnpj: cnpjForIndex(c, rng),
      city,
      address: address(rng, city),
      phone: landline(rng, city.ddd),
      whatsapp: rng.chance(0.8) ? mobilePhone(rng, city.ddd) : null,
      email: `contato.${c}@clinica.example`,
      onboardedMs,
      updatedMs: onboardedMs + rng.int(1, 900) * DAY_MS,
      settings: {
        horario: { seg_sex: ["08:00", "18:00"], sab: rng.chance(0.5) ? ["08:00", "12:00"] : null },
        lembrete_whatsapp: rng.chance(0.7),
        antecedencia_lembrete_horas: rng.pick([12, 24, 48]),
        cor_tema: `#${rng.hex(3)}`,
        mensagem_boas_vindas: "Olá! Bem-vindo(a) à nossa clínica 😊",
      },
      patientStart,
      patientCount: sizes[c - 1]!,
      dentistStart,
      dentistCount,
      memberUserIds,
    });
    patientStart += sizes[c - 1]!;
  }

  // A network owner: clinic 1's owner also administers clinic 2 (a user in two tenants).
  if (clinics.length >= 2) {
    const u = members[0]!.user;
    members.push({ clinicId: 2, user: u, role: "admin", createdMs: clinics[1]!.onboardedMs });
    clinics[1]!.memberUserIds.push(u.id);
  }

  const cumulativePatients: number[] = [];
  let acc = 0;
  for (const c of clinics) cumulativePatients.push((acc += c.patientCount));

  return { seed, scale, counts, clinics, dentists, users, members, cpfSalt, cumulativePatients };
}

/** A clinic drawn with probability proportional to its number of patients. */
export function sampleClinic(world: World, rng: Rng): Clinic {
  const target = rng.int(1, world.counts.patients);
  const cum = world.cumulativePatients;
  let lo = 0, hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! >= target) hi = mid;
    else lo = mid + 1;
  }
  return world.clinics[lo]!;
}

/** A uniformly drawn patient id of `clinic`. */
export function samplePatient(clinic: Clinic, rng: Rng): number {
  return clinic.patientStart + rng.int(0, clinic.patientCount - 1);
}

/** A uniformly drawn dentist id of `clinic`. */
export function sampleDentist(clinic: Clinic, rng: Rng): number {
  return clinic.dentistStart + rng.int(0, clinic.dentistCount - 1);
}
