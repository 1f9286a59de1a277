import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { findCheckoutById } from '../db/checkouts';
import { findEvent, recordWebhookAttempt } from '../db/events';
import { nextWebhookAttempt } from '../db/operator';
import { findPaymentById } from '../db/payments';
import { signWebhook } from '../domain/signatures';
import { safeRequest, UnsafeUrlError } from '../net/safe-http';

export interface OperatorActivityDeps {
  db: Pool;
  /** How long a merchant endpoint may take before the attempt counts as failed. */
  webhookTimeoutMs?: number;
  /** Let re-sends reach loopback, private and link-local addresses (`ALLOW_PRIVATE_WEBHOOK_URLS`), as merchant notifications may. */
  allowPrivateWebhookUrls?: boolean;
}

/** What one operator-requested delivery did; a failed one is thrown as `WebhookNotDelivered` with this as its detail. */
export interface ResendOutcome {
  attempt: number;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** Activities behind operator actions (registered beside `createActivities` in worker.ts). */
export function createOperatorActivities({ db, webhookTimeoutMs = 10_000, allowPrivateWebhookUrls = false }: OperatorActivityDeps) {
  return {
    /**
     * Delivers a stored merchant event once more, now, whether or not it was delivered before:
     * same id and body, a fresh timestamp and signature, recorded as the event's next attempt.
     */
    async resendEvent(input: { eventId: string }): Promise<ResendOutcome> {
      const event = await findEvent(db, input.eventId);
      if (!event) throw ApplicationFailure.nonRetryable(`event ${input.eventId} does not exist`, 'UnknownEvent');
      const payment = await findPaymentById(db, event.paymentId);
      const checkout = payment && (await findCheckoutById(db, payment.checkoutId));
      if (!checkout) throw ApplicationFailure.nonRetryable(`checkout of ${event.paymentId} is gone`, 'UnknownCheckout');

      const attempt = await nextWebhookAttempt(db, event.id);
      const timestamp = Math.floor(Date.now() / 1000);
      const attemptedAt = new Date();
      const started = performance.now();
      let statusCode: number | null = null;
      let error: string | null = null;
      let refused = false;
      try {
        // The same policy as merchant notifications: no internal address unless allowed, no redirects.
        const response = await safeRequest(
          checkout.notifyUrl,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'user-agent': 'Kassa-Webhooks/1',
              'webhook-id': event.id,
              'webhook-timestamp': String(timestamp),
              'webhook-signature': signWebhook(checkout.webhookSecret, event.id, timestamp, event.body),
            },
            body: event.body,
          },
          { allowPrivate: allowPrivateWebhookUrls, timeoutMs: webhookTimeoutMs, maxResponseBytes: 4096 },
        );
        statusCode = response.status;
        if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
      } catch (failure) {
        if (failure instanceof UnsafeUrlError) refused = true;
        error = (failure as Error).name === 'TimeoutError' ? `no answer within ${webhookTimeoutMs} ms` : (failure as Error).message;
      }
      const latencyMs = Math.round(performance.now() - started);
      await recordWebhookAttempt(db, event.id, { attempt, url: checkout.notifyUrl, attemptedAt, statusCode, latencyMs, error });
      const outcome: ResendOutcome = { attempt, statusCode, latencyMs, error };
      if (refused) throw ApplicationFailure.nonRetryable(`webhook ${event.id}: ${error}`, 'WebhookUrlRefused', outcome);
      if (error) throw ApplicationFailure.nonRetryable(`webhook ${event.id} attempt ${attempt}: ${error}`, 'WebhookNotDelivered', outcome);
      return outcome;
    },
  };
}
