import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ResendOutcome } from '../activities/operator';
import { FailureType } from '../domain/failure-types';
import * as profiles from './activity-profiles';

type OperatorActivities = ReturnType<typeof createActivities>;

const operatorDelivery = proxyActivities<OperatorActivities>(profiles.operatorResend);

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
      (cause.type === FailureType.WebhookNotDelivered || cause.type === FailureType.WebhookUrlRefused)
    ) {
      return { ...(cause.details?.[0] as ResendOutcome), delivered: false };
    }
    throw error;
  }
}
