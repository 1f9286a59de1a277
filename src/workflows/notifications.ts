import {
  ActivityFailure,
  type ActivityOptions,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { FailureType } from '../domain/failure-types';
import * as profiles from './activity-profiles';
import type { NotificationChannel } from '../domain/channel';
import type { ChannelPlan, DeliveryOutcome } from '../notifications/types';
import type { ResendNotificationInput } from './notifications-shared';

type Activities = ReturnType<typeof createActivities>;

const activityFor = {
  email: 'sendEmailNotification',
  telegram: 'sendTelegramNotification',
  sms: 'sendSmsNotification',
  buyer_receipt: 'sendBuyerReceipt',
  interaction: 'sendInteractionNotification',
} as const satisfies Record<NotificationChannel, keyof Activities>;

const channelLookup = proxyLocalActivities<Activities>(profiles.databaseWrite);

/** A channel's profile; `retrySeconds` (config `NOTIFICATION_RETRY_SECONDS`) replaces its intervals, not its schedule-to-close. */
function channelOptions(channel: NotificationChannel, retrySeconds: [number, number] | null): ActivityOptions {
  const profile = profiles.channelNotify[channel];
  if (!retrySeconds) return profile;
  return {
    ...profile,
    retry: { ...profile.retry, initialInterval: retrySeconds[0] * 1000, maximumInterval: retrySeconds[1] * 1000 },
  };
}

/**
 * Sends one event to every channel besides the webhook that wants it, all at once, each on its
 * own retry policy: one channel's failure or delay never touches another. `known` is the plan the
 * status write answered; without it the channels are looked up first. Rejects only when the
 * workflow is canceled; a channel that gives up after its schedule-to-close stays visible in the
 * delivery log.
 */
export async function notifyChannels(eventId: string, known: ChannelPlan | null = null): Promise<void> {
  const plan = known ?? (await channelLookup.channelsForEvent({ eventId }));
  const results = await Promise.allSettled(
    plan.channels.map((channel) =>
      proxyActivities<Activities>(channelOptions(channel, plan.retrySeconds))[activityFor[channel]].executeWithOptions(
        { summary: `${plan.eventType} ${eventId} by ${channel.replace('_', ' ')}` },
        [{ eventId }],
      ),
    ),
  );
  const canceled = results.find(
    (result): result is PromiseRejectedResult => result.status === 'rejected' && isCancellation(result.reason),
  );
  if (canceled) throw canceled.reason;
}

const resendOnce = proxyActivities<Activities>(profiles.merchantResend);

/** A merchant's re-send of one stored event to one channel (`POST /v1/payments/:id/events/:event_id/resend`). */
export async function resendNotificationWorkflow(input: ResendNotificationInput): Promise<DeliveryOutcome> {
  try {
    return await resendOnce[activityFor[input.channel]].executeWithOptions(
      { summary: `re-send ${input.eventType} ${input.eventId} by ${input.channel.replace('_', ' ')} (merchant)` },
      [{ eventId: input.eventId, resend: true }],
    );
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : undefined;
    if (
      cause instanceof ApplicationFailure &&
      (cause.type === FailureType.NotificationNotDelivered || cause.type === FailureType.NotificationRefused)
    ) {
      return cause.details?.[0] as DeliveryOutcome;
    }
    throw error;
  }
}
