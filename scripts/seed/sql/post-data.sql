-- Ortho+ demo schema, part 2 of 2 ("post-data"): foreign keys, secondary indexes, triggers,
-- row-level security, policies and grants. Applied after the rows are loaded, because
-- validating a foreign key or building an index once is much faster than per row.

-- ---------------------------------------------------------------------------------------
-- Foreign keys
-- ---------------------------------------------------------------------------------------

alter table public.clinic_members
  add constraint clinic_members_clinic_id_fkey foreign key (clinic_id) references public.clinics (id) on delete cascade,
  add constraint clinic_members_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade;

alter table public.dentists
  add constraint dentists_clinic_id_fkey foreign key (clinic_id) references public.clinics (id),
  add constraint dentists_user_id_fkey foreign key (user_id) references auth.users (id) on delete set null;

alter table public.patients
  add constraint patients_clinic_id_fkey foreign key (clinic_id) references public.clinics (id);

-- Composite keys keep an appointment's patient and dentist inside the appointment's clinic.
alter table public.appointments
  add constraint appointments_patient_fkey foreign key (clinic_id, patient_id) references public.patients (clinic_id, id) on delete cascade,
  add constraint appointments_dentist_fkey foreign key (clinic_id, dentist_id) references public.dentists (clinic_id, id);

alter table public.treatment_plans
  add constraint treatment_plans_patient_fkey foreign key (clinic_id, patient_id) references public.patients (clinic_id, id) on delete cascade,
  add constraint treatment_plans_dentist_fkey foreign key (clinic_id, dentist_id) references public.dentists (clinic_id, id);

alter table public.treatment_plan_items
  add constraint treatment_plan_items_plan_id_fkey foreign key (plan_id) references public.treatment_plans (id) on delete cascade,
  add constraint treatment_plan_items_procedure_id_fkey foreign key (procedure_id) references public.procedures (id);

alter table public.invoices
  add constraint invoices_patient_fkey foreign key (clinic_id, patient_id) references public.patients (clinic_id, id),
  add constraint invoices_plan_id_fkey foreign key (plan_id) references public.treatment_plans (id) on delete set null;

alter table public.payments
  add constraint payments_clinic_id_fkey foreign key (clinic_id) references public.clinics (id),
  add constraint payments_invoice_id_fkey foreign key (invoice_id) references public.invoices (id) on delete cascade;

alter table public.documents
  add constraint documents_patient_fkey foreign key (clinic_id, patient_id) references public.patients (clinic_id, id) on delete cascade,
  add constraint documents_uploaded_by_fkey foreign key (uploaded_by) references auth.users (id) on delete set null;

alter table public.report_cache
  add constraint report_cache_clinic_id_fkey foreign key (clinic_id) references public.clinics (id) on delete cascade;

-- ---------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------

create index clinic_members_user_id_idx on public.clinic_members (user_id);
-- Partial: the patient list only ever shows patients that were not deleted.
create index patients_active_by_name_idx on public.patients (clinic_id, full_name) where deleted_at is null;
-- Expression: case-insensitive prefix search on the name.
create index patients_lower_full_name_idx on public.patients (lower(full_name) text_pattern_ops);
create index patients_allergies_idx on public.patients using gin (allergies);
create index appointments_clinic_starts_at_idx on public.appointments (clinic_id, starts_at);
create index appointments_patient_id_idx on public.appointments (patient_id);
-- Partial: the agenda of what is still to come.
create index appointments_upcoming_idx on public.appointments (dentist_id, starts_at) where status in ('scheduled', 'confirmed');
create index treatment_plans_patient_id_idx on public.treatment_plans (patient_id);
create index invoices_patient_id_idx on public.invoices (patient_id);
create index invoices_receivable_idx on public.invoices (clinic_id, due_on) where status in ('open', 'partially_paid', 'overdue');
create index payments_invoice_id_idx on public.payments (invoice_id);
create index documents_patient_idx on public.documents (clinic_id, patient_id);

-- ---------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------

create trigger clinics_set_updated_at before update on public.clinics
  for each row execute function public.set_updated_at();
create trigger patients_set_updated_at before update on public.patients
  for each row execute function public.set_updated_at();
create trigger appointments_set_updated_at before update on public.appointments
  for each row execute function public.set_updated_at();
create trigger treatment_plans_set_updated_at before update on public.treatment_plans
  for each row execute function public.set_updated_at();

-- ---------------------------------------------------------------------------------------
-- Row-level security: a signed-in user sees the rows of the clinics they are a member of.
-- `clinic_id in (select public.current_user_clinic_ids())` is evaluated once per query.
-- ---------------------------------------------------------------------------------------

alter table public.clinics enable row level security;
alter table public.clinic_members enable row level security;
alter table public.dentists enable row level security;
alter table public.patients enable row level security;
alter table public.procedures enable row level security;
alter table public.appointments enable row level security;
alter table public.treatment_plans enable row level security;
alter table public.treatment_plan_items enable row level security;
alter table public.invoices enable row level security;
alter table public.payments enable row level security;
alter table public.documents enable row level security;
alter table public.report_cache enable row level security;
-- No policy: only the service role (bypassrls) touches import leftovers.
alter table public._temp_import_batches enable row level security;

create policy "Clinic members can view their clinics" on public.clinics
  for select to authenticated using (id in (select public.current_user_clinic_ids()));
create policy "Clinic members can update their clinics" on public.clinics
  for update to authenticated using (id in (select public.current_user_clinic_ids()))
  with check (id in (select public.current_user_clinic_ids()));

create policy "Users can view their own memberships" on public.clinic_members
  for select to authenticated using (user_id = (select auth.uid()));

create policy "Clinic members can manage their clinic's dentists" on public.dentists
  for all to authenticated using (clinic_id in (select public.current_user_clinic_ids()))
  with check (clinic_id in (select public.current_user_clinic_ids()));

create policy "Clinic members can manage their clinic's patients" on public.patients
  for all to authenticated using (clinic_id in (select public.current_user_clinic_ids()))
  with check (clinic_id in (select public.current_user_clinic_ids()));

create policy "Signed-in users can read the procedure catalogue" on public.procedures
  for select to authenticated using (true);

create policy "Clinic members can manage their clinic's appointments" on public.appointments
  for all to authenticated using (clinic_id in (select public.current_user_clinic_ids()))
  with check (clinic_id in (select public.current_user_clinic_ids()));

create policy "Clinic members can manage their clinic's treatment plans" on public.treatment_plans
  for all to authenticated using (clinic_id in (select public.current_user_clinic_ids()))
  with check (clinic_id in (select public.current_user_clinic_ids()));

create policy "Clinic members can manage items of their clinic's treatment plans" on public.treatment_plan_items
  for all to authenticated
  using (exists (select 1 from public.treatment_plans p
                 where p.id = plan_id and p.clinic_id in (select public.current_user_clinic_ids())))
  with check (exists (select 1 from public.treatment_plans p
                      where p.id = plan_id and p.clinic_id in (select public.current_user_clinic_ids())));

create policy "Clinic members can manage their clinic's invoices" on public.invoices
  for all to authenticated using (clinic_id in (select public.current_user_clinic_ids()))
  with check (clinic_id in (select public.current_user_clinic_ids()));

create policy "Clinic members can manage their clinic's payments" on public.payments
  for all to authenticated using (clinic_id in (select public.current_user_clinic_ids()))
  with check (clinic_id in (select public.current_user_clinic_ids()));

create policy "Clinic members can manage their clinic's documents" on public.documents
  for all to authenticated using (clinic_id in (select public.current_user_clinic_ids()))
  with check (clinic_id in (select public.current_user_clinic_ids()));

create policy "Clinic members can read their clinic's cached reports" on public.report_cache
  for select to authenticated using (clinic_id in (select public.current_user_clinic_ids()));

-- ---------------------------------------------------------------------------------------
-- Grants, as a Supabase app has them: the API roles reach the tables, RLS decides the rows.
-- ---------------------------------------------------------------------------------------

grant usage on schema public to anon, authenticated, service_role;

grant select, insert, update, delete on
  public.clinics, public.clinic_members, public.dentists, public.patients, public.appointments,
  public.treatment_plans, public.treatment_plan_items, public.invoices, public.payments, public.documents
  to authenticated;
grant select on public.procedures, public.report_cache, public.patient_balances to authenticated;
grant all on
  public.clinics, public.clinic_members, public.dentists, public.patients, public.procedures,
  public.appointments, public.treatment_plans, public.treatment_plan_items, public.invoices,
  public.payments, public.documents, public._temp_import_batches, public.report_cache,
  public.patient_balances
  to service_role;

grant usage, select on sequence
  public.clinics_id_seq, public.dentists_id_seq, public.patients_id_seq, public.appointments_id_seq,
  public.treatment_plans_id_seq, public.treatment_plan_items_id_seq, public.invoices_id_seq,
  public.payments_id_seq
  to authenticated;
grant usage, select, update on sequence
  public.clinics_id_seq, public.dentists_id_seq, public.patients_id_seq, public.procedures_id_seq,
  public.appointments_id_seq, public.treatment_plans_id_seq, public.treatment_plan_items_id_seq,
  public.invoices_id_seq, public.payments_id_seq, public._temp_import_batches_id_seq
  to service_role;

revoke all on function public.set_updated_at() from public;
revoke all on function public.current_user_clinic_ids() from public;
grant execute on function public.current_user_clinic_ids() to authenticated, service_role;
grant execute on function public.cpf_is_valid(text) to anon, authenticated, service_role;
