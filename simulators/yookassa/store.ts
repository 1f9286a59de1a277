import { randomBytes } from 'node:crypto';

/** The statuses of a YooKassa payment and of a refund. */
export type PaymentStatus = 'pending' | 'waiting_for_capture' | 'succeeded' | 'canceled';
export type RefundStatus = 'pending' | 'succeeded' | 'canceled';

export interface Amount {
  value: string;
  currency: string;
}

export interface Cancellation {
  party: 'merchant' | 'yoo_money' | 'payment_network';
  reason: string;
}

export interface StoredPayment {
  id: string;
  status: PaymentStatus;
  amount: Amount;
  capture: boolean;
  description?: string;
  metadata: Record<string, string>;
  paymentMethodType?: string;
  returnUrl: string;
  createdAt: Date;
  capturedAt?: Date;
  expiresAt?: Date;
  refundedMinor: bigint;
  cancellation?: Cancellation;
  test: boolean;
}

export interface StoredRefund {
  id: string;
  paymentId: string;
  status: RefundStatus;
  amount: Amount;
  description?: string;
  createdAt: Date;
  cancellation?: Cancellation;
}

/** An id shaped like YooKassa's: `2a9b4c1d-000f-5000-8000-0123456789ab` (hex, 36 characters). */
export function yookassaId(): string {
  const hex = randomBytes(10).toString('hex');
  return `${hex.slice(0, 8)}-000f-5000-${hex.slice(8, 12).replace(/^./, '8')}-${hex.slice(12, 20)}${randomBytes(2).toString('hex')}`;
}

/** Everything the simulated shop holds, in memory, in creation order. */
export class Store {
  readonly payments = new Map<string, StoredPayment>();
  readonly refunds = new Map<string, StoredRefund>();
  /** Idempotence keys: the request each came with and the answer it got. */
  readonly answers = new Map<string, { fingerprint: string; status: number; body: unknown; at: number }>();
}

const iso = (date: Date | undefined) => date?.toISOString().replace(/(\.\d{3})\d*Z$/, '$1Z');

/** A payment object as YooKassa's API answers it and its notifications carry it. */
export function paymentView(payment: StoredPayment, shopId: string, pageUrl: string) {
  const paid = payment.status === 'waiting_for_capture' || payment.status === 'succeeded';
  return {
    id: payment.id,
    status: payment.status,
    paid,
    amount: payment.amount,
    ...(payment.status === 'succeeded' && { income_amount: payment.amount }),
    ...(payment.status === 'pending' && {
      confirmation: { type: 'redirect', return_url: payment.returnUrl, confirmation_url: pageUrl },
    }),
    created_at: iso(payment.createdAt),
    ...(payment.description !== undefined && { description: payment.description }),
    ...(payment.expiresAt && { expires_at: iso(payment.expiresAt) }),
    ...(payment.capturedAt && { captured_at: iso(payment.capturedAt) }),
    metadata: payment.metadata,
    ...(payment.paymentMethodType &&
      paid && { payment_method: { type: payment.paymentMethodType, id: payment.id, saved: false } }),
    recipient: { account_id: shopId, gateway_id: shopId },
    refundable: payment.status === 'succeeded',
    ...(payment.status === 'succeeded' && {
      refunded_amount: { value: formatMinor(payment.refundedMinor), currency: payment.amount.currency },
    }),
    test: payment.test,
    ...(payment.cancellation && { cancellation_details: payment.cancellation }),
  };
}

export function refundView(refund: StoredRefund) {
  return {
    id: refund.id,
    payment_id: refund.paymentId,
    status: refund.status,
    ...(refund.cancellation && { cancellation_details: refund.cancellation }),
    created_at: iso(refund.createdAt),
    amount: refund.amount,
    ...(refund.description !== undefined && { description: refund.description }),
  };
}

/** Every currency YooKassa takes here has two decimals. */
export function toMinor(value: string): bigint {
  const [whole, fraction = ''] = value.split('.');
  return BigInt(whole! + fraction.padEnd(2, '0'));
}

export function formatMinor(minor: bigint): string {
  const digits = minor.toString().padStart(3, '0');
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}
