-- Operators' decisions on exceptions: money the provider took that Kassa has not settled (a
-- payment held for review, a success after expiry or cancel) and flagged provider callbacks.
-- An exception is named by its payment id, or by `provider:event_id` for a flagged callback.
-- Each decision keeps who made it and when; a failed one may be followed by another, an open or
-- applied one may not (the partial unique index).
create table exception_decisions (
  id              text primary key,
  exception_id    text not null,
  kind            text not null check (kind in ('under_review', 'late_success', 'flagged_callback')),
  payment_id      text,
  action          text not null check (action in ('accept', 'refund')),
  operator        text not null check (length(operator) between 1 and 100),
  decided_at      timestamptz not null default now(),
  status          text not null default 'pending' check (status in ('pending', 'applied', 'failed')),
  -- What the decision did: the capture posted, or the refunds made at the provider.
  outcome         jsonb,
  failure_reason  text,
  completed_at    timestamptz,
  workflow_id     text not null
);
create unique index exception_decisions_one_open on exception_decisions (exception_id) where status <> 'failed';
create index exception_decisions_payment on exception_decisions (payment_id);

-- What the exceptions list starts from: flagged callbacks and payments held for review.
create index provider_callbacks_flagged on provider_callbacks (payment_id) where flag is not null;
create index payments_under_review on payments (id) where status = 'under_review';
