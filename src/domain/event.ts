import type { MerchantEventType } from './event-types';

/** A merchant event as stored: its exact body, sent the same on every delivery attempt. */
export interface PaymentEvent {
  id: string;
  /** The payment, or `''` for a payout event (which names its checkout instead). */
  paymentId: string;
  /** Set on payout events: the checkout whose notify_url and secret they use. */
  checkoutId: string | null;
  type: MerchantEventType;
  /** The exact JSON sent to the merchant, the same on every retry. */
  body: string;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** One attempt to deliver a merchant event to the checkout's notify_url. */
export interface WebhookAttempt {
  attempt: number;
  url: string;
  attemptedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** A payment's event with every attempt to deliver it, oldest first. */
export type PaymentEventWithAttempts = PaymentEvent & { attempts: WebhookAttempt[] };
