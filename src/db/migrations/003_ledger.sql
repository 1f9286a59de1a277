-- Money: a double-entry ledger, refunds, payouts, reconciliation runs.
--
-- Sign convention: an entry's amount is positive when it raises what the account holds for its
-- owner (a merchant's balance, Kassa's fee revenue) and negative when it lowers it. The provider
-- clearing account is the other side of the merchants' money: it goes negative by what the
-- provider holds for Kassa. Every transaction sums to zero per currency, so all accounts together
-- always sum to zero.

create table ledger_accounts (
  id          bigserial primary key,
  -- A merchant id (mer_…) for `available`, `pending` and `reserved`; 'kassa' for the gateway's own.
  owner       text not null,
  kind        text not null check (kind in ('available', 'pending', 'reserved', 'fee_revenue', 'provider_clearing')),
  -- The provider of a clearing account; '' for every other kind.
  provider    text not null default '',
  currency    text not null check (currency ~ '^[A-Z]{3}$'),
  test_mode   boolean not null,
  created_at  timestamptz not null default now(),
  unique (owner, kind, provider, currency, test_mode),
  check ((owner = 'kassa') = (kind in ('fee_revenue', 'provider_clearing'))),
  check (owner = 'kassa' or owner like 'mer\_%'),
  check ((kind = 'provider_clearing') = (provider <> ''))
);

create table ledger_transactions (
  id           bigserial primary key,
  -- What caused it: idempotent by source and event, so a retried posting posts once.
  source_type  text not null check (source_type in ('payment', 'refund', 'payout', 'adjustment')),
  source_id    text not null,
  event        text not null,
  test_mode    boolean not null,
  description  text not null,
  created_at   timestamptz not null default now(),
  unique (source_type, source_id, event)
);

create table ledger_entries (
  id              bigserial primary key,
  transaction_id  bigint not null references ledger_transactions (id),
  account_id      bigint not null references ledger_accounts (id),
  amount_minor    bigint not null check (amount_minor <> 0),
  memo            text not null default '',
  created_at      timestamptz not null default now()
);
create index ledger_entries_account on ledger_entries (account_id);
create index ledger_entries_transaction on ledger_entries (transaction_id);

-- Test and live money never mix: an entry's account is in its transaction's mode.
create function ledger_entry_same_mode() returns trigger language plpgsql as $$
declare
  transaction_mode boolean;
  account_mode boolean;
begin
  select test_mode into transaction_mode from ledger_transactions where id = new.transaction_id;
  select test_mode into account_mode from ledger_accounts where id = new.account_id;
  if transaction_mode is distinct from account_mode then
    raise exception 'ledger: transaction % is % mode, account % is % mode: test and live money never mix',
      new.transaction_id, case when transaction_mode then 'test' else 'live' end,
      new.account_id, case when account_mode then 'test' else 'live' end
      using errcode = '23514';
  end if;
  return new;
end $$;
create trigger ledger_entries_same_mode before insert on ledger_entries
  for each row execute function ledger_entry_same_mode();

-- Every transaction has at least two entries and sums to zero per currency, checked at commit
-- (entries are inserted one by one, so a check per statement would see half a transaction).
create function ledger_check_transaction(tx bigint) returns void language plpgsql as $$
declare
  unbalanced record;
  entries integer;
begin
  select count(*) into entries from ledger_entries e where e.transaction_id = tx;
  if entries < 2 then
    raise exception 'ledger: transaction % has % entries; a transaction needs at least two', tx, entries
      using errcode = '23514';
  end if;
  select a.currency, sum(e.amount_minor) as total into unbalanced
    from ledger_entries e join ledger_accounts a on a.id = e.account_id
    where e.transaction_id = tx
    group by a.currency having sum(e.amount_minor) <> 0
    limit 1;
  if found then
    raise exception 'ledger: transaction % does not balance: its % entries sum to % minor units', tx,
      unbalanced.currency, unbalanced.total
      using errcode = '23514';
  end if;
end $$;
create function ledger_entry_balanced() returns trigger language plpgsql as $$
begin
  perform ledger_check_transaction(new.transaction_id);
  return null;
end $$;
create function ledger_transaction_balanced() returns trigger language plpgsql as $$
begin
  perform ledger_check_transaction(new.id);
  return null;
end $$;
create constraint trigger ledger_entries_balanced after insert on ledger_entries
  deferrable initially deferred for each row execute function ledger_entry_balanced();
create constraint trigger ledger_transactions_balanced after insert on ledger_transactions
  deferrable initially deferred for each row execute function ledger_transaction_balanced();

-- Entries, transactions and accounts are immutable: a correction is a new transaction.
create function ledger_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'ledger: % on % refused: the ledger is append-only', tg_op, tg_table_name using errcode = '42501';
end $$;
create trigger ledger_entries_immutable before update or delete or truncate on ledger_entries
  for each statement execute function ledger_refuse_change();
create trigger ledger_transactions_immutable before update or delete or truncate on ledger_transactions
  for each statement execute function ledger_refuse_change();
create trigger ledger_accounts_immutable before update or delete or truncate on ledger_accounts
  for each statement execute function ledger_refuse_change();

create table refunds (
  id                    text primary key,
  payment_id            text not null references payments (id),
  merchant_id           text not null references merchants (id),
  test_mode             boolean not null,
  amount_minor          bigint not null check (amount_minor > 0),
  currency              text not null,
  -- The share of Kassa's commission given back, and what the merchant's balance gives.
  fee_returned_minor    bigint not null check (fee_returned_minor >= 0),
  merchant_debit_minor  bigint not null check (merchant_debit_minor >= 0),
  status                text not null check (status in ('pending', 'succeeded', 'failed')),
  provider              text not null,
  provider_refund_id    text,
  failure_reason        text,
  workflow_started      boolean not null default false,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  completed_at          timestamptz,
  check (fee_returned_minor + merchant_debit_minor = amount_minor)
);
create index refunds_payment on refunds (payment_id, created_at);
create index refunds_unstarted on refunds (created_at) where not workflow_started;

create table payouts (
  id                  text primary key,
  merchant_id         text not null references merchants (id),
  test_mode           boolean not null,
  -- Whose notify_url receives payout.paid / payout.failed.
  checkout_id         text references checkouts (id),
  amount_minor        bigint not null check (amount_minor > 0),
  currency            text not null,
  -- The bank's or provider's fee, deducted from the amount; known once paid.
  fee_minor           bigint check (fee_minor >= 0 and fee_minor <= amount_minor),
  destination_type    text not null check (destination_type in ('card', 'wallet')),
  -- A card: only the provider's token and the last four digits, never the number.
  destination_token   text,
  destination_last4   text check (destination_last4 ~ '^[0-9]{4}$'),
  destination_wallet  text,
  status              text not null check (status in ('pending', 'paid', 'failed')),
  provider            text not null,
  provider_payout_id  text,
  failure_reason      text,
  workflow_started    boolean not null default false,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  completed_at        timestamptz,
  check ((destination_type = 'card') = (destination_token is not null and destination_last4 is not null)),
  check ((destination_type = 'wallet') = (destination_wallet is not null))
);
create index payouts_merchant on payouts (merchant_id, test_mode, created_at desc);
create index payouts_unstarted on payouts (created_at) where not workflow_started;

-- Payout events have no payment: they name their checkout (whose notify_url and secret) instead.
alter table payment_events
  alter column payment_id drop not null,
  add column checkout_id text references checkouts (id),
  add column payout_id text references payouts (id),
  add constraint payment_events_target check (payment_id is not null or (payout_id is not null and checkout_id is not null));

create table reconciliation_runs (
  id           text primary key,
  workflow_id  text not null,
  window_from  timestamptz not null,
  window_to    timestamptz not null,
  started_at   timestamptz not null,
  finished_at  timestamptz not null default now(),
  checked      jsonb not null,
  mismatches   jsonb not null
);
create index reconciliation_runs_finished on reconciliation_runs (finished_at desc);
