import { patched, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { FinalRefundOutcome, RefundOutcome } from '../activities/refunds';
import { eventIdFromUuid } from '../domain/event-ids';
import * as profiles from './activity-profiles';
import { callbackAnswers, untilFinal } from './money-checks';
import type { RefundInput, RefundResult } from './money-shared';
import { refundSettledSignal } from './money-signals';

type Activities = ReturnType<typeof createActivities>;

const provider = proxyActivities<Activities>(profiles.providerMoney);
const database = proxyActivities<Activities>(profiles.databaseWrite);
const notify = proxyActivities<Activities>(profiles.merchantNotify);

/**
 * One refund, id `refund-<refund id>`. The API has already stored it and reserved the merchant's
 * part of it (in one database transaction that also checked it does not exceed what is left of
 * the payment). Steps: provider refund (a `pending` answer is checked again on a schedule, or
 * settled by the provider's callback) → outcome in the ledger and on the payment → merchant
 * notification (`payment.refunded` or `payment.refund_failed`).
 */
export async function refundWorkflow(input: RefundInput): Promise<RefundResult> {
  const answers = callbackAnswers(refundSettledSignal);

  // 1. provider refund, until its outcome is final
  let outcome: RefundOutcome = await provider.refundAtProvider({ refundId: input.refundId });
  if (outcome.state === 'pending' && patched('refund-pending-checks')) {
    const providerRefundId = outcome.providerRefundId;
    outcome = await untilFinal(outcome, answers, (answer) =>
      provider.checkRefundAtProvider({ refundId: input.refundId, providerRefundId, ...(answer && { answer }) }),
    );
  }
  const final = outcome as FinalRefundOutcome;

  // 2. ledger: settle, or release the reserve; the payment's status; the event
  const { eventId } = await database.recordRefundOutcome({
    refundId: input.refundId,
    outcome: final,
    eventId: eventIdFromUuid(uuid4()),
  });

  // 3. merchant notification, retried for days
  if (eventId) {
    try {
      await notify.notifyMerchant({ eventId });
    } catch {
      // Retries are exhausted after days; the attempts stay listed at GET /v1/payments/:id/events.
    }
  }
  return {
    refundId: input.refundId,
    status: final.state,
    failureReason: final.state === 'failed' ? final.failureReason : null,
  };
}
