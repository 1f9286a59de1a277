import {
  attemptStatusAfterCreate,
  breakerTrips,
  createFailure,
  nextConnector,
  probeDue,
} from '../../src/domain/attempt';
import { FailureType } from '../../src/domain/failure-types';
import { lateSuccessAction } from '../../src/workflows/purchase/decisions';
import { askSummary, cancelSummary, createSummary, waitText } from '../../src/workflows/purchase/ui-text';

describe('a failed create at one connector', () => {
  test('a refusal and a provider not reached move on to the next connector; anything else is an unknown outcome', () => {
    expect(createFailure({ type: FailureType.ProviderDeclined, nonRetryable: true })).toBe('refused');
    expect(createFailure({ type: FailureType.ProviderUnreached, nonRetryable: false })).toBe('unreached');
    expect(createFailure({ type: FailureType.ConnectorPaused, nonRetryable: true })).toBe('unreached');
    expect(createFailure({ type: FailureType.NoConnector, nonRetryable: true })).toBe('unreached');
    expect(createFailure({ type: FailureType.ProviderOutcomeUnknown, nonRetryable: true })).toBe('unknown');
    expect(createFailure({ type: 'Error', nonRetryable: false })).toBe('unknown');
    // a timeout or a cancellation carries no application failure: it may have made the payment
    expect(createFailure(null)).toBe('unknown');
  });

  test('the next connector is the first by priority not tried yet, none when all were', () => {
    expect(nextConnector(['conn_a', 'conn_b', 'conn_c'], [])).toBe('conn_a');
    expect(nextConnector(['conn_a', 'conn_b', 'conn_c'], ['conn_a'])).toBe('conn_b');
    expect(nextConnector(['conn_a', 'conn_b'], ['conn_b', 'conn_a'])).toBeNull();
    expect(nextConnector([], [])).toBeNull();
  });

  test('an outcome once unknown stays unknown when a later try of the same attempt does not reach the provider', () => {
    expect(attemptStatusAfterCreate('unknown', 'unreachable')).toBe('unknown');
    expect(attemptStatusAfterCreate(null, 'unreachable')).toBe('unreachable');
    expect(attemptStatusAfterCreate('unreachable', 'unreachable')).toBe('unreachable');
    expect(attemptStatusAfterCreate('unknown', 'created')).toBe('created');
    expect(attemptStatusAfterCreate('unknown', 'refused')).toBe('refused');
    expect(attemptStatusAfterCreate('unreachable', 'unknown')).toBe('unknown');
  });
});

describe('the circuit breaker', () => {
  const settings = { failures: 3, windowSeconds: 60, probeSeconds: 30 };

  test('trips an active connector at the count of failures, not before, and never a paused one again', () => {
    expect(breakerTrips({ status: 'active' }, 2, settings)).toBe(false);
    expect(breakerTrips({ status: 'active' }, 3, settings)).toBe(true);
    expect(breakerTrips({ status: 'paused' }, 10, settings)).toBe(false);
  });

  test('probes only a connector it paused itself, once its cool-down is over', () => {
    const pausedAt = new Date('2026-01-01T00:00:00Z');
    const tripped = { status: 'paused' as const, pausedReason: 'circuit_breaker', pausedAt };
    expect(probeDue(tripped, new Date(pausedAt.getTime() + 29_999), settings)).toBe(false);
    expect(probeDue(tripped, new Date(pausedAt.getTime() + 30_000), settings)).toBe(true);
    expect(probeDue({ ...tripped, pausedReason: 'operator' }, new Date(pausedAt.getTime() + 99_000), settings)).toBe(
      false,
    );
    expect(probeDue({ ...tripped, status: 'active' }, new Date(pausedAt.getTime() + 99_000), settings)).toBe(false);
  });
});

describe('a success after the payment expired, failed or was canceled', () => {
  const late = [{ flag: 'contradicts_expired' }];
  test("is refunded only when the checkout's late_success says refund; held otherwise, and by default", () => {
    expect(lateSuccessAction('refund', late)).toBe('refund');
    expect(lateSuccessAction('hold', late)).toBe('hold');
    expect(lateSuccessAction(undefined, late)).toBe('hold');
    expect(lateSuccessAction('refund', [{ flag: 'contradicts_canceled' }])).toBe('refund');
    expect(lateSuccessAction('refund', [{ flag: 'contradicts_failed' }])).toBe('refund');
  });

  test('anything else flagged is never refunded by the setting: a second payment, a decline contradicting a paid one', () => {
    expect(lateSuccessAction('refund', [{ flag: 'second_payment' }])).toBeNull();
    expect(lateSuccessAction('refund', [{ flag: 'contradicts_paid' }])).toBeNull();
    expect(lateSuccessAction('refund', [])).toBeNull();
  });
});

describe('what the Temporal UI shows of connectors', () => {
  const state = {
    status: 'awaiting_payment' as const,
    method: 'sandbox_card',
    attempt: 2,
    providerPaymentId: 'sp_2',
    redirectUrl: 'https://provider.example/sp_2',
    failureReason: null,
  };
  const view = {
    state,
    atProvider: true,
    polls: 1,
    now: 0,
    expiresAt: 600_000,
    nextPollAt: 30_000,
    wakeAt: 30_000,
    deferredCount: 0,
    retryAt: Infinity,
  };

  test('a parked payment says which connector it waits for and that a callback still settles it', () => {
    const parked = waitText({ ...view, parkedAt: 'conn_a' });
    expect(parked.summary).toMatch(/connector conn_a resumes/);
    expect(parked.details).toMatch(/parked: connector conn_a is paused/);
    expect(parked.details).toMatch(/callback still settles it/);
    expect(waitText(view).details).not.toMatch(/parked/);
  });

  test('create, ask and cancel summaries name the connector; those of runs before connectors do not', () => {
    expect(createSummary('sandbox_card', '5000', 'RUB', 2, 'conn_b')).toBe(
      'create sandbox_card payment at connector conn_b: 50.00 RUB, attempt 2',
    );
    expect(createSummary('sandbox_card', '5000', 'RUB', 1)).toBe(
      'create sandbox_card payment at the provider: 50.00 RUB, attempt 1',
    );
    expect(askSummary('sandbox_card', 2, 'status check 1', 'conn_b')).toMatch(/^ask connector conn_b about/);
    expect(cancelSummary('sandbox_card', 2, 'conn_b')).toBe(
      'cancel the sandbox_card payment at connector conn_b, attempt 2',
    );
  });
});
