import type { PaymentEvent, PaymentEventWithAttempts, WebhookAttempt } from '../domain/event';
import type { MerchantEventType, PaymentEventType, PayoutEventType, PurchaseEventType } from '../domain/event-types';
import type { PaymentResource } from './payment';
import type { PayoutResource } from './payout';
import type { RefundResource } from './refund';

/** The payment with the refund an event is about, and what its succeeded refunds add up to. */
export type RefundedPaymentResource = PaymentResource & { amount_refunded: string; refund: RefundResource };

type EveryEventType<Data extends Record<MerchantEventType, unknown>> = Data;

/**
 * The `data` each merchant event carries (docs/api.md §8). A type added to the catalogue without
 * its data here does not compile.
 */
export type MerchantEventData = EveryEventType<
  Record<PurchaseEventType, PaymentResource> &
    Record<PayoutEventType, PayoutResource> & {
      /** From a refund: the payment with its refund; from an operator's refund of an exception: the payment alone. */
      'payment.refunded': PaymentResource | RefundedPaymentResource;
      'payment.refund_failed': RefundedPaymentResource;
    }
>;

/** The body of a webhook: `{id, type, created_at, data}`, the same on every delivery attempt. */
export function eventEnvelope<Type extends MerchantEventType>(
  event: { id: string; type: Type; createdAt: Date },
  data: MerchantEventData[Type],
) {
  return { id: event.id, type: event.type, created_at: event.createdAt.toISOString(), data };
}
export type EventEnvelope = ReturnType<typeof eventEnvelope>;

/** The exact JSON Kassa stores for an event and posts to the merchant. */
export const webhookBody = <Type extends MerchantEventType>(
  event: { id: string; type: Type; createdAt: Date },
  data: MerchantEventData[Type],
): string => JSON.stringify(eventEnvelope(event, data));

/** One delivery attempt of a webhook, as `GET /v1/payments/:id/events` lists it. */
const webhookAttemptResource = (attempt: WebhookAttempt) => ({
  attempt: attempt.attempt,
  url: attempt.url,
  attempted_at: attempt.attemptedAt.toISOString(),
  status_code: attempt.statusCode,
  latency_ms: attempt.latencyMs,
  error: attempt.error,
});

/** The `data` of a stored event, exactly as the merchant was sent it. */
export const storedEventData = (event: Pick<PaymentEvent, 'body'>): unknown =>
  (JSON.parse(event.body) as { data: unknown }).data;

/**
 * The Event object of `GET /v1/payments/:id/events`: the event as sent (a payment's events carry
 * the payment), when it was delivered, and every attempt.
 */
export function eventResource(event: PaymentEventWithAttempts) {
  return {
    id: event.id,
    object: 'event' as const,
    type: event.type,
    created_at: event.createdAt.toISOString(),
    delivered_at: event.deliveredAt?.toISOString() ?? null,
    data: storedEventData(event) as MerchantEventData[PaymentEventType],
    attempts: event.attempts.map(webhookAttemptResource),
  };
}
export type EventResource = ReturnType<typeof eventResource>;
