-- Idempotency that survives disconnects and crashes.
--
-- Payments, refunds and payouts carry the Idempotency-Key they were created under, written in
-- the same insert as the row: the last line of defence against a key running twice, and how a
-- retry after a crash finds what the first request made. Null when created without a key.
alter table payments add column idempotency_key text;
alter table payments add constraint payments_idempotency_key unique (merchant_id, test_mode, idempotency_key);
alter table refunds add column idempotency_key text;
alter table refunds add constraint refunds_idempotency_key unique (merchant_id, test_mode, idempotency_key);
alter table payouts add column idempotency_key text;
alter table payouts add constraint payouts_idempotency_key unique (merchant_id, test_mode, idempotency_key);

-- Which API process holds an in-flight claim: the number of the advisory lock that process keeps
-- on a session of its own for as long as it lives. A claim whose holder's lock is gone belongs to
-- a process that died; a retry may take it over at once.
alter table idempotency_keys add column holder integer;
create index idempotency_keys_in_flight on idempotency_keys (holder) where state = 'in_flight';
