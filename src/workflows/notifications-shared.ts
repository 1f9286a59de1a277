/**
 * What the API and the worker share about notification workflows, importable without workflow code.
 */
import type { NotificationChannel } from '../domain/channel';

/** The input of `resendNotificationWorkflow`: one stored event, once more, to one channel. */
export interface ResendNotificationInput {
  paymentId: string;
  eventId: string;
  eventType: string;
  channel: NotificationChannel;
}

/** The workflow id of a merchant's re-send of one event to one channel: unique per request. */
export const resendNotificationWorkflowId = (eventId: string, channel: NotificationChannel, requestId: string) =>
  `resend-${channel}-${eventId}-${requestId}`;
