/**
 * The contract every payment provider adapter implements (connector contract, second version).
 * Adapters speak HTTP to their provider and know nothing of Temporal: retries belong to the
 * caller's retry policy. Amounts cross this boundary as minor units in decimal strings
 * (JSON-safe, never floats).
 *
 * An adapter ({@link ConnectorAdapter}) says what a provider can serve and how its credentials
 * look; `connect` turns one connector's credentials into a {@link PaymentConnector} client.
 */
import type { z } from 'zod';
import type { ProviderMethod } from '../domain/methods';
import type { PayoutDestination, PayoutDestinationInput } from '../domain/payout';
import type { ProviderPayoutState, ProviderRefundState, ProviderReport } from '../domain/provider-report';

export type { ProviderMethod } from '../domain/methods';
export type { PayoutDestination, PayoutDestinationInput } from '../domain/payout';
export type { ProviderPayoutState, ProviderRefundState, ProviderReport } from '../domain/provider-report';

/** What a connector can do beyond creating payments; callers check before they ask. */
export type ConnectorCapability =
  'create' | 'status' | 'cancel' | 'refund' | 'refund_status' | 'payout' | 'payout_status' | 'webhooks';

/** How sure we are about a failed provider call. */
export type ProviderFailureKind =
  /** The provider said no (declined, invalid request): retrying cannot help. */
  | 'definite'
  /** The request did not reach the provider or it asked us to come back: safe to retry. */
  | 'transient'
  /** The request may or may not have taken effect (a timeout after sending): ask the provider. */
  | 'indeterminate';

export class ProviderError extends Error {
  /** A provider's rate-limit delay (`Retry-After`), honoured as the next retry's delay. */
  readonly retryAfterMs?: number;

  constructor(
    readonly kind: ProviderFailureKind,
    readonly code: string,
    message: string,
    options?: { retryAfterMs?: number },
  ) {
    super(message);
    this.name = 'ProviderError';
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** Raised by {@link PaymentConnector.verifyCallback} for a forged, unsigned or stale callback. */
export class CallbackVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackVerificationError';
  }
}

/** Where the buyer goes next: a plain link, or a form that submits itself (POST). */
export type ProviderRedirect =
  { method: 'GET'; url: string } | { method: 'POST'; url: string; fields: Record<string, string> };

export interface CreateProviderPaymentInput {
  /** `${paymentId}-attempt-${n}`: stable across retries and workflow resets, one key never makes two charges. */
  idempotencyKey: string;
  /**
   * The order number the provider sees: the idempotency key, unless the adapter's
   * `referenceFormat` is `numeric` (then a stored mapping gives a number).
   */
  reference: string;
  /** Kassa payment id (`pay_…`). */
  paymentId: string;
  method: string;
  amountMinor: string;
  currency: string;
  description: string;
  /** Where the provider sends the buyer afterwards. */
  returnUrl: string;
  /** `${PUBLIC_URL}/callbacks/${provider}/${connectorId}`: where the provider sends its callbacks. */
  callbackUrl: string;
}

export interface CreateProviderPaymentOutput {
  /** `null` when the provider names its payment only in its callback. */
  providerPaymentId: string | null;
  redirect: ProviderRedirect;
}

export type ProviderPaymentState = 'pending' | 'succeeded' | 'declined' | 'canceled';

/** How a provider payment is found again: by Kassa's key, the provider's reference, or its own id. */
export interface ProviderPaymentRef {
  idempotencyKey: string;
  reference: string;
  providerPaymentId: string | null;
}

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
  /** `pending`: settled later by a callback or a status check. */
  state: ProviderRefundState | 'pending';
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
  /** `pending`: settled later by a callback or a status check. */
  state: ProviderPayoutState | 'pending';
  amountMinor: string;
  /** The bank's or provider's fee, deducted from the amount. */
  feeMinor: string;
  currency: string;
  failureReason?: string;
}

/** What arrived at `/callbacks/:provider[/:connector_id]`. */
export interface CallbackRequest {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
  method: 'GET' | 'POST';
  /** The caller's address (the trusted proxy setting applied), for providers that check it. */
  remoteAddress: string;
  now: Date;
}

/** A verified callback translated to Kassa's terms. */
export type TranslatedCallback =
  | { kind: 'payment'; callback: ProviderCallback }
  | { kind: 'refund'; eventId: string; refundId: string; refund: ProviderRefund }
  | { kind: 'payout'; eventId: string; payoutId: string; payout: ProviderPayout }
  /** A pre-request (WebMoney's `LMI_PREREQUEST`): answered, changes nothing. */
  | { kind: 'check'; reply?: string }
  /** An event type Kassa does not use. */
  | { kind: 'ignored'; reason: string };

export type CallbackOutcome = 'accepted' | 'duplicate' | 'ignored' | 'rejected';

export interface CallbackReply {
  status: number;
  contentType: string;
  body: string;
}

/** The answer every callback gets unless its connector says otherwise. */
export const defaultCallbackReply = (outcome: CallbackOutcome): CallbackReply =>
  outcome === 'rejected'
    ? {
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'signature_invalid', message: 'callback signature invalid' } }),
      }
    : { status: 200, contentType: 'application/json', body: '{"received":true}' };

/** One configured connector's client: a provider account with its own credentials. */
export interface PaymentConnector {
  /** `sandbox`, `stripe`, …: the path segment of `/callbacks/:provider`. */
  readonly provider: string;
  readonly capabilities: ReadonlySet<ConnectorCapability>;
  createPayment(input: CreateProviderPaymentInput): Promise<CreateProviderPaymentOutput>;
  /**
   * Asks the provider what became of a payment. Also answers for a create whose response was
   * lost; `null` when the provider never saw it.
   */
  getPaymentStatus(ref: ProviderPaymentRef): Promise<ProviderPaymentStatus | null>;
  /** Cancels an unpaid provider payment (capability `cancel`). */
  cancelPayment?(ref: ProviderPaymentRef): Promise<ProviderPaymentStatus>;
  /**
   * Verifies a callback (its own credentials, the caller's address) before anything else reads
   * it, then translates it. Throws {@link CallbackVerificationError} when forged, unsigned or stale.
   */
  verifyCallback(request: CallbackRequest): Promise<TranslatedCallback>;
  /** The provider's required answer for an outcome; default {@link defaultCallbackReply}. */
  callbackReply?(outcome: CallbackOutcome, callback: TranslatedCallback | null): CallbackReply;
  /** Gives (part of) a captured payment back to the buyer. A refused refund answers `failed`; may answer `pending`. */
  refundPayment?(input: RefundPaymentInput): Promise<ProviderRefund>;
  /** Where a refund stands; `null` when the provider never saw it. */
  getRefundStatus?(input: { refundId: string; providerRefundId: string | null }): Promise<ProviderRefund | null>;
  /** Checks a payout destination; throws a definite {@link ProviderError} for one the provider does not know. */
  resolvePayoutDestination?(destination: PayoutDestinationInput): Promise<PayoutDestination>;
  /** Sends money from Kassa's balance at the provider to a card or wallet. A refused payout answers `failed`; may answer `pending`. */
  createPayout?(input: CreatePayoutInput): Promise<ProviderPayout>;
  /** Where a payout stands; `null` when the provider never saw it. */
  getPayoutStatus?(input: { payoutId: string; providerPayoutId: string | null }): Promise<ProviderPayout | null>;
  /** What the provider did in [from, to): captured payments, refunds, payouts. */
  report?(period: { from: Date; to: Date }): Promise<ProviderReport>;
}

/** What a connector is told about itself when it is made. */
export interface ConnectorContext {
  connectorId: string;
  mode: 'test' | 'live';
  /** Kassa's public base URL. */
  publicUrl: string;
}

/** One provider's adapter: what it serves and how a connector of it is made. */
export interface ConnectorAdapter<Credentials = Record<string, unknown>> {
  readonly provider: string;
  /** The methods it can serve. */
  readonly methods: readonly { code: string; title: string }[];
  /** Validated on `POST`/`PATCH /admin/connectors`; problems name `credentials.<field>`. */
  readonly credentials: z.ZodType<Credentials>;
  /** Credential fields shown masked in answers (all fields are write-only). */
  readonly secretFields: readonly string[];
  /** `numeric`: the provider needs its own numeric order number, kept in `provider_references`. */
  readonly referenceFormat: 'kassa' | 'numeric';
  /** A credentials problem that depends on the connector's mode (a test key at a live connector), or null. */
  modeProblem?(credentials: Credentials, mode: 'test' | 'live'): { field: string; message: string } | null;
  connect(credentials: Credentials, context: ConnectorContext): PaymentConnector;
}

/** A payment's create input as the first contract had it (no reference). */
export type LegacyCreateProviderPaymentInput = Omit<CreateProviderPaymentInput, 'reference'>;

/**
 * The first contract, kept while callers move to {@link PaymentConnector}: one provider per
 * method, GET redirects only, a synchronous verifier.
 * @deprecated use {@link PaymentConnector} through the connector registry.
 */
export interface PaymentProvider {
  /** Path segment of `/callbacks/:provider`. */
  readonly name: string;
  readonly methods: readonly ProviderMethod[];
  createPayment(input: LegacyCreateProviderPaymentInput): Promise<{ providerPaymentId: string; redirectUrl: string }>;
  getPaymentStatus(idempotencyKey: string): Promise<ProviderPaymentStatus | null>;
  verifyCallback(rawBody: Buffer, headers: Record<string, string | string[] | undefined>, now: Date): ProviderCallback;
  refundPayment?(input: RefundPaymentInput): Promise<ProviderRefund>;
  resolvePayoutDestination?(destination: PayoutDestinationInput): Promise<PayoutDestination>;
  createPayout?(input: CreatePayoutInput): Promise<ProviderPayout>;
  report?(period: { from: Date; to: Date }): Promise<ProviderReport>;
}
