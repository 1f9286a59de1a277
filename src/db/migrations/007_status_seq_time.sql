-- Status writes are ordered by the workflow's clock: seq = workflow time in ms * 1000 + n, so a
-- write after a workflow reset, after continue-as-new or from a later workflow (an operator's
-- decision) is newer than everything written before it. Integer counters written so far stay
-- smaller than any such seq.
alter table payments alter column status_seq type bigint;

-- A callback naming a provider payment that belongs to another Kassa payment is found in one lookup.
create index payments_provider_payment_id on payments (provider_payment_id) where provider_payment_id is not null;
