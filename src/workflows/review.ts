import { ActivityFailure, ApplicationFailure, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { eventIdFromUuid } from '../domain/event-ids';
import * as profiles from './activity-profiles';
import type { ReviewDecisionInput, ReviewDecisionResult } from './review-shared';

type Activities = ReturnType<typeof createActivities>;

const money = proxyActivities<Activities>(profiles.providerMoney);
const database = proxyActivities<Activities>(profiles.databaseWrite);
const notify = proxyActivities<Activities>(profiles.merchantNotify);

/** Why a step refused for good (the provider took nothing, the payment changed, …), or `null` for anything else. */
const refusal = (error: unknown): string | null =>
  error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable
    ? error.cause.message
    : null;

/**
 * An operator's decision on an exception, id `review-<exception id>-<decision id>`; the API has
 * stored the decision (who, when, what) before starting it. Accept: the capture the provider
 * reports is posted to the ledger and the payment turns `paid`. Refund: the provider gives the
 * money back; the ledger is not touched. Then the merchant is told, retried for days.
 */
export async function reviewDecisionWorkflow(input: ReviewDecisionInput): Promise<ReviewDecisionResult> {
  let writes = 0;
  /** A status write's order: workflow time in ms * 1000 + writes in that millisecond, newer than any write before it. */
  const nextSeq = () => Date.now() * 1000 + writes++;
  const eventId = eventIdFromUuid(uuid4());
  const { decisionId } = input;
  let raised: string | null;
  try {
    if (input.action === 'accept' && input.kind === 'flagged_callback') {
      // 1. acknowledged: nothing moves
      await database.acknowledgeException({ decisionId });
      raised = null;
    } else if (input.action === 'accept') {
      // 1. ledger capture, payment paid, payment.paid stored
      raised = (await money.acceptException({ decisionId, seq: nextSeq(), eventId })).eventId;
    } else {
      // 1. provider refund; 2. its outcome recorded
      const refunds = await money.refundException({ decisionId });
      raised = (await database.recordExceptionRefund({ decisionId, refunds, seq: nextSeq(), eventId })).eventId;
    }
  } catch (error) {
    const reason = refusal(error);
    if (reason === null) throw error;
    await database.failDecision({ decisionId, reason });
    return { decisionId, status: 'failed', failureReason: reason, eventId: null };
  }
  const outcome = await database.decisionStatus({ decisionId });
  // 3. merchant notification, retried for days
  if (raised) {
    try {
      await notify.notifyMerchant({ eventId: raised });
    } catch {
      // Retries are exhausted after days; the attempts stay listed under the payment's events.
    }
  }
  return { decisionId, status: outcome.status, failureReason: outcome.failureReason, eventId: raised };
}
