/**
 * How notifications besides the webhook are delivered: the worker's settings, the plan of one
 * event's deliveries, what an attempt did and the error a channel raises. What a channel is (its
 * kinds and settings) is in `src/domain/channel.ts`.
 */
import type { MerchantEventType } from '../domain/event-types';
import type { NotificationChannel } from '../domain/channel';

/** How the worker delivers notifications; built once from config in the composition root. */
export interface NotificationSettings {
  /** The AES-256-GCM key channel secrets are encrypted with (`NOTIFICATIONS_KEY`). */
  key: Buffer;
  /** Keys it replaced (`NOTIFICATIONS_KEY_PREVIOUS`): secrets sealed with them still open. */
  previousKeys: Buffer[];
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
