import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { PayoutInput, PayoutResult } from './money-shared';

type Activities = ReturnType<typeof createActivities>;

/** Paying out at the provider: same key every time, retried until the provider answers, never released while unknown. */
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
 * One payout (withdrawal), id `payout-<payout id>`. The API has already stored it and reserved its
 * amount from the merchant's available balance. Steps: provider payout → settle (the bank's fee
 * apart) or release the reserve → `payout.paid` / `payout.failed` to the merchant.
 */
export async function payoutWorkflow(input: PayoutInput): Promise<PayoutResult> {
  // 1. provider payout
  const outcome = await providerMoney.payOutAtProvider({ payoutId: input.payoutId });

  // 2. ledger: settle with the fee, or release the reserve; the event
  const { eventId } = await database.recordPayoutOutcome({ payoutId: input.payoutId, outcome, eventId: `evt_${uuid4().replace(/-/g, '')}` });

  // 3. merchant notification, retried for days
  if (eventId) {
    try {
      await merchantNotify.notifyMerchant({ eventId });
    } catch {
      // Retries are exhausted after days; the attempts stay recorded with the event.
    }
  }
  return { payoutId: input.payoutId, status: outcome.state, failureReason: outcome.state === 'failed' ? outcome.failureReason : null };
}
