/**
 * Every table the seeder fills, in load order (parents before children, although foreign
 * keys are only added after loading).
 */
import { appointments } from "./appointments.ts";
import { invoices, payments, treatmentPlanItems, treatmentPlans } from "./billing.ts";
import { documents } from "./documents.ts";
import { patients } from "./patients.ts";
import { reportCache, tempImportBatches } from "./scratch.ts";
import type { TableSpec } from "./spec.ts";
import { authUsers, clinicMembers, clinics, dentists, procedures } from "./tenancy.ts";

export type { TableSpec } from "./spec.ts";

export const TABLES: readonly TableSpec[] = [
  authUsers,
  clinics,
  clinicMembers,
  dentists,
  procedures,
  patients,
  appointments,
  treatmentPlans,
  treatmentPlanItems,
  invoices,
  payments,
  documents,
  tempImportBatches,
  reportCache,
];
