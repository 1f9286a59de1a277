/**
 * What the purchase workflow decides, as plain functions of what it knows: no Temporal, no clock
 * (the time comes in as `now`), so each can be tested without a server.
 */
import { openStatuses, type PaymentStatus, splitFee } from '../../domain/payment';
import type { ProviderCallback, ProviderPaymentStatus } from '../../providers/types';
import type { ProviderAttempt, PurchaseInput, PurchaseState } from '../shared';

/** What one method costs the buyer and leaves the merchant, minor units in decimal strings. */
export interface MethodFees {
  feeMinor: string;
  buyerTotalMinor: string;
  merchantNetMinor: string;
}

export const isOpenStatus = (status: PaymentStatus) => openStatuses.includes(status);

/** The chosen method's price: its quote from creation, or the checkout-wide split for payments made before quotes. */
export function feesFor(
  input: Pick<PurchaseInput, 'quotes' | 'amountMinor' | 'feePayer' | 'feeBasisPoints'>,
  method: string | null,
): MethodFees {
  const quote = input.quotes?.find((candidate) => candidate.method === method);
  if (quote) {
    return {
      feeMinor: quote.feeMinor,
      buyerTotalMinor: quote.buyerTotalMinor,
      merchantNetMinor: quote.merchantNetMinor,
    };
  }
  const split = splitFee(BigInt(input.amountMinor), input.feePayer, BigInt(input.feeBasisPoints));
  return {
    feeMinor: split.feeMinor.toString(),
    buyerTotalMinor: split.buyerTotalMinor.toString(),
    merchantNetMinor: split.merchantNetMinor.toString(),
  };
}

/** A callback whose provider event id was received before: providers repeat them, the workflow drops them. */
export const isRepeatedCallback = (seenEventIds: ReadonlySet<string>, callback: Pick<ProviderCallback, 'eventId'>) =>
  seenEventIds.has(callback.eventId);

/**
 * What a provider's word means for a payment: nothing (the payment is decided, or the word is
 * `pending`, or a decline of a provider payment the payment no longer waits for), a decline that
 * sends the buyer back to the method choice, or a success to check and apply.
 */
export type CallbackOutcome = { kind: 'ignore' } | { kind: 'decline'; reason: string } | { kind: 'success' };

export function callbackOutcome(
  callback: Pick<ProviderCallback, 'state' | 'providerPaymentId' | 'declineReason'>,
  payment: Pick<PurchaseState, 'status' | 'providerPaymentId'>,
): CallbackOutcome {
  if (!isOpenStatus(payment.status) || callback.state === 'pending') return { kind: 'ignore' };
  if (callback.state === 'succeeded') return { kind: 'success' };
  if (callback.providerPaymentId !== payment.providerPaymentId || payment.status !== 'awaiting_payment') {
    return { kind: 'ignore' };
  }
  return { kind: 'decline', reason: callback.declineReason ?? 'declined' };
}

/** A success for this payment: paid when the buyer paid exactly the chosen method's total, else held for review. */
export function successOutcome(
  callback: Pick<ProviderCallback, 'amountMinor' | 'currency'>,
  expected: { buyerTotalMinor: string; currency: string },
): { status: 'paid'; reason: null } | { status: 'under_review'; reason: 'amount_mismatch' | 'currency_mismatch' } {
  if (callback.currency !== expected.currency) return { status: 'under_review', reason: 'currency_mismatch' };
  if (callback.amountMinor !== expected.buyerTotalMinor) return { status: 'under_review', reason: 'amount_mismatch' };
  return { status: 'paid', reason: null };
}

/** The attempt of this payment whose provider payment is `providerPaymentId`, if any. */
export const attemptNaming = (attempts: Iterable<ProviderAttempt>, providerPaymentId: string) =>
  [...attempts].find((entry) => entry.providerPaymentId === providerPaymentId);

/**
 * Which key a new provider payment with `method` uses: the next attempt when nothing is
 * unsettled; the unsettled attempt's own key when it is the same method (never a second charge);
 * otherwise the provider must first be asked how the unsettled attempt ended.
 */
export type AttemptChoice =
  { kind: 'use'; attempt: number } | { kind: 'ask'; previous: { attempt: number; method: string } };

export function attemptChoice(
  unsettled: { attempt: number; method: string } | null,
  method: string,
  currentAttempt: number,
): AttemptChoice {
  if (!unsettled) return { kind: 'use', attempt: currentAttempt + 1 };
  if (unsettled.method === method) return { kind: 'use', attempt: unsettled.attempt };
  return { kind: 'ask', previous: unsettled };
}

/** The provider's answer about one attempt; `known: false` when it could not be asked. */
export type ProviderAnswer =
  | { known: true; status: ProviderPaymentStatus | null }
  /** `parked`: the connector the attempt is at is paused, so it was not asked. */
  | { known: false; parked?: string };

/**
 * What the provider's answer about an unsettled attempt allows: it was paid (the payment is
 * decided), it may still be paid (the buyer must wait or choose the same method), or a new
 * provider payment under the next key (the old one exists) or the same key (nothing was made under it).
 */
export type UnsettledVerdict =
  { kind: 'paid'; status: ProviderPaymentStatus } | { kind: 'unsettled' } | { kind: 'use'; attempt: number };

export function unsettledVerdict(previousAttempt: number, answer: ProviderAnswer): UnsettledVerdict {
  if (answer.known && answer.status?.state === 'succeeded') return { kind: 'paid', status: answer.status };
  if (!answer.known || answer.status?.state === 'pending') return { kind: 'unsettled' };
  return { kind: 'use', attempt: answer.status ? previousAttempt + 1 : previousAttempt };
}

/** The wait before status check number `index` (0-based): the schedule's entry, its last one past its end, 60 s if empty. */
export const pollDelayMs = (statusPollSeconds: readonly number[], index: number) =>
  (statusPollSeconds[Math.min(index, statusPollSeconds.length - 1)] ?? 60) * 1000;

/**
 * When the workflow wakes if nothing arrives: before a provider payment exists, at expiry; while
 * one exists, at the next status check or expiry, whichever is first; past expiry, at status checks
 * only (the provider has not said how the attempt ended, so the payment stays open). A provider
 * payment that came into being at or past expiry, before any status check, is asked about at once.
 */
export function nextWakeAt(wait: {
  atProvider: boolean;
  now: number;
  expiresAt: number;
  nextPollAt: number;
  polls: number;
}): number {
  if (!wait.atProvider) return wait.expiresAt;
  if (wait.now < wait.expiresAt) return Math.min(wait.expiresAt, wait.nextPollAt);
  return wait.polls === 0 ? wait.now : wait.nextPollAt;
}

/** How long the wait until `wakeAt` (or the deferred successes' `retryAt`, when sooner) lasts: at least 1 ms. */
export const sleepMs = (wakeAt: number, retryAt: number, now: number) => Math.max(1, Math.min(wakeAt, retryAt) - now);

/** When the deferred successes are asked about again: never without any, at once when no time was set. */
export const deferredRetryAt = (deferred: { count: number; retryAt: number | null; now: number }) =>
  deferred.count > 0 ? (deferred.retryAt ?? deferred.now) : Infinity;

/**
 * What a wake without news does with the deferred successes: ask about them again when an operator
 * asked for a re-check, when their time came or at expiry; and whether that is all this wake is for
 * (their time came before the status check or expiry the workflow was waiting for).
 */
export function deferredOnWake(wake: {
  deferredCount: number;
  recheck: boolean;
  now: number;
  wakeAt: number;
  retryAt: number;
  expiresAt: number;
}): { askAgain: boolean; only: boolean } {
  const askAgain = wake.deferredCount > 0 && (wake.recheck || wake.now >= wake.retryAt || wake.now >= wake.expiresAt);
  return { askAgain, only: askAgain && !wake.recheck && wake.now < wake.wakeAt };
}

/** How an open payment ends at expiry: `failed` when the buyer was declined before, else `expired`. */
export const expiryOutcome = (declines: number) =>
  declines > 0
    ? ({ status: 'failed', reason: 'declined' } as const)
    : ({ status: 'expired', reason: 'expired' } as const);

/**
 * The order number of a status write: workflow time in ms × 1000, plus one per write within the same
 * ms, so it is newer than any write before it (in this run, a run it was reset or continued from, or
 * another workflow's earlier write); a plain counter in runs recorded before that.
 */
export const nextStatusSeq = (previous: number, now: number, fromClock: boolean) =>
  fromClock ? Math.max(previous + 1, now * 1000) : previous + 1;

/**
 * Successes deferred until the payment closed: those naming a provider payment now known to be this
 * payment's are late callbacks like any other; the rest are flagged, their owner never confirmed.
 */
export function deferredAtClose(deferred: readonly ProviderCallback[], attempts: Iterable<ProviderAttempt>) {
  const ownIds = new Set([...attempts].map((entry) => entry.providerPaymentId));
  return {
    late: deferred.filter((callback) => ownIds.has(callback.providerPaymentId)),
    unverified: deferred.filter((callback) => !ownIds.has(callback.providerPaymentId)),
  };
}

/** Statuses in which the buyer's money has been taken. */
const moneyTakenStatuses: readonly PaymentStatus[] = ['paid', 'under_review', 'refunded', 'partially_refunded'];

/**
 * Why a provider callback that arrives after a payment's outcome contradicts it, or `null` when
 * it agrees or says nothing new (a `pending` event, a decline of an earlier attempt). Both the
 * workflow and the callback endpoint use it.
 */
export function lateCallbackFlag(
  callback: Pick<ProviderCallback, 'state' | 'providerPaymentId'>,
  outcome: { status: PaymentStatus; providerPaymentId: string | null },
): string | null {
  if (outcome.status === 'awaiting_method' || outcome.status === 'awaiting_payment' || callback.state === 'pending')
    return null;
  const moneyTaken = moneyTakenStatuses.includes(outcome.status);
  const samePayment = callback.providerPaymentId === outcome.providerPaymentId;
  if (callback.state === 'succeeded' && !moneyTaken) return `contradicts_${outcome.status}`;
  if (callback.state === 'succeeded' && !samePayment) return 'second_payment';
  if (callback.state === 'declined' && moneyTaken && samePayment) return `contradicts_${outcome.status}`;
  return null;
}

/** The flags for late callbacks that contradict the outcome; those that agree are left out. */
export const lateCallbackFlags = (
  callbacks: readonly ProviderCallback[],
  outcome: { status: PaymentStatus; providerPaymentId: string | null },
) =>
  callbacks
    .map((callback) => ({ eventId: callback.eventId, flag: lateCallbackFlag(callback, outcome) }))
    .filter((entry): entry is { eventId: string; flag: string } => entry.flag !== null);

/**
 * What happens to a success that came after the payment expired, failed or was canceled (flagged
 * `contradicts_<outcome>`), as the checkout's `lateSuccess` says: `refund`ed at once, or `hold` for
 * the operator (the default). Anything else flagged is always held.
 */
export function lateSuccessAction(
  setting: 'refund' | 'hold' | undefined,
  flags: readonly { flag: string }[],
): 'refund' | 'hold' | null {
  const late = flags.some((entry) =>
    ['contradicts_expired', 'contradicts_canceled', 'contradicts_failed'].includes(entry.flag),
  );
  if (!late) return null;
  return setting === 'refund' ? 'refund' : 'hold';
}
