import { z } from 'zod';
import {
  type CreateProviderPaymentInput,
  type ProviderPaymentState,
  type ProviderPaymentStatus,
  type ProviderRefund,
  ProviderError,
  type RefundPaymentInput,
  type TranslatedCallback,
} from '../types';
import { fromStripeAmount, toStripeAmount } from './amounts';
import { neverSent, retryAfterMs } from '../http-failures';

/** Metadata keys Kassa sets on every Checkout Session, PaymentIntent and Refund it makes. */
export const METADATA = {
  paymentId: 'kassa_payment_id',
  attemptKey: 'kassa_attempt_key',
  refundId: 'kassa_refund_id',
} as const;

/** Kassa's method codes and the Stripe payment method types each one offers. */
export const STRIPE_METHODS = {
  stripe_card: { title: 'Card (Stripe)', paymentMethodTypes: ['card'] },
} as const satisfies Record<string, { title: string; paymentMethodTypes: readonly string[] }>;
export type StripeMethod = keyof typeof STRIPE_METHODS;

export const isStripeMethod = (method: string): method is StripeMethod => Object.hasOwn(STRIPE_METHODS, method);

const metadataSchema = z.record(z.string(), z.string()).nullish();
const lastPaymentErrorSchema = z
  .object({ code: z.string().nullish(), decline_code: z.string().nullish(), message: z.string().nullish() })
  .nullish();

/** The fields of a PaymentIntent Kassa reads. */
export const stripeIntentSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  last_payment_error: lastPaymentErrorSchema,
});

/** The fields of a Checkout Session Kassa reads (`payment_intent` is an id, or the object when expanded). */
export const stripeSessionSchema = z.object({
  id: z.string().min(1),
  status: z.string().nullable(),
  payment_status: z.string(),
  amount_total: z.number().int().nullable(),
  currency: z.string().nullable(),
  client_reference_id: z.string().nullish(),
  metadata: metadataSchema,
  payment_intent: z.union([z.string(), stripeIntentSchema]).nullish(),
  url: z.string().nullish(),
});
export type StripeSession = z.infer<typeof stripeSessionSchema>;

/** The fields of a Refund Kassa reads. */
export const stripeRefundSchema = z.object({
  id: z.string().min(1),
  status: z.string().nullable(),
  amount: z.number().int(),
  currency: z.string(),
  metadata: metadataSchema,
  failure_reason: z.string().nullish(),
});
export type StripeRefund = z.infer<typeof stripeRefundSchema>;

/** A Stripe event as it arrives at the webhook endpoint (its object is read per type). */
export const stripeEventSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.number().int().nonnegative(),
  livemode: z.boolean(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type StripeEvent = z.infer<typeof stripeEventSchema>;

/** The Checkout Session's create parameters (sent with the attempt key as `Idempotency-Key`). */
export function toSessionCreateParams(input: CreateProviderPaymentInput) {
  if (!isStripeMethod(input.method))
    throw new ProviderError('definite', 'method_not_supported', `Stripe does not serve ${input.method}`);
  const metadata = { [METADATA.paymentId]: input.paymentId, [METADATA.attemptKey]: input.idempotencyKey };
  return {
    mode: 'payment' as const,
    payment_method_types: [...STRIPE_METHODS[input.method].paymentMethodTypes],
    line_items: [
      {
        quantity: 1,
        price_data: {
          currency: input.currency.toLowerCase(),
          unit_amount: toStripeAmount(input.amountMinor, input.currency),
          product_data: { name: input.description.trim() || `Order ${input.reference}` },
        },
      },
    ],
    client_reference_id: input.reference,
    metadata,
    payment_intent_data: { metadata },
    success_url: input.returnUrl,
    cancel_url: input.returnUrl,
  };
}

const intentOf = (session: StripeSession) =>
  session.payment_intent && typeof session.payment_intent === 'object' ? session.payment_intent : null;

const declineReasonOf = (error: z.infer<typeof lastPaymentErrorSchema>) =>
  error?.decline_code || error?.code || error?.message || 'payment_failed';

/**
 * Where a Checkout Session stands. `open`: the buyer may still pay. `complete` and paid: paid.
 * `complete` and unpaid: an asynchronous method (a bank debit) is settling, or failed when its
 * PaymentIntent (expanded) wants a new payment method or was canceled. `expired`: never paid.
 */
export function sessionState(session: StripeSession): { state: ProviderPaymentState; declineReason?: string } {
  if (session.status === 'expired') return { state: 'canceled' };
  if (session.status !== 'complete') return { state: 'pending' };
  if (session.payment_status === 'paid' || session.payment_status === 'no_payment_required')
    return { state: 'succeeded' };
  const intent = intentOf(session);
  if (intent && (intent.status === 'requires_payment_method' || intent.status === 'canceled'))
    return { state: 'declined', declineReason: declineReasonOf(intent.last_payment_error) };
  return { state: 'pending' };
}

/** A session's amount: its total, else (before line items are priced) its PaymentIntent's. */
function sessionAmount(session: StripeSession): { amountMinor: string; currency: string } {
  const intent = intentOf(session);
  const amount = session.amount_total ?? intent?.amount;
  const currency = session.currency ?? intent?.currency;
  if (amount === undefined || amount === null || !currency)
    throw new ProviderError('indeterminate', 'amount_missing', `Stripe sent session ${session.id} without an amount`);
  return { amountMinor: fromStripeAmount(amount, currency), currency: currency.toUpperCase() };
}

export function toPaymentStatus(session: StripeSession): ProviderPaymentStatus {
  const { state, declineReason } = sessionState(session);
  return {
    providerPaymentId: session.id,
    state,
    ...sessionAmount(session),
    ...(declineReason !== undefined && { declineReason }),
  };
}

/** Whether a session (found by listing or searching) is the one made with this attempt key. */
export const sessionMadeWith = (session: StripeSession, ref: { idempotencyKey: string; reference: string }) =>
  session.metadata?.[METADATA.attemptKey] === ref.idempotencyKey ||
  (!!session.client_reference_id && session.client_reference_id === ref.reference);

export function toRefundCreateParams(input: RefundPaymentInput, paymentIntentId: string) {
  return {
    payment_intent: paymentIntentId,
    amount: toStripeAmount(input.amountMinor, input.currency),
    metadata: { [METADATA.refundId]: input.refundId },
  };
}

/** `pending` and `requires_action` settle later; `canceled` ends like `failed`. */
export function toProviderRefund(refund: StripeRefund): ProviderRefund {
  const state: ProviderRefund['state'] =
    refund.status === 'succeeded'
      ? 'succeeded'
      : refund.status === 'failed' || refund.status === 'canceled'
        ? 'failed'
        : 'pending';
  return {
    providerRefundId: refund.id,
    state,
    amountMinor: fromStripeAmount(refund.amount, refund.currency),
    currency: refund.currency.toUpperCase(),
    ...(state === 'failed' && { failureReason: refund.failure_reason || refund.status || 'failed' }),
  };
}

/** The mapped value, or why an amount Kassa cannot read (no amount, a currency Kassa lacks) makes it unusable. */
function amountOrReason<T>(map: () => T): T | string {
  try {
    return map();
  } catch (error) {
    if (error instanceof ProviderError) return error.message;
    throw error;
  }
}

const SESSION_EVENTS: Record<string, ((session: StripeSession) => ProviderPaymentState) | undefined> = {
  'checkout.session.completed': (session) => sessionState(session).state,
  'checkout.session.async_payment_succeeded': () => 'succeeded',
  'checkout.session.async_payment_failed': () => 'declined',
  'checkout.session.expired': () => 'canceled',
};
const REFUND_EVENTS = new Set(['refund.created', 'refund.updated', 'refund.failed', 'charge.refund.updated']);

/**
 * A verified Stripe event in Kassa's terms. A Checkout Session's events carry the payment's
 * outcome; `refund.*` events a refund's. PaymentIntent and charge events are ignored: a session's
 * PaymentIntent may fail and be retried with another card inside the same session, and the
 * session's own events already say how it ended.
 */
export function translateEvent(event: StripeEvent, mode: 'test' | 'live'): TranslatedCallback {
  if (event.livemode !== (mode === 'live'))
    return { kind: 'ignored', reason: `a ${event.livemode ? 'live' : 'test'}-mode event at a ${mode} connector` };
  const toState = SESSION_EVENTS[event.type];
  if (toState) {
    const parsed = stripeSessionSchema.safeParse(event.data.object);
    if (!parsed.success) return { kind: 'ignored', reason: `${event.type} without a Checkout Session` };
    const session = parsed.data;
    const paymentId = session.metadata?.[METADATA.paymentId];
    if (!paymentId) return { kind: 'ignored', reason: `Checkout Session ${session.id} was not made by Kassa` };
    const state = toState(session);
    const declineReason =
      state === 'declined' ? (sessionState(session).declineReason ?? 'async_payment_failed') : undefined;
    const amount = amountOrReason(() => sessionAmount(session));
    if (typeof amount === 'string') return { kind: 'ignored', reason: amount };
    return {
      kind: 'payment',
      callback: {
        eventId: event.id,
        providerPaymentId: session.id,
        paymentId,
        state,
        ...amount,
        occurredAt: new Date(event.created * 1000).toISOString(),
        ...(declineReason !== undefined && { declineReason }),
      },
    };
  }
  if (REFUND_EVENTS.has(event.type)) {
    const parsed = stripeRefundSchema.safeParse(event.data.object);
    if (!parsed.success) return { kind: 'ignored', reason: `${event.type} without a Refund` };
    const refundId = parsed.data.metadata?.[METADATA.refundId];
    if (!refundId) return { kind: 'ignored', reason: `Refund ${parsed.data.id} was not made by Kassa` };
    const refund = amountOrReason(() => toProviderRefund(parsed.data));
    if (typeof refund === 'string') return { kind: 'ignored', reason: refund };
    return { kind: 'refund', eventId: event.id, refundId, refund };
  }
  return { kind: 'ignored', reason: `Kassa does not use Stripe's ${event.type} events` };
}

/** The fields of the SDK's errors (`StripeError` and its subclasses) that classify them. */
export interface StripeErrorShape {
  /** The SDK's class name: `StripeCardError`, `StripeConnectionError`, … */
  type: string;
  message: string;
  statusCode?: number;
  code?: string;
  decline_code?: string;
  requestId?: string;
  headers?: Record<string, string | string[] | undefined>;
  detail?: unknown;
}

function headerOf(headers: StripeErrorShape['headers'], name: string) {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * Stripe's failures in Kassa's three kinds. A refusal (card declined, invalid request, bad key,
 * idempotency key reused with other parameters) is definite. Rate limits (429, with its
 * `Retry-After`), a concurrent request under the same key (409) and a connection that never
 * opened are transient. A timeout, a connection lost after sending, and a 5xx are
 * indeterminate: Stripe may have acted (and stores even a 500 under the idempotency key).
 */
export function classifyStripeError(error: StripeErrorShape, now = new Date()): ProviderError {
  const message = `Stripe: ${error.message || error.type}`;
  switch (error.type) {
    case 'StripeCardError':
      return new ProviderError('definite', error.decline_code || error.code || 'card_declined', message);
    case 'StripeInvalidRequestError':
      return new ProviderError('definite', error.code || 'invalid_request', message);
    case 'StripeIdempotencyError':
      return new ProviderError('definite', 'idempotency_conflict', message);
    case 'StripeAuthenticationError':
      return new ProviderError('definite', 'authentication_failed', message);
    case 'StripePermissionError':
      return new ProviderError('definite', 'permission_denied', message);
    case 'StripeRateLimitError': {
      const delay = retryAfterMs(headerOf(error.headers, 'retry-after'), now);
      return new ProviderError(
        'transient',
        'rate_limited',
        message,
        delay === undefined ? {} : { retryAfterMs: delay },
      );
    }
    case 'StripeConnectionError': {
      const code = (error.detail as { code?: unknown } | undefined)?.code;
      if (typeof code === 'string' && neverSent(code) && !error.requestId)
        return new ProviderError('transient', 'unreachable', message);
      return new ProviderError('indeterminate', code === 'ETIMEDOUT' ? 'timeout' : 'connection_lost', message);
    }
    default:
      if (error.statusCode === 409) return new ProviderError('transient', 'conflict', message);
      return new ProviderError('indeterminate', error.code || 'provider_error', message);
  }
}
