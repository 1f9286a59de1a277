import { randomBytes } from 'node:crypto';

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

/** `sp_`, `sr_`, `spo_`, `ctok_`, `sevt_` followed by 24 random hex digits. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** The same request body in any key order gives the same fingerprint. */
export function fingerprintOf(body: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(body)
      .sort()
      .map((key) => [key, body[key]]),
  );
}

/** What each Idempotency-Key created, and from which body. */
export class IdempotencyIndex {
  private readonly byKey = new Map<string, { fingerprint: string; id: string }>();

  /** The id created under `key`; `sameBody` is false when the key came with another body. */
  recall(key: string, fingerprint: string): { id: string; sameBody: boolean } | undefined {
    const known = this.byKey.get(key);
    return known && { id: known.id, sameBody: known.fingerprint === fingerprint };
  }

  idOf(key: string): string | undefined {
    return this.byKey.get(key)?.id;
  }

  remember(key: string, fingerprint: string, id: string): void {
    this.byKey.set(key, { fingerprint, id });
  }
}

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
