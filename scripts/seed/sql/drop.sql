-- Ortho+ demo schema: removes every object the seeder owns, so a run starts clean.
-- Drops only these named objects in `public` (other schemas and other `public` objects, such
-- as Cofre's own RPCs, are left alone) and the demo users in auth.users, recognised by their
-- e-mail domain `@demo.orthoplus.example`.

drop view if exists public.patient_balances cascade;

drop table if exists
  public.report_cache,
  public._temp_import_batches,
  public.documents,
  public.payments,
  public.invoices,
  public.treatment_plan_items,
  public.treatment_plans,
  public.appointments,
  public.procedures,
  public.patients,
  public.dentists,
  public.clinic_members,
  public.clinics
  cascade;

drop function if exists public.set_updated_at() cascade;
drop function if exists public.cpf_is_valid(text) cascade;
drop function if exists public.current_user_clinic_ids() cascade;

drop type if exists public.appointment_status cascade;
drop type if exists public.invoice_status cascade;
drop type if exists public.payment_method cascade;

delete from auth.users where email like '%@demo.orthoplus.example';
