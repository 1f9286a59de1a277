import { IdempotencyIndex } from '../common/ids';

export type PaymentStatus = 'pending' | 'succeeded' | 'declined';

export interface StoredPayment {
  id: string;
  reference: string;
  method: string;
  status: PaymentStatus;
  /** What the buyer was asked to pay. */
  requestedAmountMinor: string;
  /** What was captured: differs from the request only under the `wrong_amount` fault. */
  amountMinor: string;
  currency: string;
  description: string;
  returnUrl: string;
  callbackUrl: string;
  checkoutUrl: string;
  createdAt: Date;
  /** When the buyer approved: the capture the report lists. */
  capturedAt?: Date;
  declineReason?: string;
}

export interface StoredRefund {
  id: string;
  paymentId: string;
  reference: string;
  amountMinor: string;
  currency: string;
  status: 'succeeded' | 'failed';
  failureReason?: string;
  createdAt: Date;
}

export interface StoredPayout {
  id: string;
  reference: string;
  amountMinor: string;
  feeMinor: string;
  currency: string;
  destination: { type: 'card'; token: string; last4: string } | { type: 'wallet'; walletId: string };
  status: 'paid' | 'failed';
  failureReason?: string;
  createdAt: Date;
}

export interface StoredCardToken {
  token: string;
  last4: string;
  brand: string;
  /** Payouts to it fail (the bank's failing test card). */
  fails: boolean;
}

/** Ids are `sp_`, `sr_`, `spo_`, `ctok_`, `sevt_` followed by 24 random hex digits. */
export { IdempotencyIndex, fingerprintOf, newId } from '../common/ids';

/** Everything the sandbox knows, in memory: gone when the process stops. */
export class SandboxStore {
  readonly payments = new Map<string, StoredPayment>();
  readonly paymentKeys = new IdempotencyIndex();
  readonly refunds = new Map<string, StoredRefund>();
  readonly refundKeys = new IdempotencyIndex();
  readonly payouts = new Map<string, StoredPayout>();
  readonly payoutKeys = new IdempotencyIndex();
  readonly cardTokens = new Map<string, StoredCardToken>();

  /** The sum of a payment's refunds that went through. */
  refundedMinor(paymentId: string): bigint {
    let sum = 0n;
    for (const refund of this.refunds.values()) {
      if (refund.paymentId === paymentId && refund.status === 'succeeded') sum += BigInt(refund.amountMinor);
    }
    return sum;
  }
}
