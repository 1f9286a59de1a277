import type { Pool, PoolClient } from 'pg';
import type { MerchantScope } from '../domain/merchant';
import type { PaymentSci } from '../domain/interkassa';
import { currencyExponent, supportedCurrencies } from '../domain/money';
import type { Delivery, Payment, PaymentStatus, StoredPayment } from '../domain/payment';
import type { AttemptStatus } from '../domain/attempt';
import { type ChannelFacts, channelFactsColumns, channelFactsOf } from './channels';
import type { Queryable } from './transaction';
import { listUnstarted, type OutboxCursor } from './outbox';

interface PaymentRow {
  id: string;
  merchant_id: string;
  checkout_id: string;
  order_id: string;
  test_mode: boolean;
  status: PaymentStatus;
  amount_minor: string;
  currency: string;
  description: string;
  method: string | null;
  fee_minor: string | null;
  buyer_total_minor: string | null;
  merchant_net_minor: string | null;
  provider_payment_id: string | null;
  redirect_url: string | null;
  redirect_form: Record<string, string> | null;
  failure_reason: string | null;
  delivery: Delivery | null;
  metadata: Record<string, string>;
  sci: PaymentSci | null;
  locale: string | null;
  created_at: Date;
  expires_at: Date;
  paid_at: Date | null;
}

const toBigInt = (value: string | null) => (value === null ? null : BigInt(value));

const mapRow = (row: PaymentRow): StoredPayment => ({
  id: row.id,
  merchantId: row.merchant_id,
  checkoutId: row.checkout_id,
  orderId: row.order_id,
  testMode: row.test_mode,
  status: row.status,
  amountMinor: BigInt(row.amount_minor),
  currency: row.currency,
  description: row.description,
  method: row.method,
  feeMinor: toBigInt(row.fee_minor),
  buyerTotalMinor: toBigInt(row.buyer_total_minor),
  merchantNetMinor: toBigInt(row.merchant_net_minor),
  providerPaymentId: row.provider_payment_id,
  redirectUrl: row.redirect_url,
  redirectForm: row.redirect_form,
  failureReason: row.failure_reason,
  delivery: row.delivery,
  metadata: row.metadata,
  sci: row.sci,
  locale: row.locale,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  paidAt: row.paid_at,
});

export type NewPayment = Pick<
  Payment,
  | 'id'
  | 'merchantId'
  | 'checkoutId'
  | 'orderId'
  | 'testMode'
  | 'amountMinor'
  | 'currency'
  | 'description'
  | 'method'
  | 'delivery'
  | 'metadata'
  | 'expiresAt'
  | 'sci'
  | 'locale'
> & {
  /** The buyer's e-mail, for the receipt (notification channels); kept out of the Payment resource. */
  buyerEmail?: string | null;
  /** The `Idempotency-Key` it is created under: unique per merchant and mode. */
  idempotencyKey?: string | null;
};

export async function insertPayment(db: Pool, payment: NewPayment): Promise<StoredPayment> {
  const { rows } = await db.query<PaymentRow>(
    `insert into payments (id, merchant_id, checkout_id, order_id, test_mode, status, amount_minor, currency, description,
       method, delivery, metadata, expires_at, buyer_email, idempotency_key, sci, locale)
     values ($1, $2, $3, $4, $5, 'awaiting_method', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) returning *`,
    [
      payment.id,
      payment.merchantId,
      payment.checkoutId,
      payment.orderId,
      payment.testMode,
      payment.amountMinor.toString(),
      payment.currency,
      payment.description,
      payment.method,
      payment.delivery ? JSON.stringify(payment.delivery) : null,
      JSON.stringify(payment.metadata),
      payment.expiresAt,
      payment.buyerEmail ?? null,
      payment.idempotencyKey ?? null,
      payment.sci ? JSON.stringify(payment.sci) : null,
      payment.locale ?? null,
    ],
  );
  return mapRow(rows[0]!);
}

/** The payment a merchant created in one mode under an `Idempotency-Key`. */
export async function findPaymentByIdempotencyKey(db: Pool, owner: MerchantScope, key: string) {
  const { rows } = await db.query<PaymentRow>(
    'select * from payments where merchant_id = $1 and test_mode = $2 and idempotency_key = $3',
    [owner.merchantId, owner.testMode, key],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function markWorkflowStarted(db: Pool, id: string): Promise<void> {
  await db.query('update payments set workflow_started = true where id = $1', [id]);
}

/** {@link markWorkflowStarted} for many payments in one statement. */
export async function markWorkflowsStarted(db: Pool, ids: readonly string[]): Promise<void> {
  await db.query('update payments set workflow_started = true where id = any($1::text[])', [ids]);
}

/** Payments stored but whose workflow start was not confirmed (a crash in between). */
export const listUnstartedPayments = (db: Pool, olderThanSeconds: number, limit = 100, after?: OutboxCursor) =>
  listUnstarted(db, 'payments', mapRow, olderThanSeconds, limit, after);

/** Whether the merchant has, in the scope's mode, a payment in one of `statuses`. */
export async function anyPaymentIn(
  db: Pool,
  owner: MerchantScope,
  statuses: readonly PaymentStatus[],
): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>(
    'select exists (select 1 from payments where merchant_id = $1 and test_mode = $2 and status = any($3)) as found',
    [owner.merchantId, owner.testMode, statuses],
  );
  return rows[0]!.found;
}

export async function findPayment(db: Pool, owner: MerchantScope, id: string) {
  const { rows } = await db.query<PaymentRow>(
    'select * from payments where id = $1 and merchant_id = $2 and test_mode = $3',
    [id, owner.merchantId, owner.testMode],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function findPaymentById(db: Queryable, id: string): Promise<StoredPayment | null> {
  const { rows } = await db.query<PaymentRow>('select * from payments where id = $1', [id]);
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function findPaymentByOrder(db: Pool, checkoutId: string, orderId: string) {
  const { rows } = await db.query<PaymentRow>('select * from payments where checkout_id = $1 and order_id = $2', [
    checkoutId,
    orderId,
  ]);
  return rows[0] ? mapRow(rows[0]) : null;
}

/** The order ids of a checkout's payments for `orderId` and its `orderId~N` repeats (SCI without unique orders). */
export async function listOrderRepeats(db: Pool, checkoutId: string, orderId: string): Promise<string[]> {
  const { rows } = await db.query<{ order_id: string }>(
    `select order_id from payments where checkout_id = $1 and (order_id = $2 or left(order_id, length($2) + 1) = $2 || '~')`,
    [checkoutId, orderId],
  );
  return rows.map((row) => row.order_id);
}

export interface PaymentListFilter {
  merchantId: string;
  testMode: boolean;
  checkoutId?: string;
  status?: PaymentStatus;
  /** Created at or after. */
  createdFrom?: Date;
  /** Created before. */
  createdBefore?: Date;
  orderId?: string;
  currency?: string;
  /** Decimal strings compared with each payment's amount in its own currency. */
  amountMin?: string;
  amountMax?: string;
  limit: number;
  /** The id of the last payment of the previous page. */
  startingAfter?: string;
}

/** Each currency's minor units per major unit, so an amount range compares decimal amounts exactly. */
const minorPerMajor = supportedCurrencies.map((code) => (10n ** BigInt(currencyExponent(code))).toString());

/** A page of a merchant's payments in one mode, newest first, narrowed by the filter. */
export async function listPayments(db: Pool, filter: PaymentListFilter) {
  const params: unknown[] = [filter.merchantId, filter.testMode];
  const where = ['merchant_id = $1', 'test_mode = $2'];
  if (filter.checkoutId) where.push(`checkout_id = $${params.push(filter.checkoutId)}`);
  if (filter.status) where.push(`status = $${params.push(filter.status)}`);
  if (filter.createdFrom) where.push(`created_at >= $${params.push(filter.createdFrom)}`);
  if (filter.createdBefore) where.push(`created_at < $${params.push(filter.createdBefore)}`);
  if (filter.orderId) where.push(`order_id = $${params.push(filter.orderId)}`);
  if (filter.currency) where.push(`currency = $${params.push(filter.currency)}`);
  if (filter.amountMin !== undefined || filter.amountMax !== undefined) {
    const decimal = `(amount_minor::numeric / (select u.f from unnest($${params.push(supportedCurrencies)}::text[], $${params.push(
      minorPerMajor,
    )}::numeric[]) as u(c, f) where u.c = currency))`;
    if (filter.amountMin !== undefined) where.push(`${decimal} >= $${params.push(filter.amountMin)}::numeric`);
    if (filter.amountMax !== undefined) where.push(`${decimal} <= $${params.push(filter.amountMax)}::numeric`);
  }
  if (filter.startingAfter) {
    where.push(
      `(created_at, id) < (select created_at, id from payments where id = $${params.push(filter.startingAfter)} and merchant_id = $1)`,
    );
  }
  const { rows } = await db.query<PaymentRow>(
    `select * from payments where ${where.join(' and ')} order by created_at desc, id desc limit $${params.push(filter.limit + 1)}`,
    params,
  );
  return { payments: rows.slice(0, filter.limit).map(mapRow), hasMore: rows.length > filter.limit };
}

export interface StatusChange {
  paymentId: string;
  /**
   * Workflow time in ms × 1000 plus a count within the ms: an older change never overwrites a newer
   * one, across resets, continue-as-new and other workflows (older runs count 1, 2, 3…).
   */
  seq: number;
  status: PaymentStatus;
  method: string | null;
  providerPaymentId: string | null;
  redirectUrl: string | null;
  /** The fields to post to `redirectUrl`; null: a plain GET. */
  redirectForm?: Record<string, string> | null;
  failureReason: string | null;
  fees: { feeMinor: bigint; buyerTotalMinor: bigint; merchantNetMinor: bigint } | null;
}

/** The columns a status change sets, its parameters $1–$11 as {@link statusChangeParams} orders them. */
const statusChangeSql = `update payments set status = $3, status_seq = $2, method = $4, provider_payment_id = $5, redirect_url = $6,
       failure_reason = $7, fee_minor = coalesce($8, fee_minor), buyer_total_minor = coalesce($9, buyer_total_minor),
       merchant_net_minor = coalesce($10, merchant_net_minor), redirect_form = $11,
       paid_at = case when $3 = 'paid' then coalesce(paid_at, now()) else paid_at end, updated_at = now()
     where id = $1 and status_seq < $2 and status not in ('paid', 'refunded', 'partially_refunded') returning *`;

const statusChangeParams = (change: StatusChange) => [
  change.paymentId,
  change.seq,
  change.status,
  change.method,
  change.providerPaymentId,
  change.redirectUrl,
  change.failureReason,
  change.fees?.feeMinor.toString() ?? null,
  change.fees?.buyerTotalMinor.toString() ?? null,
  change.fees?.merchantNetMinor.toString() ?? null,
  change.redirectForm ? JSON.stringify(change.redirectForm) : null,
];

/**
 * Applies a status change once, in order. Returns the payment as it is afterwards. A payment whose money
 * is settled (`paid`, `refunded`, `partially_refunded`) is never moved by a status change: a reset
 * workflow run cannot undo a capture, a refund or an operator's accepted decision.
 */
export async function applyStatusChange(
  db: PoolClient,
  change: StatusChange,
): Promise<{ payment: StoredPayment; applied: boolean }> {
  const { rows } = await db.query<PaymentRow>(statusChangeSql, statusChangeParams(change));
  if (rows[0]) return { payment: mapRow(rows[0]), applied: true };
  const current = await findPaymentById(db, change.paymentId);
  if (!current) throw new Error(`payment ${change.paymentId} does not exist`);
  return { payment: current, applied: false };
}

/** A status change as the purchase writes it: the attempt it settles and the event it raises. */
export interface StatusWrite extends StatusChange {
  /** Settled with the change, when it applies. */
  attempt?: { attempt: number; status: AttemptStatus; providerPaymentId: string | null };
  /** The merchant event the change raises: whether it is stored already, and its channels' facts. */
  event?: { id: string; type: string } | null;
}

export interface StatusWriteResult {
  payment: StoredPayment;
  applied: boolean;
  /**
   * Whether the event is stored. When the change did not apply, a concurrent writer that committed
   * after this statement's snapshot is not seen: ask again before concluding it is absent.
   */
  eventStored: boolean;
  /** What the event's channel plan is made of; null without an event. */
  channels: ChannelFacts | null;
}

/**
 * {@link applyStatusChange} in one statement with what the purchase needs besides: the attempt
 * settled (when the change applies), whether its event is stored and the facts of the event's
 * channel plan. A change that does not apply answers the payment as the statement's snapshot
 * saw it.
 */
export async function writeStatusChange(db: Queryable, write: StatusWrite): Promise<StatusWriteResult> {
  const { rows } = await db.query<
    PaymentRow & { applied: boolean; event_stored: boolean } & Parameters<typeof channelFactsOf>[0]
  >(
    `with changed as (${statusChangeSql}),
     settled as (
       update payment_attempts set status = $12, provider_payment_id = coalesce($13, provider_payment_id), updated_at = now()
       where payment_id = $1 and attempt = $14 and exists (select 1 from changed)
     ),
     payment as (
       select *, true as applied from changed
       union all
       select *, false from payments where id = $1 and not exists (select 1 from changed)
     )
     select p.*, exists (select 1 from payment_events where id = $15) as event_stored, ${channelFactsColumns('p', '$16::text')}
     from payment p`,
    [
      ...statusChangeParams(write),
      write.attempt?.status ?? null,
      write.attempt?.providerPaymentId ?? null,
      write.attempt?.attempt ?? null,
      write.event?.id ?? null,
      write.event?.type ?? null,
    ],
  );
  const row = rows[0];
  if (!row) throw new Error(`payment ${write.paymentId} does not exist`);
  return {
    payment: mapRow(row),
    applied: row.applied,
    eventStored: row.event_stored,
    channels: write.event ? channelFactsOf(row) : null,
  };
}
