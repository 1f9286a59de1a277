import { ApplicationFailure } from '@temporalio/common';
import { findEvent, nextWebhookAttempt } from '../db/events';
import { deliverWebhook, type WebhookAttemptOutcome, type WebhookDeliveryDeps } from './webhook-delivery';
import { FailureType } from '../domain/failure-types';

/** What one operator-requested delivery did; a failed one is thrown as `WebhookNotDelivered` with this as its detail. */
export type ResendOutcome = Omit<WebhookAttemptOutcome, 'refused'>;

/** Activities behind operator actions. */
export function createOperatorActivities(deps: WebhookDeliveryDeps) {
  return {
    /**
     * Delivers a stored merchant event once more, now, whether or not it was delivered before:
     * same id and body, a fresh timestamp and signature, recorded as the event's next attempt.
     */
    async resendEvent(input: { eventId: string }): Promise<ResendOutcome> {
      const event = await findEvent(deps.db, input.eventId);
      if (!event)
        throw ApplicationFailure.nonRetryable(`event ${input.eventId} does not exist`, FailureType.UnknownEvent);
      const delivered = await deliverWebhook(deps, event, await nextWebhookAttempt(deps.db, event.id));
      if (!delivered)
        throw ApplicationFailure.nonRetryable(`checkout of ${event.paymentId} is gone`, FailureType.UnknownCheckout);
      const { refused, ...outcome } = delivered;
      if (refused)
        throw ApplicationFailure.nonRetryable(
          `webhook ${event.id}: ${outcome.error}`,
          FailureType.WebhookUrlRefused,
          outcome,
        );
      if (outcome.error)
        throw ApplicationFailure.nonRetryable(
          `webhook ${event.id} attempt ${outcome.attempt}: ${outcome.error}`,
          FailureType.WebhookNotDelivered,
          outcome,
        );
      return outcome;
    },
  };
}
