/**
 * Treatment plans, their items, invoices and payments — four tables from one generator.
 *
 * Each plan and everything hanging off it (items, at most one invoice, its payments) is
 * derived from a PRNG stream of its own, `Rng(seed, "plan", planId)`. The loader streams the
 * four tables one after the other, each time re-running `planFamilies()` and keeping only its
 * part; the re-runs agree, so ids and amounts match across tables without holding anything
 * in memory. Money is integer cents until it is written.
 */
import { date, json, line, money, num, text, ts } from "../copy.ts";
import { PLAN_TITLES } from "../br-data.ts";
import { PROCEDURES } from "../procedures.ts";
import { Rng } from "../rng.ts";
import { BASE_MS, DAY_MS, YEAR_MS, sampleClinic, sampleDentist, samplePatient, type World } from "../world.ts";
import { tooth } from "./appointments.ts";
import type { TableSpec } from "./spec.ts";

type PlanStatus = "draft" | "approved" | "in_progress" | "completed" | "cancelled";
type InvoiceStatus = "open" | "partially_paid" | "paid" | "overdue" | "void";
type Method = "pix" | "credit_card" | "debit_card" | "boleto" | "cash" | "health_plan";

interface Item { id: number; position: number; procedureId: number; tooth: number | null; quantity: number; unitCents: number; doneMs: number | null }
interface Invoice { id: number; number: string; issuedMs: number; dueMs: number; amountCents: number; status: InvoiceStatus; nfse: string | null }
interface Payment { id: number; paidMs: number; amountCents: number; method: Method; installments: number; gatewayRef: string | null; details: unknown }

interface PlanFamily {
  id: number;
  clinicId: number;
  patientId: number;
  dentistId: number;
  title: string;
  status: PlanStatus;
  approvedMs: number | null;
  /** Discount in basis points (500 = 5.00 %). */
  discountBp: number;
  createdMs: number;
  updatedMs: number;
  items: Item[];
  invoice: Invoice | null;
  payments: Payment[];
}

const CARD_BRANDS = ["visa", "mastercard", "elo", "amex", "hipercard"];

/** Splits `total` cents into `k` positive parts (the last takes the remainder). */
function split(total: number, k: number): number[] {
  const part = Math.floor(total / k);
  return Array.from({ length: k }, (_, i) => (i === k - 1 ? total - part * (k - 1) : part));
}

function payment(rng: Rng, id: number, paidMs: number, amountCents: number, payer: string): Payment {
  const method = rng.weighted<Method>({ pix: 40, credit_card: 25, debit_card: 10, boleto: 10, cash: 10, health_plan: 5 });
  let gatewayRef: string | null = null;
  let details: unknown = null;
  let installments = 1;
  if (method === "pix") {
    gatewayRef = `E${rng.hex(16)}`;
    details = { txid: rng.hex(13), pagador: payer, chave: rng.chance(0.5) ? "cnpj" : "aleatoria" };
  } else if (method === "credit_card" || method === "debit_card") {
    installments = method === "credit_card" ? rng.pick([1, 1, 2, 3, 6, 10, 12]) : 1;
    gatewayRef = `ch_${rng.hex(12)}`;
    details = { bandeira: rng.pick(CARD_BRANDS), final: String(rng.int(0, 9999)).padStart(4, "0"), nsu: rng.int(100000, 999999) };
  } else if (method === "boleto") {
    gatewayRef = Array.from({ length: 47 }, () => rng.int(0, 9)).join("");
  } else if (method === "health_plan") {
    details = { guia: `G${rng.int(1_000_000, 9_999_999)}`, glosa: rng.chance(0.1) };
  }
  return { id, paidMs, amountCents, method, installments, gatewayRef, details };
}

/** The plan families in id order. Counters (item, invoice, payment ids, invoice numbers per clinic) are O(clinics). */
function* planFamilies(world: World): Generator<PlanFamily> {
  let itemId = 1, invoiceId = 1, paymentId = 1;
  const invoiceSeq = new Map<number, number>();
  const n = world.counts.plans;
  const start = BASE_MS - 3 * YEAR_MS;
  for (let id = 1; id <= n; id++) {
    const rng = new Rng(world.seed, "plan", id);
    const clinic = sampleClinic(world, rng);
    // Created in id order over the three years before BASE (at least a day before it).
    const createdMs = start + Math.floor(((id - 1) / n) * (3 * YEAR_MS - 2 * DAY_MS)) + rng.int(8 * 60, 18 * 60) * 60_000 + 3 * 3_600_000;
    const old = BASE_MS - createdMs > 120 * DAY_MS;
    const status = rng.weighted<PlanStatus>(
      old ? { draft: 3, approved: 5, in_progress: 12, completed: 65, cancelled: 15 } : { draft: 25, approved: 30, in_progress: 35, completed: 5, cancelled: 5 },
    );
    const approvedMs = status === "draft" || (status === "cancelled" && rng.chance(0.7))
      ? null
      : Math.min(BASE_MS - 60_000, createdMs + rng.int(0, 20) * DAY_MS);
    const discountBp = rng.chance(0.6) ? 0 : rng.pick([250, 500, 1000, 1500, 1250, 2000, 10000]);
    const child = rng.chance(0.15);

    const items: Item[] = [];
    const itemCount = rng.int(1, 6);
    let totalCents = 0;
    for (let pos = 1; pos <= itemCount; pos++) {
      const procIdx = rng.int(0, PROCEDURES.length - 1);
      const proc = PROCEDURES[procIdx]!;
      const quantity = proc.perTooth ? 1 : rng.chance(0.15) ? rng.int(2, 4) : 1;
      const unitCents = Math.max(0, Math.round((proc.priceCents * (0.8 + rng.next() * 0.4)) / 500) * 500);
      const done = status === "completed" || (status === "in_progress" && rng.chance(0.5));
      items.push({
        id: itemId++, position: pos, procedureId: procIdx + 1, tooth: proc.perTooth ? tooth(rng, child) : null,
        quantity, unitCents, doneMs: done && approvedMs !== null ? Math.min(BASE_MS - DAY_MS, approvedMs + rng.int(1, 180) * DAY_MS) : null,
      });
      totalCents += quantity * unitCents;
    }
    const amountCents = Math.round((totalCents * (10_000 - discountBp)) / 10_000);

    let invoice: Invoice | null = null;
    const payments: Payment[] = [];
    if (approvedMs !== null && status !== "cancelled" && rng.chance(0.9)) {
      const seq = (invoiceSeq.get(clinic.id) ?? 0) + 1;
      invoiceSeq.set(clinic.id, seq);
      const issuedMs = Math.min(BASE_MS - 60_000, approvedMs + rng.int(0, 5) * DAY_MS);
      const dueMs = issuedMs + rng.pick([0, 7, 15, 30, 30, 60]) * DAY_MS;
      const fate = rng.weighted({ paid: 60, partial: 15, unpaid: 22, void: 3 });
      const payer = rng.chance(0.8) ? "titular" : "responsável";
      let paidCents = 0;
      if ((fate === "paid" || fate === "partial") && amountCents > 0) {
        const target = fate === "paid" ? amountCents : Math.max(1, Math.floor(amountCents * (0.2 + rng.next() * 0.6)));
        const parts = split(target, target >= 300 ? rng.int(1, 3) : 1);
        let paidMs = issuedMs;
        for (const cents of parts) {
          paidMs = Math.min(BASE_MS - 60_000, paidMs + rng.int(0, 35) * DAY_MS + rng.int(8 * 60, 19 * 60) * 60_000);
          payments.push(payment(rng, paymentId++, paidMs, cents, payer));
          paidCents += cents;
        }
      }
      const status: InvoiceStatus =
        fate === "void" ? "void"
        : paidCents >= amountCents ? "paid"
        : paidCents > 0 ? "partially_paid"
        : dueMs < BASE_MS ? "overdue" : "open";
      invoice = {
        id: invoiceId++,
        number: `${new Date(issuedMs).getUTCFullYear()}/${String(seq).padStart(6, "0")}`,
        issuedMs, dueMs, amountCents, status,
        nfse: status === "paid" && rng.chance(0.6) ? String(rng.int(1, 99_999)).padStart(8, "0") : null,
      };
    }

    const updatedMs = Math.min(BASE_MS, Math.max(createdMs, approvedMs ?? createdMs, ...items.map((i) => i.doneMs ?? 0)));
    yield {
      id, clinicId: clinic.id, patientId: samplePatient(clinic, rng), dentistId: sampleDentist(clinic, rng),
      title: rng.chance(0.1) ? `${rng.pick(PLAN_TITLES)} (2ª fase)` : rng.pick(PLAN_TITLES),
      status, approvedMs, discountBp, createdMs, updatedMs, items, invoice, payments,
    };
  }
}

export const treatmentPlans: TableSpec = {
  table: "public.treatment_plans",
  columns: ["id", "clinic_id", "patient_id", "dentist_id", "title", "status", "approved_on", "discount_pct", "created_at", "updated_at"],
  owned: true,
  *lines(world) {
    for (const f of planFamilies(world)) {
      yield line(
        num(f.id), num(f.clinicId), num(f.patientId), num(f.dentistId), text(f.title), f.status,
        date(f.approvedMs), money(f.discountBp), ts(f.createdMs), ts(f.updatedMs),
      );
    }
  },
};

export const treatmentPlanItems: TableSpec = {
  table: "public.treatment_plan_items",
  columns: ["id", "plan_id", "position", "procedure_id", "tooth", "quantity", "unit_price", "done_at"],
  owned: true,
  *lines(world) {
    for (const f of planFamilies(world)) {
      for (const i of f.items) {
        yield line(num(i.id), num(f.id), num(i.position), num(i.procedureId), num(i.tooth), num(i.quantity), money(i.unitCents), ts(i.doneMs));
      }
    }
  },
};

export const invoices: TableSpec = {
  table: "public.invoices",
  columns: ["id", "clinic_id", "patient_id", "plan_id", "number", "issued_on", "due_on", "amount", "status", "nfse_number", "created_at"],
  owned: true,
  *lines(world) {
    for (const f of planFamilies(world)) {
      const v = f.invoice;
      if (!v) continue;
      yield line(
        num(v.id), num(f.clinicId), num(f.patientId), num(f.id), text(v.number), date(v.issuedMs), date(v.dueMs),
        money(v.amountCents), v.status, text(v.nfse), ts(v.issuedMs),
      );
    }
  },
};

export const payments: TableSpec = {
  table: "public.payments",
  columns: ["id", "clinic_id", "invoice_id", "paid_at", "amount", "method", "installments", "gateway_ref", "details"],
  owned: true,
  *lines(world) {
    for (const f of planFamilies(world)) {
      for (const p of f.payments) {
        yield line(
          num(p.id), num(f.clinicId), num(f.invoice!.id), ts(p.paidMs), money(p.amountCents), p.method,
          num(p.installments), text(p.gatewayRef), json(p.details),
        );
      }
    }
  },
};
