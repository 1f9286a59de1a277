-- Interkassa SCI compatibility: a checkout's SCI settings and keys, what an SCI-made payment
-- keeps of the shop's form, the buyer's language, and the interaction as a delivery channel.

alter table checkouts
  -- sign_algorithm, sign_required, url_override, unique_order, interaction_url, interaction_method, lifetime; null: SCI never enabled.
  add column sci_settings     jsonb,
  -- 24 lower-case hex characters, fixed for the checkout's life.
  add column sci_checkout_ref text unique check (sci_checkout_ref ~ '^[0-9a-f]{24}$'),
  -- The secret and test keys, AES-256-GCM with NOTIFICATIONS_KEY (`v1.<nonce>.<sealed>`); never plaintext.
  add column sci_secret_key   text check (sci_secret_key is null or sci_secret_key like 'v1.%'),
  add column sci_test_key     text check (sci_test_key is null or sci_test_key like 'v1.%'),
  -- The keys' last four characters, to show them masked.
  add column sci_secret_hint  text,
  add column sci_test_hint    text,
  -- What happens to a provider's success that arrives after the payment expired or was canceled.
  add column late_success     text not null default 'hold' check (late_success in ('refund', 'hold'));

-- The shop's own terms for an SCI-made payment: ik_co_id and ik_am as sent, ik_x_* fields,
-- ik_pw_via, and its URL overrides. Null for a payment made through the REST API.
alter table payments add column sci jsonb;
-- The buyer's language (ik_loc, ?locale=), when the shop or the buyer chose one.
alter table payments add column locale text;

alter table notification_deliveries drop constraint notification_deliveries_channel_check;
alter table notification_deliveries add constraint notification_deliveries_channel_check
  check (channel in ('email', 'telegram', 'sms', 'buyer_receipt', 'interaction'));
