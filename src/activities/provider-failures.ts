/**
 * How the money activities (refunds, payouts) turn a connector's failures into Temporal's terms:
 * a provider's rate-limit delay becomes the next retry's delay.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ProviderError } from '../providers/types';
import { FailureType } from '../domain/failure-types';

/** A transient or unknown provider failure as a retryable failure that honours the provider's `Retry-After`. */
export function retryableProviderFailure(error: unknown): unknown {
  if (!(error instanceof ProviderError) || error.kind === 'definite') return error;
  return ApplicationFailure.create({
    message: error.message,
    type: FailureType.ProviderUnavailable,
    details: [error.code],
    ...(error.retryAfterMs !== undefined && { nextRetryDelay: error.retryAfterMs }),
  });
}
