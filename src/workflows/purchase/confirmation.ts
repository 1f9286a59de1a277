/**
 * Step 3 of a purchase, confirmation: a provider callback, or the provider's answer when the
 * workflow asks, until expiry (and past it while the provider has not said how the attempt ended);
 * then, after the outcome, the late callbacks that contradict it.
 */
import { allHandlersFinished, condition, continueAsNew, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { defaultPurchaseHistoryLimit, type PurchaseInput, type PurchaseState } from '../shared';
import { database } from './activities';
import {
  deferredOnWake,
  deferredRetryAt,
  expiryOutcome,
  lateCallbackFlags,
  lateSuccessAction,
  nextWakeAt,
  sleepMs,
} from './decisions';
import type { Delivery } from './notification-tail';
import type { Purchase } from './state';
import { askReason, continuingAsNewDetails, waitText } from './ui-text';

/** Waits for the payment's outcome, continuing as new when the history grows too long. */
export async function awaitOutcome(purchase: Purchase, mayContinueAsNew: boolean): Promise<void> {
  const historyLimit = purchase.input.historyLimit ?? defaultPurchaseHistoryLimit;
  const historyTooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyLimit;
  while (purchase.isOpen()) {
    if (mayContinueAsNew && historyTooLong()) {
      await continueWithFreshHistory(purchase);
      continue;
    }
    purchase.restartPollsForNewAttempt();
    const { woke, wakeAt, retryAt } = await waitForNews(purchase);
    purchase.restartPollsForNewAttempt();
    await purchase.drainCallbacks();
    const recheck = purchase.takeRecheck();
    if ((woke && !recheck) || !purchase.isOpen()) continue;

    // Successes the provider could not be asked about: asked again when due, and always before expiry.
    const deferred = deferredOnWake({
      deferredCount: purchase.deferred.length,
      recheck,
      now: Date.now(),
      wakeAt,
      retryAt,
      expiresAt: purchase.expiresAt,
    });
    if (deferred.askAgain) {
      await purchase.retryDeferred();
      if (deferred.only || !purchase.isOpen()) continue;
    }

    if (purchase.atProvider() && !(await stillPendingAfterCheck(purchase, recheck))) continue;
    if (Date.now() >= purchase.expiresAt && purchase.isOpen()) {
      const outcome = expiryOutcome(purchase.declines);
      await purchase.record(outcome.status, outcome.reason);
    }
  }
}

/**
 * Waits until a callback, a method choice, a provider payment, an operator's re-check or the
 * payment's close, or until the next status check, expiry or deferred retry; true when woken early.
 */
async function waitForNews(purchase: Purchase): Promise<{ woke: boolean; wakeAt: number; retryAt: number }> {
  const selectionsBefore = purchase.selections;
  const atProviderBefore = purchase.atProvider();
  const now = Date.now();
  const { expiresAt, nextPollAt, polls } = purchase;
  const wakeAt = nextWakeAt({ atProvider: atProviderBefore, now, expiresAt, nextPollAt, polls });
  const deferredCount = purchase.deferred.length;
  const retryAt = deferredRetryAt({ count: deferredCount, retryAt: purchase.retryDeferredAt, now });
  const { state, parkedAt } = purchase;
  const { summary, details } = waitText({
    state,
    parkedAt,
    atProvider: atProviderBefore,
    polls,
    nextPollAt,
    expiresAt,
    now,
    wakeAt,
    deferredCount,
    retryAt,
  });
  setCurrentDetails(details);
  const woke = await condition(
    () =>
      !purchase.isOpen() ||
      purchase.callbacks.length > 0 ||
      purchase.selections !== selectionsBefore ||
      purchase.atProvider() !== atProviderBefore ||
      purchase.recheckRequested,
    sleepMs(wakeAt, retryAt, now),
    { summary },
  );
  return { woke, wakeAt, retryAt };
}

/**
 * Asks the provider about the current attempt (a scheduled status check or an operator's re-check)
 * and applies a final answer. True when the provider says the attempt is still under way (or made
 * nothing under its key), so expiry may end the payment; false when this wake has nothing more to do.
 */
async function stillPendingAfterCheck(purchase: Purchase, recheck: boolean): Promise<boolean> {
  const attempt = purchase.state.attempt;
  const why = askReason.statusCheck(purchase.polls, recheck);
  const answer = await purchase.askProvider(attempt, purchase.state.method!, why);
  purchase.countStatusCheck();
  await purchase.drainCallbacks();
  if (!purchase.isOpen() || purchase.state.attempt !== attempt) return false;
  // A parked payment still expires on time; one whose provider could not be asked waits for its answer.
  if (!answer.known) return answer.parked !== undefined;
  if (!answer.status || answer.status.state === 'pending') return true;
  await purchase.confirm(purchase.answerAsCallback(answer.status, `poll-${attempt}-${purchase.polls}`), true);
  return false;
}

/** Hands everything this run decides by to the next run: same workflow id, messages go there. */
async function continueWithFreshHistory(purchase: Purchase): Promise<void> {
  if (!allHandlersFinished() || purchase.choosingAtCreation) {
    setCurrentDetails(continuingAsNewDetails(purchase.state.status));
  }
  await condition(() => allHandlersFinished() && !purchase.choosingAtCreation);
  if (!purchase.isOpen()) return;
  // A method choice that finished meanwhile made a provider payment the carried schedule is not for.
  purchase.restartPollsForNewAttempt();
  await continueAsNew<(input: PurchaseInput) => Promise<PurchaseState>>({
    ...purchase.input,
    carried: purchase.handover(),
  });
}

/**
 * Step 5: callbacks that came after the outcome; those that say otherwise are flagged for review,
 * until the sends and the cancel at the provider end.
 */
export async function flagLateCallbacks(purchase: Purchase, delivery: Delivery): Promise<void> {
  const busy = () => delivery.notifying || purchase.cancelingAtProvider;
  for (;;) {
    await condition(() => purchase.callbacks.length > 0 || !busy());
    const flags = lateCallbackFlags(purchase.callbacks.splice(0), purchase.state);
    if (flags.length > 0) await database.flagCallbacks({ paymentId: purchase.input.paymentId, flags });
    if (lateSuccessAction(purchase.input.lateSuccess, flags) === 'refund') await purchase.refundLateSuccess();
    if (!busy() && purchase.callbacks.length === 0) break;
  }
}
