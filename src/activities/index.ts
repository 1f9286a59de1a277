import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { flagCallback } from '../db/callbacks';
import { eventExists, findEvent, nextWebhookAttempt } from '../db/events';
import { inTransaction } from '../db/transaction';
import { applyStatusChange } from '../db/payments';
import type { PurchaseEventType } from '../domain/event-types';
import type { PaymentStatus } from '../domain/payment';
import type { ProviderRegistry } from '../providers/registry';
import { settleAttempt } from '../db/attempts';
import type { AttemptStatus, BreakerSettings } from '../domain/attempt';
import { createConnectorActivities } from './connectors';
import { postPaymentCaptured } from './ledger';
import { createPayoutActivities } from './payouts';
import { createReconciliationActivities } from './reconciliation';
import { createRefundActivities } from './refunds';
import { createReviewActivities } from './review';
import { createSiteVerificationActivities } from './site-verification';
import { createNotificationActivities } from './notifications';
import { createOperatorActivities } from './operator';
import { deliverWebhook } from './webhook-delivery';
import { storePaymentEvent } from './merchant-events';
import { paymentResource } from '../resources/payment';
import type { NotificationSettings } from '../notifications/types';
import { FailureType } from '../domain/failure-types';

export interface ActivityDeps {
  db: Pool;
  providers: ProviderRegistry;
  /** Base of every link handed out: return pages and callback URLs. */
  publicUrl: string;
  /** How long a merchant endpoint may take before the attempt counts as failed. */
  webhookTimeoutMs?: number;
  /** Let webhooks and site checks reach loopback, private and link-local addresses (`ALLOW_PRIVATE_WEBHOOK_URLS`); default false. */
  allowPrivateWebhookUrls?: boolean;
  /** E-mail, Telegram and SMS channels and buyer receipts; absent: only webhooks are sent. */
  notifications?: NotificationSettings;
  /** When a connector pauses itself (`CONNECTOR_BREAKER_*`); absent: the defaults. */
  connectorBreaker?: BreakerSettings;
}

export type { CanceledProviderPayment, CreatedProviderPayment, CreateProviderPaymentInput } from './connectors';

export interface RecordPaymentStatusInput {
  paymentId: string;
  seq: number;
  status: PaymentStatus;
  method: string | null;
  providerPaymentId: string | null;
  redirectUrl: string | null;
  /** The fields to post to `redirectUrl` when the provider takes the buyer by a form. */
  redirectForm?: Record<string, string> | null;
  failureReason: string | null;
  fees: { feeMinor: string; buyerTotalMinor: string; merchantNetMinor: string } | null;
  /** The merchant event this change raises, its id fixed by the workflow so retries reuse it. */
  event: { id: string; type: PurchaseEventType } | null;
  /** The current attempt settled with this change (succeeded, declined): its row says so too. */
  attempt?: { attempt: number; status: AttemptStatus; providerPaymentId: string | null };
}

export { providerIdempotencyKey } from './connectors';

export function createActivities({
  db,
  providers,
  publicUrl,
  webhookTimeoutMs = 10_000,
  allowPrivateWebhookUrls = false,
  notifications,
  connectorBreaker,
}: ActivityDeps) {
  const webhooks = { db, webhookTimeoutMs, allowPrivateWebhookUrls };
  return {
    ...createOperatorActivities(webhooks),
    ...createSiteVerificationActivities({ db, http: { allowPrivate: allowPrivateWebhookUrls } }),
    ...createRefundActivities({ db, providers, publicUrl }),
    ...createPayoutActivities({ db, providers }),
    ...createReconciliationActivities({ db, providers }),
    ...createReviewActivities({ db, providers, publicUrl }),
    ...createNotificationActivities({ db, providers, publicUrl, settings: notifications }),
    ...createConnectorActivities({ db, providers, publicUrl, breaker: connectorBreaker }),
    async recordPaymentStatus(input: RecordPaymentStatusInput): Promise<{ eventId: string | null }> {
      return inTransaction(db, async (client) => {
        const { payment, applied } = await applyStatusChange(client, {
          ...input,
          fees: input.fees && {
            feeMinor: BigInt(input.fees.feeMinor),
            buyerTotalMinor: BigInt(input.fees.buyerTotalMinor),
            merchantNetMinor: BigInt(input.fees.merchantNetMinor),
          },
        });
        if (applied && payment.status === 'paid') await postPaymentCaptured(client, payment, providers);
        if (applied && input.attempt) await settleAttempt(client, { paymentId: input.paymentId, ...input.attempt });
        // A change that did not apply raises no new event; a retried one finds its own event stored.
        const event = input.event && (applied || (await eventExists(client, input.event.id))) ? input.event : null;
        if (event && applied) await storePaymentEvent(client, payment.id, event, paymentResource(payment, publicUrl));
        return { eventId: event?.id ?? null };
      });
    },

    /** Flags inbox callbacks that came after the payment's outcome and contradict it. */
    async flagCallbacks(input: { paymentId: string; flags: { eventId: string; flag: string }[] }): Promise<void> {
      for (const { eventId, flag } of input.flags)
        await flagCallback(db, { paymentId: input.paymentId, eventId, flag });
    },

    /**
     * One delivery attempt of a merchant event: signed per Standard Webhooks, any 2xx is
     * delivered, anything else (redirects are not followed) or no answer in time is retried.
     */
    async notifyMerchant(input: { eventId: string }): Promise<{ statusCode: number }> {
      const event = await findEvent(db, input.eventId);
      if (!event)
        throw ApplicationFailure.nonRetryable(`event ${input.eventId} does not exist`, FailureType.UnknownEvent);
      if (event.deliveredAt) return { statusCode: 200 };
      const outcome = await deliverWebhook(webhooks, event, await nextWebhookAttempt(db, event.id));
      if (!outcome)
        throw ApplicationFailure.nonRetryable(
          `checkout of ${event.paymentId || event.id} is gone`,
          FailureType.UnknownCheckout,
        );
      if (outcome.refused)
        throw ApplicationFailure.nonRetryable(`webhook ${event.id}: ${outcome.error}`, FailureType.WebhookUrlRefused);
      if (outcome.error)
        throw ApplicationFailure.retryable(
          `webhook ${event.id} attempt ${outcome.attempt}: ${outcome.error}`,
          FailureType.WebhookNotDelivered,
        );
      return { statusCode: outcome.statusCode! };
    },
  };
}
