import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { RefundInput, RefundResult } from './money-shared';

type Activities = ReturnType<typeof createActivities>;

/**
 * Asking the provider to give money back: retried under the same key until it answers, backing off
 * to every 10 minutes. A refusal is an answer; an unknown outcome is never given up on, because
 * the money may already have gone back.
 */
const providerMoney = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: ['UnknownRefund', 'UnknownPayout'] },
});

const database = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/** Webhooks: first retry after 5 s, then backing off to hourly, for at least 3 days. */
const merchantNotify = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '4 days',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 3, maximumInterval: '1 hour' },
});

/**
 * One refund, id `refund-<refund id>`. The API has already stored it and reserved the merchant's
 * part of it (in one database transaction that also checked it does not exceed what is left of
 * the payment). Steps: provider refund → outcome in the ledger and on the payment → merchant
 * notification (`payment.refunded` or `payment.refund_failed`).
 */
export async function refundWorkflow(input: RefundInput): Promise<RefundResult> {
  // 1. provider refund
  const outcome = await providerMoney.refundAtProvider({ refundId: input.refundId });

  // 2. ledger: settle, or release the reserve; the payment's status; the event
  const { eventId } = await database.recordRefundOutcome({ refundId: input.refundId, outcome, eventId: `evt_${uuid4().replace(/-/g, '')}` });

  // 3. merchant notification, retried for days
  if (eventId) {
    try {
      await merchantNotify.notifyMerchant({ eventId });
    } catch {
      // Retries are exhausted after days; the attempts stay listed at GET /v1/payments/:id/events.
    }
  }
  return { refundId: input.refundId, status: outcome.state, failureReason: outcome.state === 'failed' ? outcome.failureReason : null };
}
