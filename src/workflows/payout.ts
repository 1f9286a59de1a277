import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { eventIdFromUuid } from '../domain/event-ids';
import * as profiles from './activity-profiles';
import type { PayoutInput, PayoutResult } from './money-shared';

type Activities = ReturnType<typeof createActivities>;

const provider = proxyActivities<Activities>(profiles.providerMoney);
const database = proxyActivities<Activities>(profiles.databaseWrite);
const notify = proxyActivities<Activities>(profiles.merchantNotify);

/**
 * One payout (withdrawal), id `payout-<payout id>`. The API has already stored it and reserved its
 * amount from the merchant's available balance. Steps: provider payout → settle (the bank's fee
 * apart) or release the reserve → `payout.paid` / `payout.failed` to the merchant.
 */
export async function payoutWorkflow(input: PayoutInput): Promise<PayoutResult> {
  // 1. provider payout
  const outcome = await provider.payOutAtProvider({ payoutId: input.payoutId });

  // 2. ledger: settle with the fee, or release the reserve; the event
  const { eventId } = await database.recordPayoutOutcome({
    payoutId: input.payoutId,
    outcome,
    eventId: eventIdFromUuid(uuid4()),
  });

  // 3. merchant notification, retried for days
  if (eventId) {
    try {
      await notify.notifyMerchant({ eventId });
    } catch {
      // Retries are exhausted after days; the attempts stay recorded with the event.
    }
  }
  return {
    payoutId: input.payoutId,
    status: outcome.state,
    failureReason: outcome.state === 'failed' ? outcome.failureReason : null,
  };
}
