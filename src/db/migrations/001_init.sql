create table merchants (
  id          text primary key,
  name        text not null,
  email       text not null,
  created_at  timestamptz not null default now()
);

create table api_keys (
  id           text primary key,
  merchant_id  text not null references merchants (id),
  mode         text not null check (mode in ('test', 'live')),
  key_hash     text not null unique,
  key_prefix   text not null,
  created_at   timestamptz not null default now(),
  revoked_at   timestamptz
);
create index api_keys_merchant on api_keys (merchant_id);

create table checkouts (
  id              text primary key,
  merchant_id     text not null references merchants (id),
  test_mode       boolean not null,
  name            text not null,
  site_url        text not null,
  currencies      text[] not null,
  notify_url      text not null,
  success_url     text not null,
  fail_url        text not null,
  pending_url     text not null,
  fee_payer       text not null,
  webhook_secret  text not null,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create index checkouts_merchant on checkouts (merchant_id);

create table payments (
  id                   text primary key,
  merchant_id          text not null references merchants (id),
  checkout_id          text not null references checkouts (id),
  order_id             text not null,
  test_mode            boolean not null,
  status               text not null,
  status_seq           integer not null default 0,
  amount_minor         bigint not null check (amount_minor > 0),
  currency             text not null,
  description          text not null,
  method               text,
  fee_minor            bigint,
  buyer_total_minor    bigint,
  merchant_net_minor   bigint,
  provider_payment_id  text,
  redirect_url         text,
  failure_reason       text,
  delivery             jsonb,
  metadata             jsonb not null default '{}',
  workflow_started     boolean not null default false,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  expires_at           timestamptz not null,
  paid_at              timestamptz,
  unique (checkout_id, order_id)
);
create index payments_merchant_created on payments (merchant_id, test_mode, created_at desc, id desc);
create index payments_unstarted on payments (created_at) where not workflow_started;

create table payment_events (
  id          text primary key,
  payment_id  text not null references payments (id),
  type        text not null,
  body        text not null,
  created_at  timestamptz not null default now(),
  delivered_at timestamptz
);
create index payment_events_payment on payment_events (payment_id, created_at);

create table webhook_attempts (
  id           bigserial primary key,
  event_id     text not null references payment_events (id),
  attempt      integer not null,
  url          text not null,
  attempted_at timestamptz not null default now(),
  status_code  integer,
  latency_ms   integer not null,
  error        text,
  unique (event_id, attempt)
);

create table provider_callbacks (
  provider     text not null,
  event_id     text not null,
  payment_id   text,
  state        text not null,
  body         text not null,
  received_at  timestamptz not null default now(),
  flag         text,
  primary key (provider, event_id)
);
