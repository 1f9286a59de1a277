/**
 * The activity option profiles workflows share: named once, so every workflow that writes the
 * database, notifies a merchant or moves money at a provider does it the same way.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/** Short database writes, run as local activities on the hot path. */
export const databaseWrite: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
};

/** Webhooks: first retry after 5 s, then backing off to hourly, for at least 3 days. */
export const merchantNotify: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '4 days',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 3, maximumInterval: '1 hour' },
};

/**
 * Moving money at a provider (refund, payout): retried under the same key until it answers,
 * backing off to every 10 minutes. A refusal is an answer; an unknown outcome is never given up on.
 */
export const providerMoney: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: ['UnknownRefund', 'UnknownPayout'],
  },
};
