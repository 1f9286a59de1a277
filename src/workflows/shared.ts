/**
 * What the API and the worker share about the purchase workflow, importable without pulling
 * in workflow code: task queue, workflow ids, message definitions and payload types.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { PaymentStatus } from '../domain/payment';
import type { ProviderCallback, ProviderRedirect } from '../providers/types';

export const taskQueue = 'payments';

export function purchaseWorkflowId(paymentId: string): string {
  return `payment-${paymentId}`;
}

/** Search attributes of docs/api.md §9, kept current by the workflow. */
export const searchAttributes = {
  paymentStatus: defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD),
  merchantId: defineSearchAttributeKey('MerchantId', SearchAttributeType.KEYWORD),
  checkoutId: defineSearchAttributeKey('CheckoutId', SearchAttributeType.KEYWORD),
  orderId: defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD),
  paymentMethod: defineSearchAttributeKey('PaymentMethod', SearchAttributeType.KEYWORD),
  amountMinor: defineSearchAttributeKey('AmountMinor', SearchAttributeType.INT),
  currency: defineSearchAttributeKey('Currency', SearchAttributeType.KEYWORD),
  testMode: defineSearchAttributeKey('TestMode', SearchAttributeType.BOOL),
} as const;

/** `name=Type` pairs for `temporal server start-dev --search-attribute` and the operator service. */
export const searchAttributeDefinitions: Record<string, 'Keyword' | 'Int' | 'Bool'> = {
  PaymentStatus: 'Keyword',
  MerchantId: 'Keyword',
  CheckoutId: 'Keyword',
  OrderId: 'Keyword',
  PaymentMethod: 'Keyword',
  AmountMinor: 'Int',
  Currency: 'Keyword',
  TestMode: 'Bool',
};

/** History length past which a purchase continues as new, unless its input says otherwise. */
export const defaultPurchaseHistoryLimit = 2_000;

/** The input of `purchaseWorkflow`: everything it needs, so it never reads the database to decide. */
export interface PurchaseInput {
  paymentId: string;
  merchantId: string;
  checkoutId: string;
  orderId: string;
  testMode: boolean;
  /** Minor units, decimal string. */
  amountMinor: string;
  currency: string;
  description: string;
  /** Method codes the buyer may choose from. */
  methods: string[];
  /** Method chosen by the merchant at creation: skips the hosted page. */
  method: string | null;
  /** Used only when `quotes` is absent (payments started before per-method quotes). */
  feePayer: 'merchant' | 'buyer';
  /** Commission in basis points of the amount (300 = 3%). */
  feeBasisPoints: number;
  /** What each offered method costs, fixed at creation: the buyer pays `buyerTotalMinor` of the chosen one. */
  quotes?: MethodQuoteInput[];
  /** ISO 8601. */
  expiresAt: string;
  /** Seconds between provider status checks while a payment waits for its callback. */
  statusPollSeconds: number[];
  /**
   * History length (events) past which the workflow continues as new at its next safe point;
   * default `defaultPurchaseHistoryLimit`. The server's own suggestion to continue as new is followed as well.
   */
  historyLimit?: number;
  /** The state a previous run handed over when it continued as new; absent in a payment's first run. */
  carried?: PurchaseCarry;
  /**
   * What becomes of a success that arrives after the payment expired or was canceled (and its
   * provider payment was canceled): `refund`ed at once, or `hold` for the operator (flagged for
   * review). Absent: `hold`.
   */
  lateSuccess?: 'refund' | 'hold';
}

/** A provider payment Kassa asked for under one attempt's key; `providerPaymentId` is null until the provider says it. */
export interface ProviderAttempt {
  attempt: number;
  method: string;
  providerPaymentId: string | null;
  /** The connector the attempt was made at; absent in attempts made before connectors. */
  connectorId?: string | null;
}

/** What a purchase run hands to the next when it continues as new: everything it decides by. */
export interface PurchaseCarry {
  state: PurchaseState;
  /** Callback event ids already received, so repeats stay dropped. */
  seenEventIds: string[];
  /** Callbacks received but not yet handled. */
  callbacks: ProviderCallback[];
  declines: number;
  /** An attempt whose provider payment may or may not exist. */
  unsettled: { attempt: number; method: string } | null;
  providerAttempts: ProviderAttempt[];
  polls: number;
  /** Epoch ms of the next status check; null when none is planned. */
  nextPollAt: number | null;
  recheckRequested: boolean;
  /** The last status write's order number. */
  statusSeq: number;
  /**
   * Successes naming a provider payment whose owner the provider could not be asked about yet; asked
   * again on the next wake. Absent in handovers made before they were kept.
   */
  deferredCallbacks?: ProviderCallback[];
  /** How many times the deferred successes have been asked about, for the delay before the next try. */
  deferredTries?: number;
  /** Epoch ms of the next try for the deferred successes; null when none is planned. */
  retryDeferredAt?: number | null;
  /** The paused connector the current attempt waits at; null or absent when not parked. */
  parkedAt?: string | null;
}

/** One method's price for this payment, minor units in decimal strings. */
export interface MethodQuoteInput {
  method: string;
  feeMinor: string;
  buyerTotalMinor: string;
  merchantNetMinor: string;
}

export interface PurchaseState {
  status: PaymentStatus;
  method: string | null;
  attempt: number;
  providerPaymentId: string | null;
  redirectUrl: string | null;
  /**
   * How the buyer goes to `redirectUrl`: a plain link, or a form that submits itself (POST, with
   * its fields) for providers that take the buyer that way. Absent before connectors.
   */
  redirect?: ProviderRedirect | null;
  failureReason: string | null;
}

export interface SelectMethodRequest {
  method: string;
}

export interface SelectMethodResult {
  redirectUrl: string;
  /** How the buyer goes there (GET link or self-submitting POST form), when the connector said. */
  redirect?: ProviderRedirect;
}

export const statusQuery = defineQuery<PurchaseState>('status');
export const selectMethodUpdate = defineUpdate<SelectMethodResult, [SelectMethodRequest]>('selectMethod');
export const cancelUpdate = defineUpdate<PurchaseState, []>('cancel');
/** A verified provider callback; the workflow drops repeats by `eventId`. */
export const providerCallbackSignal = defineSignal<[ProviderCallback]>('providerCallback');

/**
 * An operator's "ask the provider now" instead of at the next scheduled status check (after a
 * provider outage, or when a callback is known to be lost). Only meaningful in `awaiting_payment`.
 */
export const recheckProviderSignal = defineSignal<[]>('recheckProvider');

/**
 * A connector resumed: a payment whose current attempt is parked at it asks the provider at once
 * and continues from where it was (sent by `wakeParkedPurchases`).
 */
export const connectorResumedSignal = defineSignal<[{ connectorId: string }]>('connectorResumed');

/** The workflow id of a re-send of one merchant event; `attemptId` makes each re-send its own run. */
export const resendEventWorkflowId = (eventId: string, attemptId: string) => `resend-${eventId}-${attemptId}`;

/** The memo key that lists the search attributes a workflow may set; absent: all of them (`search-attribute-guard.ts`). */
export const registeredSearchAttributesMemo = 'kassaRegisteredSearchAttributes';
