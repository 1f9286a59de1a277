import { flagCallback, otherPaymentsWithProviderPayment, storeCallback } from '../db/callbacks';
import { findPaymentById } from '../db/payments';
import { openStatuses } from '../domain/payment';
import { DomainError, notFound } from '../domain/errors';
import { CallbackVerificationError } from '../providers/types';
import { signalPurchase } from '../temporal/messages';
import { lateCallbackFlag } from '../workflows/purchase/decisions';
import { providerCallbackSignal } from '../workflows/shared';
import type { ServiceDeps } from './deps';

/**
 * A provider's callback: verified on the raw body first, stored in the inbox, then signalled
 * to the payment's workflow (which drops repeats by event id). A callback for a payment whose
 * outcome is already decided changes nothing; one that contradicts it is flagged for review.
 * One that names a provider payment of another Kassa payment is flagged `foreign_provider_payment`
 * and goes no further (the workflow would refuse it too: it accepts only its own provider payments).
 * Resolves once all of that is done, so the provider is answered `200` only after.
 */
export async function receiveCallback(
  deps: ServiceDeps,
  providerName: string,
  rawBody: Buffer,
  headers: Record<string, string | string[] | undefined>,
): Promise<void> {
  const provider = deps.providers.byName(providerName);
  if (!provider) throw notFound('provider', 'provider');
  let callback;
  try {
    callback = provider.verifyCallback(rawBody, headers, new Date());
  } catch (error) {
    if (error instanceof CallbackVerificationError) {
      throw new DomainError('unauthenticated', 'signature_invalid', error.message);
    }
    throw error;
  }
  await storeCallback(deps.db, provider.name, callback, rawBody.toString('utf8'));
  const others = await otherPaymentsWithProviderPayment(deps.db, callback.providerPaymentId, callback.paymentId);
  if (others.some((other) => other.method !== null && deps.providers.forMethod(other.method)?.name === provider.name)) {
    await flagCallback(deps.db, {
      provider: provider.name,
      paymentId: callback.paymentId,
      eventId: callback.eventId,
      flag: 'foreign_provider_payment',
    });
    return;
  }
  const workflowFound = await signalPurchase(deps.temporal, callback.paymentId, providerCallbackSignal, callback);
  // Read after the signal: an outcome recorded before this read is checked here; one recorded
  // after it, the workflow checks itself against the signal it has then received.
  const payment = await findPaymentById(deps.db, callback.paymentId);
  const flag = !payment
    ? 'unknown_payment'
    : openStatuses.includes(payment.status)
      ? workflowFound
        ? null
        : 'workflow_missing'
      : lateCallbackFlag(callback, payment);
  if (flag)
    await flagCallback(deps.db, {
      provider: provider.name,
      paymentId: callback.paymentId,
      eventId: callback.eventId,
      flag,
    });
}
