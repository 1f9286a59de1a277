/**
 * Merchant notification channels besides the webhook: what a channel is, which deliveries there
 * are, and the settings each kind keeps (its secret apart, sealed).
 */
import type { NotificationEventType } from './event-types';

/** Channels a merchant configures per checkout. */
export const channelKinds = ['email', 'telegram', 'sms'] as const;
export type ChannelKind = (typeof channelKinds)[number];

/**
 * Every way an event reaches someone: the webhook, a merchant channel, the buyer's receipt, or the
 * Interkassa-style interaction of a payment made through the SCI form (docs/interkassa.md).
 */
export const deliveryChannels = ['webhook', ...channelKinds, 'buyer_receipt', 'interaction'] as const;
export type DeliveryChannel = (typeof deliveryChannels)[number];

/** The non-webhook deliveries the purchase workflow fans out to, each one activity. */
export type NotificationChannel = Exclude<DeliveryChannel, 'webhook'>;

export interface EmailSettings {
  /** Recipients, 1 to 10 addresses. */
  to: string[];
}

export interface TelegramSettings {
  /** A numeric chat id (`-100…` for groups and channels) or `@channelname`. */
  chatId: string;
}

export type SmsContentType = 'application/json' | 'application/x-www-form-urlencoded' | 'text/plain';

export interface SmsSettings {
  /** The seller's phone number, E.164 (`+79991234567`). */
  to: string;
  /** The gateway URL; `{placeholders}` are filled in percent-encoded. */
  url: string;
  method: 'POST' | 'GET';
  contentType: SmsContentType;
  /** The request body template (POST); `{placeholders}` are escaped for `contentType`. */
  body: string | null;
  /** The header that carries the gateway credential (its value is the channel's secret). */
  authHeader: string;
}

export type ChannelSettings =
  | { kind: 'email'; settings: EmailSettings }
  | { kind: 'telegram'; settings: TelegramSettings }
  | { kind: 'sms'; settings: SmsSettings };

/** A checkout's notification channel as stored; `secret` is the ciphertext, never the secret. */
export type StoredChannel = ChannelSettings & {
  checkoutId: string;
  enabled: boolean;
  events: NotificationEventType[];
  secret: string | null;
  secretHint: string | null;
  createdAt: Date;
  updatedAt: Date;
};

/** One attempt to deliver an event on a channel other than the webhook. */
export interface DeliveryAttempt {
  eventId: string;
  checkoutId: string;
  channel: NotificationChannel;
  target: string;
  attemptedAt: Date;
  latencyMs: number;
  delivered: boolean;
  response: string | null;
  error: string | null;
  resend: boolean;
}

export type RecordedAttempt = DeliveryAttempt & { attempt: number };

/** What the API shows of a secret: its last four characters behind a fixed mask, e.g. `********WXYZ`. */
export function maskSecret(lastFour: string | null): string | null {
  return lastFour === null ? null : `********${lastFour}`;
}
