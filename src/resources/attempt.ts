import type { ConnectorEvent, PaymentAttempt } from '../domain/attempt';

/** One provider payment attempt of a payment, as the merchant and operator APIs show it. */
export const attemptResource = (attempt: PaymentAttempt) => ({
  object: 'payment_attempt' as const,
  attempt: attempt.attempt,
  connector_id: attempt.connectorId,
  provider: attempt.provider,
  method: attempt.method,
  provider_reference: attempt.reference,
  provider_payment_id: attempt.providerPaymentId,
  status: attempt.status,
  latency_ms: attempt.latencyMs,
  error: attempt.error,
  created_at: attempt.createdAt.toISOString(),
});

/** Something the operator should know about a connector (its circuit breaker tripped, a probe). */
export const connectorEventResource = (event: ConnectorEvent) => ({
  object: 'connector_event' as const,
  id: event.id,
  connector_id: event.connectorId,
  kind: event.kind,
  detail: event.detail,
  created_at: event.createdAt.toISOString(),
});
