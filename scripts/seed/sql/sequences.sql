-- Ortho+ demo schema: after loading explicit ids 1..n with COPY, leave every identity and
-- serial sequence as a live app would: last value = the largest id, already used
-- (is_called = true), so the next INSERT gets max + 1 and pg_sequences shows a last_value.
do $$
declare
  t text;
begin
  foreach t in array array[
    'public.clinics', 'public.dentists', 'public.patients', 'public.procedures',
    'public.appointments', 'public.treatment_plans', 'public.treatment_plan_items',
    'public.invoices', 'public.payments', 'public._temp_import_batches'
  ] loop
    execute format(
      'select setval(pg_get_serial_sequence(%L, ''id''), coalesce(max(id), 1), max(id) is not null) from %s', t, t);
  end loop;
end
$$;
