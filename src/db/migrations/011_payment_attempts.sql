-- Each provider payment attempt is made at one connector: attempt n of a payment, where, under
-- which order number, and how it went (latency and the provider's error code, never its message).
create table payment_attempts (
  payment_id           text not null references payments (id),
  attempt              integer not null check (attempt > 0),
  connector_id         text not null,
  provider             text not null,
  method               text not null,
  reference            text not null,
  provider_payment_id  text,
  status               text not null check (status in
                         ('created', 'refused', 'unreachable', 'unknown', 'succeeded', 'declined', 'canceled')),
  latency_ms           integer,
  error                text,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  primary key (payment_id, attempt)
);
-- The circuit breaker counts a connector's recent failed creates; a resume finds its waiting payments.
create index payment_attempts_connector on payment_attempts (connector_id, updated_at);

-- What happened to connectors that the operator should know: the breaker paused one, its probe
-- failed or resumed it.
create table connector_events (
  id            bigserial primary key,
  connector_id  text not null,
  kind          text not null check (kind in ('breaker_tripped', 'probe_failed', 'breaker_resumed')),
  detail        jsonb not null default '{}',
  created_at    timestamptz not null default now()
);
create index connector_events_connector on connector_events (connector_id, id);

-- The breaker's own state per connector: when it tripped and when the next probe may run (null:
-- not tripped). Claiming a probe moves `next_probe_at`, so one process probes per cool-down.
create table connector_breakers (
  connector_id   text primary key,
  tripped_at     timestamptz not null,
  next_probe_at  timestamptz
);
