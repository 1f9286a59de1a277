import type { PoolClient } from 'pg';
import type { MerchantScope } from '../domain/merchant';
import type { Payout, PayoutStatus } from '../domain/payout';
import type { Queryable } from './transaction';
import { listUnstarted, type OutboxCursor } from './outbox';

interface PayoutRow {
  id: string;
  merchant_id: string;
  test_mode: boolean;
  checkout_id: string | null;
  amount_minor: string;
  currency: string;
  fee_minor: string | null;
  destination_type: 'card' | 'wallet';
  destination_token: string | null;
  destination_last4: string | null;
  destination_wallet: string | null;
  status: PayoutStatus;
  provider: string;
  provider_payout_id: string | null;
  failure_reason: string | null;
  created_at: Date;
  completed_at: Date | null;
}

const mapRow = (row: PayoutRow): Payout => ({
  id: row.id,
  merchantId: row.merchant_id,
  testMode: row.test_mode,
  checkoutId: row.checkout_id,
  amountMinor: BigInt(row.amount_minor),
  currency: row.currency,
  feeMinor: row.fee_minor === null ? null : BigInt(row.fee_minor),
  destination:
    row.destination_type === 'card'
      ? { type: 'card', token: row.destination_token!, last4: row.destination_last4! }
      : { type: 'wallet', walletId: row.destination_wallet! },
  status: row.status,
  provider: row.provider,
  providerPayoutId: row.provider_payout_id,
  failureReason: row.failure_reason,
  createdAt: row.created_at,
  completedAt: row.completed_at,
});

/** The checkout whose notify_url gets a merchant's payout webhooks by default: its first in the mode. */
export async function firstCheckoutOf(db: Queryable, merchantId: string, testMode: boolean): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>(
    'select id from checkouts where merchant_id = $1 and test_mode = $2 order by created_at, id limit 1',
    [merchantId, testMode],
  );
  return rows[0]?.id ?? null;
}

export type NewPayout = Pick<
  Payout,
  'id' | 'merchantId' | 'testMode' | 'checkoutId' | 'amountMinor' | 'currency' | 'destination' | 'provider'
> & {
  /** The `Idempotency-Key` it is created under: unique per merchant and mode. */
  idempotencyKey?: string | null;
};

export async function insertPayout(client: PoolClient, payout: NewPayout): Promise<Payout> {
  const card = payout.destination.type === 'card' ? payout.destination : null;
  const wallet = payout.destination.type === 'wallet' ? payout.destination : null;
  const { rows } = await client.query<PayoutRow>(
    `insert into payouts (id, merchant_id, test_mode, checkout_id, amount_minor, currency, destination_type, destination_token,
       destination_last4, destination_wallet, status, provider, idempotency_key)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12) returning *`,
    [
      payout.id,
      payout.merchantId,
      payout.testMode,
      payout.checkoutId,
      payout.amountMinor.toString(),
      payout.currency,
      payout.destination.type,
      card?.token ?? null,
      card?.last4 ?? null,
      wallet?.walletId ?? null,
      payout.provider,
      payout.idempotencyKey ?? null,
    ],
  );
  return mapRow(rows[0]!);
}

/** The payout a merchant created in one mode under an `Idempotency-Key`. */
export async function findPayoutByIdempotencyKey(
  db: Queryable,
  owner: MerchantScope,
  key: string,
): Promise<Payout | null> {
  const { rows } = await db.query<PayoutRow>(
    'select * from payouts where merchant_id = $1 and test_mode = $2 and idempotency_key = $3',
    [owner.merchantId, owner.testMode, key],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function findPayoutById(db: Queryable, id: string): Promise<Payout | null> {
  const { rows } = await db.query<PayoutRow>('select * from payouts where id = $1', [id]);
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function findPayout(db: Queryable, owner: MerchantScope, id: string): Promise<Payout | null> {
  const { rows } = await db.query<PayoutRow>(
    'select * from payouts where id = $1 and merchant_id = $2 and test_mode = $3',
    [id, owner.merchantId, owner.testMode],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

/** A merchant's payouts in one mode, newest first. */
export async function listPayouts(db: Queryable, owner: MerchantScope, limit: number): Promise<Payout[]> {
  const { rows } = await db.query<PayoutRow>(
    'select * from payouts where merchant_id = $1 and test_mode = $2 order by created_at desc, id desc limit $3',
    [owner.merchantId, owner.testMode, limit],
  );
  return rows.map(mapRow);
}

/** Moves a pending payout to its outcome once; `null` when it was no longer pending. */
export async function completePayout(
  client: PoolClient,
  id: string,
  outcome:
    | { status: 'paid'; providerPayoutId: string; feeMinor: bigint }
    | { status: 'failed'; providerPayoutId: string | null; failureReason: string },
): Promise<Payout | null> {
  const { rows } = await client.query<PayoutRow>(
    `update payouts set status = $2, provider_payout_id = $3, fee_minor = $4, failure_reason = $5, completed_at = now(), updated_at = now()
     where id = $1 and status = 'pending' returning *`,
    [
      id,
      outcome.status,
      outcome.providerPayoutId,
      outcome.status === 'paid' ? outcome.feeMinor.toString() : null,
      outcome.status === 'failed' ? outcome.failureReason : null,
    ],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function markPayoutWorkflowStarted(db: Queryable, id: string): Promise<void> {
  await db.query('update payouts set workflow_started = true where id = $1', [id]);
}

export const listUnstartedPayouts = (db: Queryable, olderThanSeconds: number, limit = 100, after?: OutboxCursor) =>
  listUnstarted(db, 'payouts', mapRow, olderThanSeconds, limit, after);

/** Payouts paid with `completed_at` in [from, to). */
export async function listPaidPayouts(db: Queryable, from: Date, to: Date): Promise<Payout[]> {
  const { rows } = await db.query<PayoutRow>(
    `select * from payouts where status = 'paid' and completed_at >= $1 and completed_at < $2 order by completed_at`,
    [from, to],
  );
  return rows.map(mapRow);
}

export async function findPayoutsByIds(db: Queryable, ids: string[]): Promise<Payout[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<PayoutRow>('select * from payouts where id = any($1)', [ids]);
  return rows.map(mapRow);
}
