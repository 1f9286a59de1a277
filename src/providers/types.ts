/**
 * The contract every payment provider adapter implements. Adapters speak HTTP to their
 * provider and know nothing of Temporal: retries belong to the caller's retry policy.
 * Amounts cross this boundary as minor units in decimal strings (JSON-safe, never floats).
 */
import type { ProviderMethod } from '../domain/methods';
import type { PayoutDestination, PayoutDestinationInput } from '../domain/payout';
import type { ProviderPayoutState, ProviderRefundState, ProviderReport } from '../domain/provider-report';

export type { ProviderMethod } from '../domain/methods';
export type { PayoutDestination, PayoutDestinationInput } from '../domain/payout';
export type { ProviderPayoutState, ProviderRefundState, ProviderReport } from '../domain/provider-report';

/** How sure we are about a failed provider call. */
export type ProviderFailureKind =
  /** The provider said no (declined, invalid request): retrying cannot help. */
  | 'definite'
  /** The request did not reach the provider or it asked us to come back: safe to retry. */
  | 'transient'
  /** The request may or may not have taken effect (a timeout after sending): ask the provider. */
  | 'indeterminate';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderFailureKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** Raised by {@link PaymentProvider.verifyCallback} for a forged, unsigned or stale callback. */
export class CallbackVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackVerificationError';
  }
}

export interface CreateProviderPaymentInput {
  /** Stable across retries and workflow resets: one key never makes two charges. */
  idempotencyKey: string;
  /** Kassa payment id (`pay_…`), echoed back by the provider as its reference. */
  paymentId: string;
  method: string;
  amountMinor: string;
  currency: string;
  description: string;
  /** Where the provider sends the buyer afterwards. */
  returnUrl: string;
  /** Where the provider posts its signed callbacks. */
  callbackUrl: string;
}

export interface CreateProviderPaymentOutput {
  providerPaymentId: string;
  /** The provider's page the buyer is sent to. */
  redirectUrl: string;
}

export type ProviderPaymentState = 'pending' | 'succeeded' | 'declined';

export interface ProviderPaymentStatus {
  providerPaymentId: string;
  state: ProviderPaymentState;
  amountMinor: string;
  currency: string;
  declineReason?: string;
}

/** A verified provider callback, reduced to what the purchase workflow needs. */
export interface ProviderCallback {
  /** The provider's unique event id: repeats are dropped by it. */
  eventId: string;
  providerPaymentId: string;
  /** Kassa payment id the provider echoes back. */
  paymentId: string;
  state: ProviderPaymentState;
  amountMinor: string;
  currency: string;
  /** ISO 8601. */
  occurredAt: string;
  declineReason?: string;
}

export interface RefundPaymentInput {
  /** Kassa's refund id (`re_…`): one key never refunds twice. */
  idempotencyKey: string;
  refundId: string;
  providerPaymentId: string;
  amountMinor: string;
  currency: string;
}

export interface ProviderRefund {
  providerRefundId: string;
  state: ProviderRefundState;
  amountMinor: string;
  currency: string;
  failureReason?: string;
}

export interface CreatePayoutInput {
  /** Kassa's payout id (`po_…`): one key never pays out twice. */
  idempotencyKey: string;
  payoutId: string;
  /** Taken from the merchant's balance; the destination receives it less the provider's fee. */
  amountMinor: string;
  currency: string;
  destination: PayoutDestinationInput;
}

export interface ProviderPayout {
  providerPayoutId: string;
  state: ProviderPayoutState;
  amountMinor: string;
  /** The bank's or provider's fee, deducted from the amount. */
  feeMinor: string;
  currency: string;
  failureReason?: string;
}

export interface PaymentProvider {
  /** Path segment of `/callbacks/:provider`. */
  readonly name: string;
  readonly methods: readonly ProviderMethod[];
  createPayment(input: CreateProviderPaymentInput): Promise<CreateProviderPaymentOutput>;
  /**
   * Asks the provider what became of a payment. By idempotency key, so it also answers
   * for a create whose response was lost; `null` when the provider never saw the key.
   */
  getPaymentStatus(idempotencyKey: string): Promise<ProviderPaymentStatus | null>;
  /**
   * Verifies a callback's raw body against the provider's signature scheme before anything
   * else reads it. Throws {@link CallbackVerificationError} when forged, unsigned or stale.
   */
  verifyCallback(rawBody: Buffer, headers: Record<string, string | string[] | undefined>, now: Date): ProviderCallback;
  /** Gives (part of) a captured payment back to the buyer. A refused refund answers `failed`. */
  refundPayment?(input: RefundPaymentInput): Promise<ProviderRefund>;
  /** Checks a payout destination; throws a definite {@link ProviderError} for one the provider does not know. */
  resolvePayoutDestination?(destination: PayoutDestinationInput): Promise<PayoutDestination>;
  /** Sends money from Kassa's balance at the provider to a card or wallet. A refused payout answers `failed`. */
  createPayout?(input: CreatePayoutInput): Promise<ProviderPayout>;
  /** What the provider did in [from, to): captured payments, refunds, payouts. */
  report?(period: { from: Date; to: Date }): Promise<ProviderReport>;
}
