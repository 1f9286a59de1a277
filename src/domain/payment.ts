import type { PaymentSci } from './interkassa';

/** Payment statuses (docs/api.md §5). `under_review` holds a payment whose confirmation did not match. */
export const paymentStatuses = [
  'awaiting_method',
  'awaiting_payment',
  'paid',
  'failed',
  'expired',
  'canceled',
  'under_review',
  'refunded',
  'partially_refunded',
] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export const openStatuses: readonly PaymentStatus[] = ['awaiting_method', 'awaiting_payment'];

export type Delivery =
  { type: 'digital'; download_url: string } | { type: 'physical'; method: string; eta_days: number };

export interface Payment {
  id: string;
  merchantId: string;
  checkoutId: string;
  orderId: string;
  testMode: boolean;
  status: PaymentStatus;
  amountMinor: bigint;
  currency: string;
  description: string;
  method: string | null;
  feeMinor: bigint | null;
  buyerTotalMinor: bigint | null;
  merchantNetMinor: bigint | null;
  providerPaymentId: string | null;
  failureReason: string | null;
  delivery: Delivery | null;
  metadata: Record<string, string>;
  createdAt: Date;
  expiresAt: Date;
  paidAt: Date | null;
  /** What a payment made through the Interkassa SCI form keeps of it; null (or absent) for one made through the API. */
  sci?: PaymentSci | null;
  /** The buyer's language (`ik_loc`), when the shop chose one. */
  locale?: string | null;
}

/** Who bears the commission for a checkout's payments. */
export type FeePayer = 'merchant' | 'buyer';

export const defaultFeeBasisPoints = 300n;

/**
 * The commission on `amountMinor`, rounded half-up to the minor unit, and how it falls:
 * the merchant pays it (the buyer pays the amount, the merchant is credited amount − fee)
 * or the buyer does (the buyer pays amount + fee, the merchant is credited the amount).
 */
export function splitFee(amountMinor: bigint, feePayer: FeePayer, basisPoints = defaultFeeBasisPoints) {
  const feeMinor = (amountMinor * basisPoints + 5_000n) / 10_000n;
  return feePayer === 'buyer'
    ? { feeMinor, buyerTotalMinor: amountMinor + feeMinor, merchantNetMinor: amountMinor }
    : { feeMinor, buyerTotalMinor: amountMinor, merchantNetMinor: amountMinor - feeMinor };
}

/** A payment as Kassa keeps it: the resource's facts and where the buyer was last sent to pay. */
/**
 * A stored payment with where its buyer goes next: `redirectUrl`, reached by GET, or with
 * `redirectForm` by a form of these fields posted to it.
 */
export type StoredPayment = Payment & { redirectUrl: string | null; redirectForm: Record<string, string> | null };
