/**
 * The activity option profiles workflows use: named once, so every workflow that writes the
 * database, asks or pays at a provider, or notifies a merchant does it the same way.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { FailureType } from '../domain/failure-types';
import type { NotificationChannel } from '../domain/channel';

/** Short database writes, run as local activities on the hot path. */
export const databaseWrite: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
};

/** A database write off the hot path that may wait: retried every second, backing off to every minute. */
export const databaseWriteUnhurried: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
};

/** Creating a provider payment: a few quick tries while the buyer waits, same key every time. */
export const providerCreate: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 5 },
};

/** Asking a provider what happened: a few tries per check; the workflow asks again on its poll schedule. */
export const providerCheck: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
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
    nonRetryableErrorTypes: [FailureType.UnknownRefund, FailureType.UnknownPayout],
  },
};

/** Webhooks: first retry after 5 s, then backing off to hourly, for at least 3 days. */
export const merchantNotify: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '4 days',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 3, maximumInterval: '1 hour' },
};

/**
 * Each notification channel's own retry policy: quick first retries, then backing off to the
 * longest interval until schedule-to-close. A channel down for hours is thus tried at least every
 * `maximumInterval` and delivered within that long after it is back, as long as it returns within
 * schedule-to-close.
 */
export const channelNotify: Record<NotificationChannel, ActivityOptions> = {
  /** The seller's e-mail: first retry after 30 s, then doubling to hourly, for 3 days. */
  email: {
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '3 days',
    retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '1 hour' },
  },
  /** Telegram: first retry after 10 s, then doubling to every 30 min, for 3 days. */
  telegram: {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '3 days',
    retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
  },
  /** SMS: first retry after 30 s, then doubling to hourly, for 1 day: a text about a sale days old is noise, and each costs money. */
  sms: {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '1 day',
    retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '1 hour' },
  },
  /** The buyer's receipt: as the seller's e-mail. */
  buyer_receipt: {
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '3 days',
    retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '1 hour' },
  },
  /** The shop's SCI interaction: as the webhook, first retry after 5 s, then backing off to hourly, for 4 days. */
  interaction: {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '4 days',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 3, maximumInterval: '1 hour' },
  },
};

/** A merchant's re-send of one event to one channel: one attempt, now; the payment's own retries go on regardless. */
export const merchantResend: ActivityOptions = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } };

/** An operator's re-send of one event: one attempt, now; the operator sees its outcome and decides. */
export const operatorResend: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } };

/** Fetching a site's verification file: retried on a backoff (5 s, doubling, at most hourly) for 24 hours. */
export const siteFetch: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 hour',
    nonRetryableErrorTypes: [FailureType.UnsafeUrl],
  },
};

/** Reading the database and each provider's report: a few tries, then the run fails and the next day's runs. */
export const reconciliationRead: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
};
