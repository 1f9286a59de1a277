-- Checkout settings: fee payer split, pricing, enabled methods, secret rotation, site verification.
alter table checkouts
  add column fee_buyer_percent smallint check (fee_buyer_percent between 0 and 100),
  add column fee_basis_points integer not null default 300 check (fee_basis_points between 0 and 10000),
  add column fee_fixed jsonb not null default '{}',
  add column method_fees jsonb not null default '{}',
  add column methods jsonb,
  add column previous_webhook_secret text,
  add column previous_webhook_secret_expires_at timestamptz,
  add column verification_token text,
  add column verification_status text not null default 'unverified'
    check (verification_status in ('unverified', 'pending', 'verified', 'failed')),
  add column verification_error text,
  add column verified_at timestamptz;

update checkouts set verification_token = 'kv_' || replace(gen_random_uuid()::text, '-', '') where verification_token is null;
alter table checkouts alter column verification_token set not null;
alter table checkouts add constraint checkouts_fee_payer_split
  check (fee_payer in ('merchant', 'buyer', 'split') and (fee_payer = 'split') = (fee_buyer_percent is not null));

-- Idempotency-Key (docs/api.md §5): one row per merchant, mode and key; the first request claims it.
create table idempotency_keys (
  merchant_id      text not null references merchants (id),
  test_mode        boolean not null,
  key              text not null,
  request_hash     text not null,
  state            text not null check (state in ('in_flight', 'done')),
  claim            text,
  response_status  integer,
  response_body    text,
  created_at       timestamptz not null default now(),
  locked_at        timestamptz not null default now(),
  primary key (merchant_id, test_mode, key)
);
create index idempotency_keys_created on idempotency_keys (created_at);
