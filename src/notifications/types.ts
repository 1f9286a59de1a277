/**
 * Merchant notification channels besides the webhook: what a channel is, which events it can
 * carry, and the settings each kind keeps (secrets apart, encrypted).
 */
import type { MerchantEventType } from '../domain/event-types';

/** Channels a merchant configures per checkout. */
export const channelKinds = ['email', 'telegram', 'sms'] as const;
export type ChannelKind = (typeof channelKinds)[number];

/** Every way an event reaches someone: the webhook, a merchant channel, or the buyer's receipt. */
export const deliveryChannels = ['webhook', ...channelKinds, 'buyer_receipt'] as const;
export type DeliveryChannel = (typeof deliveryChannels)[number];

/** The non-webhook deliveries the purchase workflow fans out to, each one activity. */
export type NotificationChannel = Exclude<DeliveryChannel, 'webhook'>;

export { notificationEventTypes, type NotificationEventType } from '../domain/event-types';

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

/** How the worker delivers notifications; built once from config in the composition root. */
export interface NotificationSettings {
  /** The AES-256-GCM key channel secrets are encrypted with (`NOTIFICATIONS_KEY`). */
  key: Buffer;
  /** `smtp(s)://user:pass@host:port`; unset: e-mail goes to the dev mail log (development, test) or nowhere (production). */
  smtpUrl: string | null;
  /** Where e-mail goes without `smtpUrl` outside production: one `.eml` per message and `mail.log` (JSON lines). */
  mailLogDir: string | null;
  /** The From header of every e-mail. */
  mailFrom: string;
  /** Base of the Telegram Bot API (`https://api.telegram.org`). */
  telegramApiUrl: string;
  /** First and longest wait between retries of every channel (seconds), replacing each channel's own; for tests and drills. */
  retrySeconds: [number, number] | null;
  /** Let SMS gateways be loopback, private or link-local addresses (`ALLOW_PRIVATE_WEBHOOK_URLS`). */
  allowPrivateUrls: boolean;
}

/** What the workflow needs to fan an event out: the deliveries it gets, and a retry override when configured. */
export interface ChannelPlan {
  eventType: MerchantEventType;
  channels: NotificationChannel[];
  retrySeconds: [number, number] | null;
}

/** What one delivery attempt did; a failed attempt is thrown with this as its detail. */
export interface DeliveryOutcome {
  channel: NotificationChannel;
  attempt: number;
  delivered: boolean;
  /** What the peer answered: an SMTP response, `HTTP 200`, the log file. */
  response: string | null;
  error: string | null;
  latencyMs: number;
}

/**
 * A delivery that did not happen. `definite`: the peer refused it for good (a bad address, an
 * unknown chat, a 4xx from the gateway) and the same request will be refused again; `transient`:
 * worth trying again (down, timed out, 5xx, rate-limited, after `retryAfterSeconds` when the peer says).
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly kind: 'transient' | 'definite',
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
