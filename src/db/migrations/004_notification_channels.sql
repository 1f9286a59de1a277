-- Merchant notification channels besides the webhook (e-mail, Telegram, SMS), their delivery
-- attempts, and the buyer's e-mail a payment may carry (for the receipt).

create table notification_channels (
  checkout_id  text not null references checkouts (id) on delete cascade,
  kind         text not null check (kind in ('email', 'telegram', 'sms')),
  enabled      boolean not null default true,
  -- Event types sent to this channel, e.g. {payment.paid,payment.failed}.
  events       text[] not null check (cardinality(events) > 0),
  -- What is not secret: recipients, chat id, gateway URL and templates.
  settings     jsonb not null,
  -- The bot token or gateway credential, AES-256-GCM with NOTIFICATIONS_KEY (`v1.<nonce>.<sealed>`); never plaintext.
  secret       text check (secret is null or secret like 'v1.%'),
  -- The secret's last four characters, to show it masked.
  secret_hint  text,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  primary key (checkout_id, kind)
);

create table notification_deliveries (
  id            bigserial primary key,
  event_id      text not null references payment_events (id),
  checkout_id   text not null references checkouts (id) on delete cascade,
  channel       text not null check (channel in ('email', 'telegram', 'sms', 'buyer_receipt')),
  attempt       integer not null,
  -- Who was addressed: addresses, chat id, phone and gateway host. No secret.
  target        text not null,
  attempted_at  timestamptz not null,
  latency_ms    integer not null,
  delivered     boolean not null,
  response      text,
  error         text,
  resend        boolean not null default false,
  unique (event_id, channel, attempt)
);
create index notification_deliveries_checkout on notification_deliveries (checkout_id, channel, attempted_at desc);

alter table payments add column buyer_email text;
