import { WorkflowNotFoundError } from '@temporalio/client';
import { flagCallback, storeCallback } from '../db/callbacks';
import { findPaymentById } from '../db/payments';
import { ApiError, notFound } from '../api/errors';
import { CallbackVerificationError } from '../providers/types';
import { providerCallbackSignal, purchaseWorkflowId } from '../workflows/shared';
import type { ServiceDeps } from './deps';

/**
 * A provider's callback: verified on the raw body first, stored in the inbox, then signalled
 * to the payment's workflow (which drops repeats). Resolves once both are done.
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
      throw new ApiError(401, 'authentication_error', 'signature_invalid', error.message);
    }
    throw error;
  }
  await storeCallback(deps.db, provider.name, callback, rawBody.toString('utf8'));
  try {
    await deps.temporal.workflow.getHandle(purchaseWorkflowId(callback.paymentId)).signal(providerCallbackSignal, callback);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    const payment = await findPaymentById(deps.db, callback.paymentId);
    const agrees =
      payment &&
      ((callback.state === 'succeeded' && payment.status === 'paid') || (callback.state !== 'succeeded' && payment.status !== 'paid'));
    if (!agrees) await flagCallback(deps.db, provider.name, callback.eventId, payment ? `contradicts_${payment.status}` : 'unknown_payment');
  }
}
