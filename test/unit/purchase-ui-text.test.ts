import { finishedDetails, inWords, notifyingDetails, waitText } from '../../src/workflows/purchase/ui-text';

// What the Temporal UI shows about a purchase: the timer summary and the current details of each wait.

const awaitingPayment = {
  status: 'awaiting_payment' as const,
  method: 'sandbox_card',
  attempt: 2,
  providerPaymentId: 'sp_2',
  redirectUrl: 'https://sandbox.example/pay/sp_2',
  failureReason: null,
};
const now = Date.parse('2026-11-30T10:00:00.000Z');
const view = {
  state: awaitingPayment,
  atProvider: true,
  polls: 0,
  nextPollAt: now + 30_000,
  expiresAt: now + 3_600_000,
  now,
  wakeAt: now + 30_000,
  deferredCount: 0,
  retryAt: Infinity,
};

test('a wait reads in seconds, minutes, hours or days', () => {
  expect([45_000, 30 * 60_000, 5 * 3_600_000, 3 * 86_400_000, -5].map(inWords)).toEqual([
    '45 s',
    '30 min',
    '5 h',
    '3 d',
    '0 s',
  ]);
});

test('while the buyer chooses, the summary says when the payment expires', () => {
  const text = waitText({
    ...view,
    state: { ...awaitingPayment, status: 'awaiting_method', method: null, providerPaymentId: null },
    atProvider: false,
    wakeAt: view.expiresAt,
  });
  expect(text.summary).toBe('buyer chooses a method; expires in 60 min');
  expect(text.details).toContain('Expires at 2026-11-30T11:00:00.000Z.');
});

test('at the provider, the summary names the next status check, or the expiry when that comes first', () => {
  expect(waitText(view).summary).toBe('provider callback, or status check 1 in 30 s');
  expect(waitText(view).details).toContain('sandbox_card payment sp_2 (attempt 2). Next: status check 1 at');
  expect(waitText({ ...view, nextPollAt: now + 7_200_000, wakeAt: view.expiresAt }).summary).toBe(
    'provider callback, or expires in 60 min',
  );
});

test('past expiry the details say the provider has not said how the attempt ended', () => {
  const late = { ...view, now: view.expiresAt + 1_000, nextPollAt: view.expiresAt + 61_000 };
  expect(waitText({ ...late, wakeAt: late.nextPollAt }).details).toContain('(past expiry:');
  expect(waitText(view).details).not.toContain('past expiry');
});

test('unverified successes asked about before the next wake come first in the summary', () => {
  const text = waitText({ ...view, deferredCount: 2, retryAt: now + 10_000 });
  expect(text.summary).toBe(
    'ask again about 2 success(es) whose provider payment is unverified in 10 s; then provider callback, or status check 1 in 30 s',
  );
  expect(text.details).toContain('Asking again about 2 success(es) whose provider payment is unverified at');
});

test('the notification step names its events, and the end says whether the merchant accepted', () => {
  expect(notifyingDetails('paid', [{ eventId: 'evt_1', type: 'payment.paid' }])).toMatch(
    /^\*\*paid\*\*: notifying the merchant \(payment\.paid evt_1\)/,
  );
  expect(finishedDetails('paid', true)).toContain('never accepted');
  expect(finishedDetails('paid', false)).toContain('has accepted');
});
