/**
 * How the money activities (refunds, payouts) turn a connector's failures into Temporal's terms:
 * a provider's rate-limit delay becomes the next retry's delay, and a paused connector makes the
 * activity wait (retried) until it is resumed.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ConnectorHandle } from '../providers/registry';
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

/** Throws the retryable "paused" failure when the connector is paused: its refunds and payouts wait. */
export function waitWhilePaused(handle: ConnectorHandle): void {
  if (handle.connector.status === 'paused')
    throw ApplicationFailure.create({
      message: `connector ${handle.connector.id} is paused`,
      type: FailureType.ConnectorPaused,
    });
}
