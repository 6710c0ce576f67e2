/**
 * Small tables straight from the world: demo auth users, clinics, memberships, dentists, and
 * the procedure catalogue.
 */
import { bool, json, line, money, num, text, textArray, ts } from "../copy.ts";
import { PROCEDURES } from "../procedures.ts";
import type { TableSpec } from "./spec.ts";

/** Only the columns every auth.users has (Supabase's and the local stack's). */
export const authUsers: TableSpec = {
  table: "auth.users",
  columns: ["id", "email", "created_at"],
  owned: false,
  *lines(world) {
    for (const u of world.users) yield line(u.id, text(u.email), ts(u.createdMs));
  },
};

export const clinics: TableSpec = {
  table: "public.clinics",
  columns: [
    "id", "slug", "name", "legal_name", "cnpj", "phone", "whatsapp", "email", "street", "number",
    "complemento", "bairro", "cidade", "uf", "cep", "settings", "created_at", "updated_at",
  ],
  owned: true,
  *lines(world) {
    for (const c of world.clinics) {
      const a = c.address;
      yield line(
        num(c.id), text(c.slug), text(c.name), text(c.legalName), text(c.cnpj), text(c.phone),
        text(c.whatsapp), text(c.email), text(a.street), text(a.number), text(a.complemento),
        text(a.bairro), text(a.city.name), a.city.uf, a.cep, json(c.settings), ts(c.onboardedMs), ts(c.updatedMs),
      );
    }
  },
};

export const clinicMembers: TableSpec = {
  table: "public.clinic_members",
  columns: ["clinic_id", "user_id", "role", "created_at"],
  owned: true,
  *lines(world) {
    for (const m of world.members) yield line(num(m.clinicId), m.user.id, m.role, ts(m.createdMs));
  },
};

export const dentists: TableSpec = {
  table: "public.dentists",
  columns: ["id", "clinic_id", "user_id", "full_name", "cro", "specialties", "email", "phone", "agenda_color", "active", "created_at"],
  owned: true,
  *lines(world) {
    for (const d of world.dentists) {
      yield line(
        num(d.id), num(d.clinicId), text(d.user?.id ?? null), text(d.person.fullName), text(d.cro),
        textArray(d.specialties), text(d.email), text(d.phone), d.color, bool(d.active), ts(d.createdMs),
      );
    }
  },
};

export const procedures: TableSpec = {
  table: "public.procedures",
  columns: ["id", "tuss_code", "description", "category", "default_price", "per_tooth", "active"],
  owned: true,
  *lines() {
    let id = 1;
    for (const p of PROCEDURES) {
      yield line(num(id), p.code, text(p.description), text(p.category), money(p.priceCents), bool(p.perTooth), bool(id % 17 !== 0));
      id++;
    }
  },
};
