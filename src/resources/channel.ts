import { type DeliveryChannel, maskSecret, type RecordedAttempt, type StoredChannel } from '../domain/channel';
import type { PaymentEvent, WebhookAttempt } from '../domain/event';
import type { MerchantEventType } from '../domain/event-types';

/** A notification channel as the API shows it: settings in the request's names, secrets masked, and its last attempt. */
export function channelResource(channel: StoredChannel, last: RecordedAttempt | undefined) {
  const common = {
    object: 'notification_channel' as const,
    checkout_id: channel.checkoutId,
    channel: channel.kind,
    enabled: channel.enabled,
    events: channel.events,
  };
  let settings: Record<string, unknown>;
  switch (channel.kind) {
    case 'email':
      settings = { to: channel.settings.to };
      break;
    case 'telegram':
      settings = { chat_id: channel.settings.chatId, bot_token: maskSecret(channel.secretHint) };
      break;
    case 'sms':
      settings = {
        to: channel.settings.to,
        url: channel.settings.url,
        method: channel.settings.method,
        content_type: channel.settings.contentType,
        body: channel.settings.body,
        auth_header: channel.settings.authHeader,
        auth_value: channel.secret === null ? null : maskSecret(channel.secretHint),
      };
      break;
  }
  return {
    ...common,
    ...settings,
    last_attempt: last
      ? {
          event_id: last.eventId,
          attempted_at: last.attemptedAt.toISOString(),
          delivered: last.delivered,
          response: last.response,
          error: last.error,
        }
      : null,
    created_at: channel.createdAt.toISOString(),
    updated_at: channel.updatedAt.toISOString(),
  };
}
export type ChannelResource = ReturnType<typeof channelResource>;

/** One attempt to deliver an event, on any channel, as a payment's delivery log lists it. */
export interface DeliveryAttemptResource {
  object: 'delivery_attempt';
  event_id: string;
  event_type: MerchantEventType | null;
  channel: DeliveryChannel;
  attempt: number;
  target: string;
  attempted_at: string;
  delivered: boolean;
  latency_ms: number;
  response: string | null;
  error: string | null;
  /** `null` for the webhook, whose re-sends are its next attempts. */
  resend: boolean | null;
}

/** A webhook attempt in the delivery log: any 2xx delivered it. */
export const webhookDeliveryResource = (
  event: Pick<PaymentEvent, 'id' | 'type'>,
  attempt: WebhookAttempt,
): DeliveryAttemptResource => ({
  object: 'delivery_attempt',
  event_id: event.id,
  event_type: event.type,
  channel: 'webhook',
  attempt: attempt.attempt,
  target: attempt.url,
  attempted_at: attempt.attemptedAt.toISOString(),
  delivered: attempt.statusCode !== null && attempt.statusCode >= 200 && attempt.statusCode < 300,
  latency_ms: attempt.latencyMs,
  response: attempt.statusCode === null ? null : `HTTP ${attempt.statusCode}`,
  error: attempt.error,
  resend: null,
});

/** An attempt on a channel besides the webhook (e-mail, Telegram, SMS, the buyer's receipt) in the delivery log. */
export const channelDeliveryResource = (
  attempt: RecordedAttempt,
  eventType: MerchantEventType | null,
): DeliveryAttemptResource => ({
  object: 'delivery_attempt',
  event_id: attempt.eventId,
  event_type: eventType,
  channel: attempt.channel,
  attempt: attempt.attempt,
  target: attempt.target,
  attempted_at: attempt.attemptedAt.toISOString(),
  delivered: attempt.delivered,
  latency_ms: attempt.latencyMs,
  response: attempt.response,
  error: attempt.error,
  resend: attempt.resend,
});
