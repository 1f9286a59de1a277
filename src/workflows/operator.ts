import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ResendOutcome } from '../activities/operator';

type OperatorActivities = ReturnType<typeof createActivities>;

/** One attempt, now: the operator sees its outcome and decides; the payment's own retries go on regardless. */
const operatorDelivery = proxyActivities<OperatorActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 1 },
});

export interface ResendEventInput {
  paymentId: string;
  eventId: string;
  eventType: string;
}

export type ResendEventResult = ResendOutcome & { delivered: boolean };

/** An operator's re-send of one stored merchant event (`POST /admin/payments/:id/events/:event_id/resend`). */
export async function resendEventWorkflow(input: ResendEventInput): Promise<ResendEventResult> {
  try {
    const outcome = await operatorDelivery.resendEvent.executeWithOptions(
      { summary: `re-send ${input.eventType} ${input.eventId} to the merchant (operator)` },
      [{ eventId: input.eventId }],
    );
    return { ...outcome, delivered: true };
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : undefined;
    if (
      cause instanceof ApplicationFailure &&
      (cause.type === 'WebhookNotDelivered' || cause.type === 'WebhookUrlRefused')
    ) {
      return { ...(cause.details?.[0] as ResendOutcome), delivered: false };
    }
    throw error;
  }
}
