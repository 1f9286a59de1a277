import type { PoolClient } from 'pg';
import type { MerchantScope } from '../domain/merchant';
import type { Refund, RefundStatus } from '../domain/refund';
import type { Queryable } from './transaction';
import { listUnstarted, type OutboxCursor } from './outbox';

interface RefundRow {
  id: string;
  payment_id: string;
  merchant_id: string;
  test_mode: boolean;
  amount_minor: string;
  currency: string;
  fee_returned_minor: string;
  merchant_debit_minor: string;
  status: RefundStatus;
  provider: string;
  provider_refund_id: string | null;
  failure_reason: string | null;
  created_at: Date;
  completed_at: Date | null;
}

const mapRow = (row: RefundRow): Refund => ({
  id: row.id,
  paymentId: row.payment_id,
  merchantId: row.merchant_id,
  testMode: row.test_mode,
  amountMinor: BigInt(row.amount_minor),
  currency: row.currency,
  feeReturnedMinor: BigInt(row.fee_returned_minor),
  merchantDebitMinor: BigInt(row.merchant_debit_minor),
  status: row.status,
  provider: row.provider,
  providerRefundId: row.provider_refund_id,
  failureReason: row.failure_reason,
  createdAt: row.created_at,
  completedAt: row.completed_at,
});

export type NewRefund = Pick<
  Refund,
  | 'id'
  | 'paymentId'
  | 'merchantId'
  | 'testMode'
  | 'amountMinor'
  | 'currency'
  | 'feeReturnedMinor'
  | 'merchantDebitMinor'
  | 'provider'
> & {
  /** The `Idempotency-Key` it is created under: unique per merchant and mode. */
  idempotencyKey?: string | null;
};

export async function insertRefund(client: PoolClient, refund: NewRefund): Promise<Refund> {
  const { rows } = await client.query<RefundRow>(
    `insert into refunds (id, payment_id, merchant_id, test_mode, amount_minor, currency, fee_returned_minor, merchant_debit_minor, status, provider,
       idempotency_key)
     values ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10) returning *`,
    [
      refund.id,
      refund.paymentId,
      refund.merchantId,
      refund.testMode,
      refund.amountMinor.toString(),
      refund.currency,
      refund.feeReturnedMinor.toString(),
      refund.merchantDebitMinor.toString(),
      refund.provider,
      refund.idempotencyKey ?? null,
    ],
  );
  return mapRow(rows[0]!);
}

/** The refund a merchant created in one mode under an `Idempotency-Key`. */
export async function findRefundByIdempotencyKey(
  db: Queryable,
  owner: MerchantScope,
  key: string,
): Promise<Refund | null> {
  const { rows } = await db.query<RefundRow>(
    'select * from refunds where merchant_id = $1 and test_mode = $2 and idempotency_key = $3',
    [owner.merchantId, owner.testMode, key],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function findRefundById(db: Queryable, id: string): Promise<Refund | null> {
  const { rows } = await db.query<RefundRow>('select * from refunds where id = $1', [id]);
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function findRefund(db: Queryable, owner: MerchantScope, id: string): Promise<Refund | null> {
  const { rows } = await db.query<RefundRow>(
    'select * from refunds where id = $1 and merchant_id = $2 and test_mode = $3',
    [id, owner.merchantId, owner.testMode],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

/** A payment's refunds, oldest first. */
export async function listRefunds(db: Queryable, paymentId: string): Promise<Refund[]> {
  const { rows } = await db.query<RefundRow>('select * from refunds where payment_id = $1 order by created_at, id', [
    paymentId,
  ]);
  return rows.map(mapRow);
}

/** What a payment's refunds that have not failed add up to, and the commission they give back. */
export async function refundTotals(
  db: Queryable,
  paymentId: string,
): Promise<{ refundedMinor: bigint; feeReturnedMinor: bigint; succeededMinor: bigint }> {
  const { rows } = await db.query<{ refunded: string; fee_returned: string; succeeded: string }>(
    `select coalesce(sum(amount_minor) filter (where status <> 'failed'), 0) as refunded,
       coalesce(sum(fee_returned_minor) filter (where status <> 'failed'), 0) as fee_returned,
       coalesce(sum(amount_minor) filter (where status = 'succeeded'), 0) as succeeded
     from refunds where payment_id = $1`,
    [paymentId],
  );
  return {
    refundedMinor: BigInt(rows[0]!.refunded),
    feeReturnedMinor: BigInt(rows[0]!.fee_returned),
    succeededMinor: BigInt(rows[0]!.succeeded),
  };
}

/** Moves a pending refund to its outcome once; `null` when it was no longer pending. */
export async function completeRefund(
  client: PoolClient,
  id: string,
  outcome: { status: 'succeeded'; providerRefundId: string } | { status: 'failed'; failureReason: string },
): Promise<Refund | null> {
  const { rows } = await client.query<RefundRow>(
    `update refunds set status = $2, provider_refund_id = $3, failure_reason = $4, completed_at = now(), updated_at = now()
     where id = $1 and status = 'pending' returning *`,
    [
      id,
      outcome.status,
      outcome.status === 'succeeded' ? outcome.providerRefundId : null,
      outcome.status === 'failed' ? outcome.failureReason : null,
    ],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function markRefundWorkflowStarted(db: Queryable, id: string): Promise<void> {
  await db.query('update refunds set workflow_started = true where id = $1', [id]);
}

/** Refunds stored whose workflow start was not confirmed (a crash in between). */
export const listUnstartedRefunds = (db: Queryable, olderThanSeconds: number, limit = 100, after?: OutboxCursor) =>
  listUnstarted(db, 'refunds', mapRow, olderThanSeconds, limit, after);

/** Refunds that succeeded with `completed_at` in [from, to). */
export async function listSucceededRefunds(db: Queryable, from: Date, to: Date): Promise<Refund[]> {
  const { rows } = await db.query<RefundRow>(
    `select * from refunds where status = 'succeeded' and completed_at >= $1 and completed_at < $2 order by completed_at`,
    [from, to],
  );
  return rows.map(mapRow);
}

export async function findRefundsByIds(db: Queryable, ids: string[]): Promise<Refund[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<RefundRow>('select * from refunds where id = any($1)', [ids]);
  return rows.map(mapRow);
}

/**
 * The payment's own status after a refund: only a paid or partly refunded payment moves, never
 * back, so it cannot fight the purchase workflow's ordered changes (`status_seq`), which end at paid.
 */
export async function markPaymentRefunded(
  client: PoolClient,
  paymentId: string,
  status: 'refunded' | 'partially_refunded',
): Promise<boolean> {
  const { rowCount } = await client.query(
    `update payments set status = $2, updated_at = now()
     where id = $1 and (status = 'paid' or (status = 'partially_refunded' and $2 = 'refunded'))`,
    [paymentId, status],
  );
  return (rowCount ?? 0) > 0;
}

/** Locks the payment row for this database transaction (refunds of one payment go one at a time). */
export async function lockPayment(client: PoolClient, paymentId: string): Promise<void> {
  await client.query('select id from payments where id = $1 for no key update', [paymentId]);
}
