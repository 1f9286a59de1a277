import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { flagCallback } from '../db/callbacks';
import { eventExists, webhookDeliveryOf } from '../db/events';
import { inTransaction } from '../db/transaction';
import { writeStatusChange } from '../db/payments';
import type { PurchaseEventType } from '../domain/event-types';
import type { PaymentStatus } from '../domain/payment';
import type { ProviderRegistry } from '../providers/registry';
import type { AttemptStatus, BreakerSettings } from '../domain/attempt';
import { createConnectorActivities } from './connectors';
import { capturePosting } from './ledger';
import { createPayoutActivities } from './payouts';
import { createReconciliationActivities } from './reconciliation';
import { createRefundActivities } from './refunds';
import { createReviewActivities } from './review';
import { createSiteVerificationActivities } from './site-verification';
import { createNotificationActivities, notificationMailer, planChannels } from './notifications';
import { createOperatorActivities } from './operator';
import { deliverWebhook } from './webhook-delivery';
import { storePaymentEvent } from './merchant-events';
import { post } from '../db/ledger';
import { paymentResource } from '../resources/payment';
import type { ChannelPlan, NotificationSettings } from '../notifications/types';
import { FailureType } from '../domain/failure-types';
import { keptAliveConnections } from '../net/safe-http';

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

/**
 * What a status write answers: the event it raised (or, retried, had raised) and that event's
 * channel plan, read in the same transaction so the workflow needs no look-up before the sends.
 * No event: both null. Recorded in workflow history: nothing secret.
 */
export interface RecordPaymentStatusResult {
  eventId: string | null;
  channels?: ChannelPlan | null;
}

export function createActivities({
  db,
  providers,
  publicUrl,
  webhookTimeoutMs = 10_000,
  allowPrivateWebhookUrls = false,
  notifications,
  connectorBreaker,
}: ActivityDeps) {
  const webhooks = { db, webhookTimeoutMs, allowPrivateWebhookUrls, connections: keptAliveConnections() };
  const mailer = notificationMailer(notifications);
  return {
    ...createOperatorActivities(webhooks),
    ...createSiteVerificationActivities({ db, http: { allowPrivate: allowPrivateWebhookUrls } }),
    ...createRefundActivities({ db, providers, publicUrl }),
    ...createPayoutActivities({ db, providers }),
    ...createReconciliationActivities({ db, providers }),
    ...createReviewActivities({ db, providers, publicUrl }),
    ...createNotificationActivities({ db, providers, publicUrl, settings: notifications, mailer }),
    ...createConnectorActivities({ db, providers, publicUrl, breaker: connectorBreaker }),
    /**
     * Writes a status change once, in order, in one transaction: the payment, its attempt settled,
     * the event it raises and, when it turns paid, the capture posted to the ledger (BEGIN, two
     * statements, COMMIT). A change that raises no event and posts nothing is that one statement alone.
     */
    async recordPaymentStatus(input: RecordPaymentStatusInput): Promise<RecordPaymentStatusResult> {
      const write = {
        ...input,
        fees: input.fees && {
          feeMinor: BigInt(input.fees.feeMinor),
          buyerTotalMinor: BigInt(input.fees.buyerTotalMinor),
          merchantNetMinor: BigInt(input.fees.merchantNetMinor),
        },
      };
      if (!input.event && input.status !== 'paid') {
        await writeStatusChange(db, write);
        return { eventId: null, channels: null };
      }
      return inTransaction(db, async (client) => {
        const written = await writeStatusChange(client, write);
        const { payment, applied } = written;
        const posting = applied && payment.status === 'paid' ? capturePosting(payment, providers) : null;
        // A change that did not apply raises no new event; a retried one finds its own event stored.
        const raised =
          input.event && (applied || written.eventStored || (await eventExists(client, input.event.id)))
            ? input.event
            : null;
        if (raised && applied)
          await storePaymentEvent(client, payment.id, raised, paymentResource(payment, publicUrl), posting);
        else if (posting) await post(client, posting);
        if (!raised || !written.channels) return { eventId: null, channels: null };
        const facts = written.channels;
        const channels = await planChannels(
          { type: raised.type, ofPayment: true },
          { settings: notifications, mailer },
          {
            wanting: () => facts.wanting,
            buyerEmail: () => facts.buyerEmail,
            hasInteractionTarget: () => facts.interactionTarget !== null,
          },
        );
        return { eventId: raised.id, channels };
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
      const delivery = await webhookDeliveryOf(db, input.eventId);
      if (!delivery)
        throw ApplicationFailure.nonRetryable(`event ${input.eventId} does not exist`, FailureType.UnknownEvent);
      const { event } = delivery;
      if (event.deliveredAt) return { statusCode: 200 };
      const outcome = await deliverWebhook(webhooks, event, delivery.attempt, delivery.target);
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
