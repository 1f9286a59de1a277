import type { PaymentIntent, Refund, Session, WebhookEndpoint } from './store';

/**
 * The JSON objects as Stripe's API answers them and its events carry them, with the fields a
 * Checkout integration reads (snake_case, amounts in the currency's smallest unit as Stripe counts
 * it, lower-case currency codes, `null` for what is not set).
 */

export const API_VERSION = '2025-04-30.basil';

export function sessionObject(session: Session, intent?: PaymentIntent) {
  return {
    id: session.id,
    object: 'checkout.session',
    amount_subtotal: session.amountSubtotal,
    amount_total: session.amountTotal,
    cancel_url: session.cancelUrl,
    client_reference_id: session.clientReferenceId,
    created: session.created,
    currency: session.currency,
    expires_at: session.expiresAt,
    livemode: false,
    metadata: session.metadata,
    mode: session.mode,
    payment_intent: intent ? intentObject(intent) : session.paymentIntentId,
    payment_method_types: session.paymentMethodTypes,
    payment_status: session.paymentStatus,
    status: session.status,
    success_url: session.successUrl,
    ui_mode: 'hosted',
    url: session.status === 'open' ? session.url : null,
  };
}

export function intentObject(intent: PaymentIntent) {
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: intent.amount,
    amount_received: intent.amountReceived,
    created: intent.created,
    currency: intent.currency,
    last_payment_error: intent.lastPaymentError,
    latest_charge: intent.latestCharge,
    livemode: false,
    metadata: intent.metadata,
    payment_method_types: ['card'],
    status: intent.status,
  };
}

export function refundObject(refund: Refund) {
  return {
    id: refund.id,
    object: 'refund',
    amount: refund.amount,
    charge: refund.chargeId,
    created: refund.created,
    currency: refund.currency,
    failure_reason: refund.failureReason,
    metadata: refund.metadata,
    payment_intent: refund.paymentIntentId,
    status: refund.status,
  };
}

/** `secret` only in the answer to the create, as Stripe shows it. */
export function endpointObject(endpoint: WebhookEndpoint, withSecret: boolean) {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint',
    api_version: API_VERSION,
    created: endpoint.created,
    description: endpoint.description,
    enabled_events: endpoint.enabledEvents,
    livemode: false,
    metadata: endpoint.metadata,
    status: endpoint.status,
    url: endpoint.url,
    ...(withSecret && { secret: endpoint.secret }),
  };
}

export function listObject(url: string, data: unknown[], hasMore: boolean) {
  return { object: 'list', data, has_more: hasMore, url };
}

/** Stripe's error body: `{"error":{"type","code","message","param"}}`. */
export function errorBody(type: string, message: string, code?: string, param?: string) {
  return {
    error: {
      type,
      message,
      ...(code !== undefined && { code, doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}` }),
      ...(param !== undefined && { param }),
    },
  };
}
