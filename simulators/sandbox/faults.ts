import { type Fault, faultSchema as faultSchemaFor, faultSequence } from '../common/faults';
import { referenceSchema } from './schemas';
import type { StoredPayment } from './store';
import { type CallbackEvent, paymentEvent } from './views';

export { type Fault, FaultBook, capturedAmount } from '../common/faults';

/**
 * `POST /api/faults`: how the sandbox misbehaves, for one payment (`reference`) or, without it,
 * for every payment that has none of its own. Refunds under `refund_fails` fail with `refund_declined`.
 */
export const faultSchema = faultSchemaFor(referenceSchema);

/**
 * The events a settled payment's callback URL receives under `fault`, in order: the final event,
 * `duplicate` more copies of it, then (with `reorder`) a stale `pending` dated before it.
 */
export function callbackEvents(payment: StoredPayment, fault: Fault, nowSeconds: number): CallbackEvent[] {
  const final = paymentEvent(payment, payment.status, nowSeconds);
  return faultSequence(final, fault, () => {
    const createdSeconds = Math.floor(payment.createdAt.getTime() / 1000);
    return paymentEvent(payment, 'pending', Math.min(createdSeconds, final.created - 1));
  });
}
