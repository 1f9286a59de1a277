-- The outbox sweep reads stored-but-unstarted rows in (created_at, id) order, after the last row it
-- tried: the partial indexes follow that order.
drop index payments_unstarted;
create index payments_unstarted on payments (created_at, id) where not workflow_started;
drop index refunds_unstarted;
create index refunds_unstarted on refunds (created_at, id) where not workflow_started;
drop index payouts_unstarted;
create index payouts_unstarted on payouts (created_at, id) where not workflow_started;
