-- Connectors: the operator's accounts at payment providers (/admin/connectors). Several may serve
-- one method; the lowest priority number is tried first. Credentials are JSON sealed with
-- NOTIFICATIONS_KEY (`v1.<nonce>.<sealed>`), never plaintext; credentials_hint holds them masked.
create table connectors (
  id                text primary key check (id ~ '^conn_[0-9A-Za-z]{8,64}$'),
  provider          text not null,
  mode              text not null check (mode in ('test', 'live')),
  methods           text[] not null,
  priority          integer not null default 100,
  status            text not null default 'active' check (status in ('active', 'paused')),
  paused_reason     text check (paused_reason in ('operator', 'circuit_breaker')),
  paused_at         timestamptz,
  -- The operator who paused it, when they gave a name.
  paused_by         text,
  credentials       text not null check (credentials like 'v1.%'),
  credentials_hint  jsonb not null default '{}',
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  check ((status = 'paused') = (paused_reason is not null and paused_at is not null))
);
create index connectors_provider on connectors (provider, priority);

-- Kassa's idempotency key of a provider payment ↔ the order number the provider sees, for
-- providers that need their own (numeric) reference.
create sequence provider_reference_numbers start 100001;
create table provider_references (
  connector_id     text not null references connectors (id),
  idempotency_key  text not null,
  reference        text not null,
  created_at       timestamptz not null default now(),
  primary key (connector_id, idempotency_key),
  unique (connector_id, reference)
);

-- The connector a refund or payout goes through (null: made before connectors, by provider name).
alter table refunds add column connector_id text;
alter table payouts add column connector_id text;
