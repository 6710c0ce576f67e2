/**
 * pt-BR identity generators: CPF and CNPJ with valid check digits, names, addresses, phones.
 * All randomness comes from the `Rng` passed in, so output is determined by the seed.
 */
import type { Rng } from "./rng.ts";
import {
  BAIRROS, CITIES, COMPLEMENTOS, FEMALE_NAMES, FEMALE_SECOND, MALE_NAMES, MALE_SECOND,
  STREET_NAMES, STREET_TYPES, SURNAMES, type City,
} from "./br-data.ts";

// ---------------------------------------------------------------------------------------
// CPF / CNPJ
// ---------------------------------------------------------------------------------------

/** The two CPF check digits of a 9-digit base (Receita Federal's mod-11 rule). */
export function cpfCheckDigits(base9: string): string {
  if (!/^\d{9}$/.test(base9)) throw new Error(`CPF base must be 9 digits, got ${base9}`);
  const d = [...base9].map(Number);
  let s = 0;
  for (let i = 0; i < 9; i++) s += d[i]! * (10 - i);
  const d1 = (s * 10) % 11 % 10;
  s = 0;
  for (let i = 0; i < 9; i++) s += d[i]! * (11 - i);
  s += d1 * 2;
  const d2 = (s * 10) % 11 % 10;
  return `${d1}${d2}`;
}

/** Formats 11 digits as `000.000.000-00`. */
export function formatCpf(digits11: string): string {
  return `${digits11.slice(0, 3)}.${digits11.slice(3, 6)}.${digits11.slice(6, 9)}-${digits11.slice(9)}`;
}

/** True when `cpf` (formatted or bare) has valid check digits and is not a repeated digit. */
export function isValidCpf(cpf: string): boolean {
  const digits = cpf.replace(/[.-]/g, "");
  if (!/^\d{11}$/.test(digits) || /^(\d)\1{10}$/.test(digits)) return false;
  return cpfCheckDigits(digits.slice(0, 9)) === digits.slice(9);
}

/**
 * A formatted CPF that is unique per `index` (0 ≤ index < 10⁸) for a given `salt`. The 9-digit
 * base is the image of the index under an affine bijection of ℤ/10⁹, so no two indexes
 * collide and a unique (clinic_id, cpf) constraint always holds. The ten repeated-digit bases
 * (invalid CPFs) are replaced by the image of index + k·10⁸ (k = 1, 2, …): those preimages are
 * never used by a real index, so uniqueness survives.
 */
export function cpfForIndex(index: number, salt: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= 100_000_000) throw new Error(`CPF index out of range: ${index}`);
  // 3¹⁸ is coprime with 10⁹, so i ↦ 3¹⁸·i + salt (mod 10⁹) is a bijection. BigInt: the product exceeds 2⁵³.
  const M = 1_000_000_000n;
  const image = (i: number) => String((BigInt(i) * 387_420_489n + BigInt(salt)) % M).padStart(9, "0");
  let s = image(index);
  for (let k = 1; /^(\d)\1{8}$/.test(s); k++) s = image(index + k * 100_000_000);
  return formatCpf(s + cpfCheckDigits(s));
}

/** The two CNPJ check digits of a 12-digit base. */
export function cnpjCheckDigits(base12: string): string {
  const d = [...base12].map(Number);
  const w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
  const w2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
  let s = 0;
  for (let i = 0; i < 12; i++) s += d[i]! * w1[i]!;
  const d1 = s % 11 < 2 ? 0 : 11 - (s % 11);
  s = 0;
  for (let i = 0; i < 12; i++) s += d[i]! * w2[i]!;
  s += d1 * w2[12]!;
  const d2 = s % 11 < 2 ? 0 : 11 - (s % 11);
  return `${d1}${d2}`;
}

/** A formatted CNPJ `00.000.000/0001-00` whose 8-digit root is derived from `index`. */
export function cnpjForIndex(index: number, rng: Rng): string {
  const root = String((10_000_000 + index * 7_919 + rng.int(0, 7_000)) % 100_000_000).padStart(8, "0");
  const base = `${root}0001`;
  const d = base + cnpjCheckDigits(base);
  return `${d.slice(0, 2)}.${d.slice(2, 5)}.${d.slice(5, 8)}/${d.slice(8, 12)}-${d.slice(12)}`;
}

// ---------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------

export interface Person {
  readonly fullName: string;
  readonly first: string;
  readonly last: string;
  readonly sex: "F" | "M";
}

/** "dos Santos", "da Silva", "de Oliveira": the particle agrees with the surname's ending. */
function particleFor(surname: string): string {
  if (surname.endsWith("s")) return "dos";
  if (surname.endsWith("a")) return "da";
  return "de";
}

/** A Brazilian-style full name: given name(s), optional particle, one or two surnames. */
export function person(rng: Rng): Person {
  const sex = rng.chance(0.55) ? "F" : "M";
  const first = rng.pick(sex === "F" ? FEMALE_NAMES : MALE_NAMES);
  const parts = [first];
  if (rng.chance(0.25)) parts.push(rng.pick(sex === "F" ? FEMALE_SECOND : MALE_SECOND));
  const s1 = rng.pick(SURNAMES);
  const s2 = rng.pick(SURNAMES);
  if (rng.chance(0.35)) parts.push(particleFor(s1));
  parts.push(s1);
  if (s2 !== s1 && rng.chance(0.6)) parts.push(s2);
  const last = parts[parts.length - 1]!;
  return { fullName: parts.join(" "), first, last, sex };
}

/** ASCII, lower-case, dot-separated local part for e-mail addresses ("joao.conceicao"). */
export function emailLocal(...words: string[]): string {
  return words
    .join(".")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "");
}

// ---------------------------------------------------------------------------------------
// Addresses and phones
// ---------------------------------------------------------------------------------------

export interface Address {
  readonly street: string;
  readonly number: string;
  /** NULL when never asked, '' when asked and left blank, else text — on purpose. */
  readonly complemento: string | null;
  readonly bairro: string;
  readonly city: City;
  /** `00000-000`. */
  readonly cep: string;
}

export function address(rng: Rng, city: City): Address {
  const street = `${rng.pick(STREET_TYPES)} ${rng.pick(STREET_NAMES)}`;
  const number = rng.chance(0.03) ? "s/n" : String(rng.int(1, 4000));
  const r = rng.next();
  const complemento = r < 0.45 ? null : r < 0.65 ? "" : rng.pick(COMPLEMENTOS);
  const cep = `${String(rng.int(city.cep[0], city.cep[1])).padStart(5, "0")}-${String(rng.int(0, 999)).padStart(3, "0")}`;
  return { street, number, complemento, bairro: rng.pick(BAIRROS), city, cep };
}

export function pickCity(rng: Rng): City {
  return rng.pick(CITIES);
}

/** `(11) 98765-4321`. */
export function mobilePhone(rng: Rng, ddd: number): string {
  return `(${ddd}) 9${rng.int(6000, 9999)}-${String(rng.int(0, 9999)).padStart(4, "0")}`;
}

/** `(11) 3456-7890`. */
export function landline(rng: Rng, ddd: number): string {
  return `(${ddd}) ${rng.int(2, 5)}${String(rng.int(0, 999)).padStart(3, "0")}-${String(rng.int(0, 9999)).padStart(4, "0")}`;
}
