import { maskSecret, type RecordedAttempt, type StoredChannel } from '../domain/channel';

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
