import type { ProviderCallback } from '../../src/providers/types';
import {
  attemptChoice,
  callbackOutcome,
  deferredAtClose,
  deferredOnWake,
  deferredRetryAt,
  expiryOutcome,
  feesFor,
  isRepeatedCallback,
  lateCallbackFlag,
  lateCallbackFlags,
  nextStatusSeq,
  nextWakeAt,
  pollDelayMs,
  sleepMs,
  successOutcome,
  unsettledVerdict,
} from '../../src/workflows/purchase/decisions';

// The purchase workflow's decisions, without a server: what a callback means, which key a new
// provider payment uses, when the workflow wakes and how an open payment ends.

const callback = (overrides: Partial<ProviderCallback> = {}): ProviderCallback => ({
  eventId: 'evt_provider_1',
  providerPaymentId: 'sp_1',
  paymentId: 'pay_1',
  state: 'succeeded',
  amountMinor: '5000',
  currency: 'RUB',
  occurredAt: '2026-11-30T10:00:00.000Z',
  ...overrides,
});

const waiting = { status: 'awaiting_payment' as const, providerPaymentId: 'sp_1' };

describe("a provider callback's outcome", () => {
  test('a success of an open payment is a success to check and apply', () => {
    expect(callbackOutcome(callback(), waiting)).toEqual({ kind: 'success' });
    expect(callbackOutcome(callback(), { status: 'awaiting_method', providerPaymentId: null })).toEqual({
      kind: 'success',
    });
  });

  test('a pending event, or any word on a decided payment, changes nothing', () => {
    expect(callbackOutcome(callback({ state: 'pending' }), waiting)).toEqual({ kind: 'ignore' });
    for (const status of ['paid', 'expired', 'canceled', 'failed', 'under_review'] as const) {
      expect(callbackOutcome(callback(), { status, providerPaymentId: 'sp_1' })).toEqual({ kind: 'ignore' });
      expect(callbackOutcome(callback({ state: 'declined' }), { status, providerPaymentId: 'sp_1' })).toEqual({
        kind: 'ignore',
      });
    }
  });

  test("a decline of the provider payment the payment waits for sends the buyer back, with the provider's reason", () => {
    expect(callbackOutcome(callback({ state: 'declined', declineReason: 'insufficient_funds' }), waiting)).toEqual({
      kind: 'decline',
      reason: 'insufficient_funds',
    });
    expect(callbackOutcome(callback({ state: 'declined' }), waiting)).toEqual({ kind: 'decline', reason: 'declined' });
  });

  test('a decline of an earlier provider payment, or while no provider payment is awaited, changes nothing', () => {
    expect(callbackOutcome(callback({ state: 'declined', providerPaymentId: 'sp_0' }), waiting)).toEqual({
      kind: 'ignore',
    });
    expect(
      callbackOutcome(callback({ state: 'declined' }), { status: 'awaiting_method', providerPaymentId: 'sp_1' }),
    ).toEqual({ kind: 'ignore' });
  });
});

describe('a success for this payment', () => {
  const expected = { buyerTotalMinor: '5150', currency: 'RUB' };

  test("is paid when the buyer paid exactly the chosen method's total in the payment's currency", () => {
    expect(successOutcome({ amountMinor: '5150', currency: 'RUB' }, expected)).toEqual({
      status: 'paid',
      reason: null,
    });
  });

  test('is held for review on an amount mismatch, more or less than the total', () => {
    expect(successOutcome({ amountMinor: '5000', currency: 'RUB' }, expected)).toEqual({
      status: 'under_review',
      reason: 'amount_mismatch',
    });
    expect(successOutcome({ amountMinor: '5151', currency: 'RUB' }, expected)).toEqual({
      status: 'under_review',
      reason: 'amount_mismatch',
    });
  });

  test('is held for review on a currency mismatch, even when the number matches', () => {
    expect(successOutcome({ amountMinor: '5150', currency: 'USD' }, expected)).toEqual({
      status: 'under_review',
      reason: 'currency_mismatch',
    });
    expect(successOutcome({ amountMinor: '1', currency: 'USD' }, expected).reason).toBe('currency_mismatch');
  });
});

test('when the provider sends the same event twice, the repeat is recognised by its event id', () => {
  const seen = new Set(['evt_provider_1']);
  expect(isRepeatedCallback(seen, callback())).toBe(true);
  expect(isRepeatedCallback(seen, callback({ eventId: 'evt_provider_2' }))).toBe(false);
});

describe("the chosen method's price", () => {
  const input = { amountMinor: '10000', feePayer: 'buyer' as const, feeBasisPoints: 300 };

  test('is its quote from creation', () => {
    const quotes = [
      { method: 'sandbox_card', feeMinor: '300', buyerTotalMinor: '10300', merchantNetMinor: '10000' },
      { method: 'sandbox_wallet', feeMinor: '150', buyerTotalMinor: '10150', merchantNetMinor: '10000' },
    ];
    expect(feesFor({ ...input, quotes }, 'sandbox_wallet')).toEqual({
      feeMinor: '150',
      buyerTotalMinor: '10150',
      merchantNetMinor: '10000',
    });
  });

  test("is the checkout-wide split for a payment made before quotes: the buyer's or the merchant's share", () => {
    expect(feesFor(input, 'sandbox_card')).toEqual({
      feeMinor: '300',
      buyerTotalMinor: '10300',
      merchantNetMinor: '10000',
    });
    expect(feesFor({ ...input, feePayer: 'merchant' }, null)).toEqual({
      feeMinor: '300',
      buyerTotalMinor: '10000',
      merchantNetMinor: '9700',
    });
  });
});

describe('the attempt (provider key) of a new provider payment', () => {
  test('is the next one when nothing is unsettled', () => {
    expect(attemptChoice(null, 'sandbox_card', 2)).toEqual({ kind: 'use', attempt: 3 });
  });

  test("is the unsettled attempt's own key for the same method: never a second charge", () => {
    expect(attemptChoice({ attempt: 2, method: 'sandbox_card' }, 'sandbox_card', 2)).toEqual({
      kind: 'use',
      attempt: 2,
    });
  });

  test('needs the provider asked first when another method is chosen while one is unsettled', () => {
    expect(attemptChoice({ attempt: 2, method: 'sandbox_card' }, 'sandbox_wallet', 2)).toEqual({
      kind: 'ask',
      previous: { attempt: 2, method: 'sandbox_card' },
    });
  });

  const status = (state: 'pending' | 'succeeded' | 'declined') => ({
    providerPaymentId: 'sp_2',
    state,
    amountMinor: '5000',
    currency: 'RUB',
  });

  test('after asking: paid when the unsettled attempt succeeded', () => {
    expect(unsettledVerdict(2, { known: true, status: status('succeeded') })).toEqual({
      kind: 'paid',
      status: status('succeeded'),
    });
  });

  test('after asking: still unsettled when the provider could not say or says pending', () => {
    expect(unsettledVerdict(2, { known: false })).toEqual({ kind: 'unsettled' });
    expect(unsettledVerdict(2, { known: true, status: status('pending') })).toEqual({ kind: 'unsettled' });
  });

  test('after asking: the next key when the old one made a declined payment, the same key when it made none', () => {
    expect(unsettledVerdict(2, { known: true, status: status('declined') })).toEqual({ kind: 'use', attempt: 3 });
    expect(unsettledVerdict(2, { known: true, status: null })).toEqual({ kind: 'use', attempt: 2 });
  });
});

describe('the poll delay', () => {
  test('follows the schedule, then keeps its last entry, in milliseconds', () => {
    const schedule = [5, 30, 300];
    expect([0, 1, 2, 3, 10].map((index) => pollDelayMs(schedule, index))).toEqual([
      5_000, 30_000, 300_000, 300_000, 300_000,
    ]);
  });

  test('is a minute when the schedule is empty', () => {
    expect(pollDelayMs([], 0)).toBe(60_000);
  });
});

describe('the next wake-up', () => {
  const expiresAt = 10_000;

  test('before a provider payment exists: expiry, whatever the poll schedule says', () => {
    expect(nextWakeAt({ atProvider: false, now: 1_000, expiresAt, nextPollAt: 2_000, polls: 0 })).toBe(expiresAt);
  });

  test('at the provider: the status check when it comes before expiry, else expiry', () => {
    expect(nextWakeAt({ atProvider: true, now: 1_000, expiresAt, nextPollAt: 4_000, polls: 0 })).toBe(4_000);
    expect(nextWakeAt({ atProvider: true, now: 1_000, expiresAt, nextPollAt: 12_000, polls: 0 })).toBe(expiresAt);
    expect(nextWakeAt({ atProvider: true, now: 1_000, expiresAt, nextPollAt: Infinity, polls: 0 })).toBe(expiresAt);
  });

  test("past expiry with the provider's answer unknown: status checks only", () => {
    expect(nextWakeAt({ atProvider: true, now: 11_000, expiresAt, nextPollAt: 15_000, polls: 1 })).toBe(15_000);
    expect(nextWakeAt({ atProvider: true, now: expiresAt, expiresAt, nextPollAt: 15_000, polls: 3 })).toBe(15_000);
  });

  test('a provider payment made at or past expiry and never checked is asked about at once, not at its first check', () => {
    expect(nextWakeAt({ atProvider: true, now: 11_000, expiresAt, nextPollAt: 71_000, polls: 0 })).toBe(11_000);
    expect(nextWakeAt({ atProvider: true, now: expiresAt, expiresAt, nextPollAt: 70_000, polls: 0 })).toBe(expiresAt);
  });

  test('the timer lasts until the sooner of the wake-up and the deferred retry, at least 1 ms', () => {
    expect(sleepMs(10_000, Infinity, 1_000)).toBe(9_000);
    expect(sleepMs(10_000, 4_000, 1_000)).toBe(3_000);
    expect(sleepMs(10_000, 500, 1_000)).toBe(1);
  });
});

describe('successes whose provider payment could not be verified', () => {
  test('are retried at their set time, at once when none was set, never when there are none', () => {
    expect(deferredRetryAt({ count: 1, retryAt: 5_000, now: 1_000 })).toBe(5_000);
    expect(deferredRetryAt({ count: 1, retryAt: null, now: 1_000 })).toBe(1_000);
    expect(deferredRetryAt({ count: 0, retryAt: 5_000, now: 1_000 })).toBe(Infinity);
  });

  const wake = { deferredCount: 1, recheck: false, now: 5_000, wakeAt: 8_000, retryAt: 5_000, expiresAt: 10_000 };

  test('when only their time came, the wake is for them alone', () => {
    expect(deferredOnWake(wake)).toEqual({ askAgain: true, only: true });
  });

  test("an operator's re-check asks about them and then checks the payment too", () => {
    expect(deferredOnWake({ ...wake, recheck: true, retryAt: 9_000 })).toEqual({ askAgain: true, only: false });
  });

  test('at expiry they are asked about before the payment ends, and the wake goes on to the expiry', () => {
    expect(deferredOnWake({ ...wake, now: 10_000, wakeAt: 10_000, retryAt: 20_000 })).toEqual({
      askAgain: true,
      only: false,
    });
  });

  test('a status check that comes before their time leaves them be', () => {
    expect(deferredOnWake({ ...wake, now: 8_000, retryAt: 9_000 })).toEqual({ askAgain: false, only: false });
    expect(deferredOnWake({ ...wake, deferredCount: 0, recheck: true })).toEqual({ askAgain: false, only: false });
  });

  test("at close, those naming one of this payment's provider payments are late callbacks; the rest are flagged", () => {
    const own = callback({ eventId: 'e1', providerPaymentId: 'sp_2' });
    const unknown = callback({ eventId: 'e2', providerPaymentId: 'sp_x' });
    const attempts = [
      { attempt: 1, method: 'sandbox_card', providerPaymentId: 'sp_1' },
      { attempt: 2, method: 'sandbox_wallet', providerPaymentId: 'sp_2' },
    ];
    expect(deferredAtClose([own, unknown], attempts)).toEqual({ late: [own], unverified: [unknown] });
  });
});

describe('expiry', () => {
  test('ends a payment never declined as expired, one declined before as failed', () => {
    expect(expiryOutcome(0)).toEqual({ status: 'expired', reason: 'expired' });
    expect(expiryOutcome(2)).toEqual({ status: 'failed', reason: 'declined' });
  });
});

describe('the order number of a status write', () => {
  test('follows workflow time, one more per write within the same millisecond', () => {
    expect(nextStatusSeq(0, 1_700_000_000_000, true)).toBe(1_700_000_000_000_000);
    expect(nextStatusSeq(1_700_000_000_000_000, 1_700_000_000_000, true)).toBe(1_700_000_000_000_001);
  });

  test('never goes back when the clock does, and is a plain counter in runs recorded before the patch', () => {
    expect(nextStatusSeq(5_000_000, 1_000, true)).toBe(5_000_001);
    expect(nextStatusSeq(7, 1_700_000_000_000, false)).toBe(8);
  });
});

describe('the late-callback flag', () => {
  const paid = { status: 'paid' as const, providerPaymentId: 'sp_1' };

  test('a success after expiry or cancel contradicts it', () => {
    expect(lateCallbackFlag(callback(), { status: 'expired', providerPaymentId: null })).toBe('contradicts_expired');
    expect(lateCallbackFlag(callback(), { status: 'canceled', providerPaymentId: 'sp_1' })).toBe(
      'contradicts_canceled',
    );
  });

  test('a success of another provider payment after paid is a second payment; the same one again agrees', () => {
    expect(lateCallbackFlag(callback({ providerPaymentId: 'sp_2' }), paid)).toBe('second_payment');
    expect(lateCallbackFlag(callback(), paid)).toBeNull();
  });

  test('a decline of the paid provider payment contradicts paid; of an earlier one, or pending, says nothing', () => {
    expect(lateCallbackFlag(callback({ state: 'declined' }), paid)).toBe('contradicts_paid');
    expect(lateCallbackFlag(callback({ state: 'declined', providerPaymentId: 'sp_0' }), paid)).toBeNull();
    expect(lateCallbackFlag(callback({ state: 'pending', providerPaymentId: 'sp_9' }), paid)).toBeNull();
  });

  test('an open payment flags nothing', () => {
    expect(lateCallbackFlag(callback({ state: 'declined' }), waiting)).toBeNull();
  });

  test('only the contradicting callbacks are flagged, by event id, and the callback endpoint uses the same rule', () => {
    const callbacks = [
      callback({ eventId: 'e1' }),
      callback({ eventId: 'e2', providerPaymentId: 'sp_2' }),
      callback({ eventId: 'e3', state: 'declined' }),
    ];
    expect(lateCallbackFlags(callbacks, paid)).toEqual([
      { eventId: 'e2', flag: 'second_payment' },
      { eventId: 'e3', flag: 'contradicts_paid' },
    ]);
  });
});
