import { patched, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { FinalPayoutOutcome, PayoutOutcome } from '../activities/payouts';
import { eventIdFromUuid } from '../domain/event-ids';
import * as profiles from './activity-profiles';
import { callbackAnswers, untilFinal } from './money-checks';
import type { PayoutInput, PayoutResult } from './money-shared';
import { payoutSettledSignal } from './money-signals';

type Activities = ReturnType<typeof createActivities>;

const provider = proxyActivities<Activities>(profiles.providerMoney);
const database = proxyActivities<Activities>(profiles.databaseWrite);
const notify = proxyActivities<Activities>(profiles.merchantNotify);

/**
 * One payout (withdrawal), id `payout-<payout id>`. The API has already stored it and reserved its
 * amount from the merchant's available balance. Steps: provider payout (a `pending` answer is
 * checked again on a schedule, or settled by the provider's callback) → settle (the bank's fee
 * apart) or release the reserve → `payout.paid` / `payout.failed` to the merchant.
 */
export async function payoutWorkflow(input: PayoutInput): Promise<PayoutResult> {
  const answers = callbackAnswers(payoutSettledSignal);

  // 1. provider payout, until its outcome is final
  let outcome: PayoutOutcome = await provider.payOutAtProvider({ payoutId: input.payoutId });
  if (outcome.state === 'pending' && patched('payout-pending-checks')) {
    const providerPayoutId = outcome.providerPayoutId;
    outcome = await untilFinal(outcome, answers, (answer) =>
      provider.checkPayoutAtProvider({ payoutId: input.payoutId, providerPayoutId, ...(answer && { answer }) }),
    );
  }
  const final = outcome as FinalPayoutOutcome;

  // 2. ledger: settle with the fee, or release the reserve; the event
  const { eventId } = await database.recordPayoutOutcome({
    payoutId: input.payoutId,
    outcome: final,
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
    status: final.state,
    failureReason: final.state === 'failed' ? final.failureReason : null,
  };
}
