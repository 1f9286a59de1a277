/**
 * The outbox: a payment, refund or payout is stored first, then its workflow is started, then the
 * row is marked started. A crash in between leaves a row stored but not started; one sweep, on one
 * timer, starts those. Starting is idempotent (the `once` id policy), so the API and the sweep may
 * both start the same row.
 */
import type { Pool } from 'pg';
import type { Config } from '../config';
import { findCheckout } from '../db/checkouts';
import { listUnstartedPayments, markWorkflowStarted, findPaymentById } from '../db/payments';
import { listUnstartedPayouts, markPayoutWorkflowStarted } from '../db/payouts';
import { listUnstartedRefunds, markRefundWorkflowStarted } from '../db/refunds';
import { type Checkout, checkoutQuotes } from '../domain/checkout';
import type { StoredPayment } from '../domain/payment';
import type { Payout } from '../domain/payout';
import type { Refund } from '../domain/refund';
import type { ProviderRegistry } from '../providers/registry';
import { payout, purchase, refund } from './definitions';
import { type Starter, startWorkflow } from './start';
import type { StartedMarks } from './started-marks';

interface OutboxDeps extends Starter {
  db: Pool;
  providers: ProviderRegistry;
  config: Pick<Config, 'statusPollSeconds'>;
  /** Where payments' marks go to be written after the answer; absent, each is written before it. */
  startedMarks?: StartedMarks;
}

/**
 * Starts a stored payment's purchase workflow and marks the payment started (with `startedMarks`,
 * after it returns). `quotes` are the checkout's methods for the payment, when the caller has them
 * already (the create request).
 */
export async function startPurchase(
  deps: OutboxDeps,
  payment: StoredPayment,
  checkout: Checkout,
  quotes = checkoutQuotes(
    deps.providers.methods(payment.testMode),
    checkout,
    payment.amountMinor,
    payment.currency,
    payment.sci?.methods,
  ),
): Promise<void> {
  await startWorkflow(deps, purchase, { payment, checkout, quotes, statusPollSeconds: deps.config.statusPollSeconds });
  if (deps.startedMarks) deps.startedMarks.add(payment.id);
  else await markWorkflowStarted(deps.db, payment.id);
}

/** Starts a stored refund's workflow and marks the refund started. */
export async function startRefund(deps: OutboxDeps, stored: Refund, payment: StoredPayment): Promise<void> {
  await startWorkflow(deps, refund, { refund: stored, payment });
  await markRefundWorkflowStarted(deps.db, stored.id);
}

/** Starts a stored payout's workflow and marks the payout started. */
export async function startPayout(deps: OutboxDeps, stored: Payout): Promise<void> {
  await startWorkflow(deps, payout, stored);
  await markPayoutWorkflowStarted(deps.db, stored.id);
}

/** Rows of one kind a sweep reads at once. */
const batchSize = 100;
/** Batches of one kind a sweep goes through at most, while every start succeeds. */
const maxBatches = 10;
/** Starts failing one after another after which a sweep leaves a kind to the next (Temporal is likely away). */
const maxFailuresInARow = 3;

/** Per kind of row: the unstarted ones (oldest first, one batch), and how one is started. */
const outboxes = {
  payments: {
    unstarted: (deps: OutboxDeps, olderThanSeconds: number) =>
      listUnstartedPayments(deps.db, olderThanSeconds, batchSize),
    async start(deps: OutboxDeps, payment: StoredPayment) {
      const checkout = await findCheckout(deps.db, payment, payment.checkoutId);
      if (checkout) await startPurchase(deps, payment, checkout);
    },
  },
  refunds: {
    unstarted: (deps: OutboxDeps, olderThanSeconds: number) =>
      listUnstartedRefunds(deps.db, olderThanSeconds, batchSize),
    async start(deps: OutboxDeps, stored: Refund) {
      const payment = await findPaymentById(deps.db, stored.paymentId);
      if (payment) await startRefund(deps, stored, payment);
    },
  },
  payouts: {
    unstarted: (deps: OutboxDeps, olderThanSeconds: number) =>
      listUnstartedPayouts(deps.db, olderThanSeconds, batchSize),
    start: startPayout,
  },
};

type OutboxKind = keyof typeof outboxes;
const outboxKinds = Object.keys(outboxes) as OutboxKind[];

/**
 * Starts one kind's unstarted rows, batch after batch while every start succeeds (a backlog left by
 * an outage drains at up to 1,000 rows a sweep). A row whose start fails does not hold up the rows
 * after it; the failures are thrown together once the others have been tried.
 */
async function sweepOne<K extends OutboxKind>(deps: OutboxDeps, kind: K, olderThanSeconds: number): Promise<number> {
  const outbox = outboxes[kind] as {
    unstarted(deps: OutboxDeps, olderThanSeconds: number): Promise<{ id: string }[]>;
    start(deps: OutboxDeps, row: unknown): Promise<void>;
  };
  let found = 0;
  const failures: string[] = [];
  for (let batch = 0; batch < maxBatches && failures.length === 0; batch++) {
    const rows = await outbox.unstarted(deps, olderThanSeconds);
    found += rows.length;
    let failingInARow = 0;
    for (const row of rows) {
      try {
        await outbox.start(deps, row);
        failingInARow = 0;
      } catch (error) {
        failures.push(`${row.id}: ${(error as Error).message}`);
        if (++failingInARow === maxFailuresInARow) break;
      }
    }
    if (rows.length < batchSize) break;
    // The next batch is read oldest first too: the marks of this one must be in before it.
    await deps.startedMarks?.settled();
  }
  if (failures.length > 0)
    throw new Error(`${failures.length} of ${found} unstarted ${kind} failed to start; the first, ${failures[0]}`);
  return found;
}

/**
 * Starts the workflows of rows stored at least `olderThanSeconds` ago but never marked started,
 * and answers how many of each kind it found. Safe to run anywhere, any time.
 */
export async function sweepUnstarted(
  deps: OutboxDeps,
  olderThanSeconds = 15,
  kinds: readonly OutboxKind[] = outboxKinds,
): Promise<Partial<Record<OutboxKind, number>>> {
  const counts: Partial<Record<OutboxKind, number>> = {};
  for (const kind of kinds) counts[kind] = await sweepOne(deps, kind, olderThanSeconds);
  return counts;
}

/**
 * Sweeps every `everyMs` (one timer for every kind; a sweep still running is not overlapped). A
 * failing kind is reported and does not stop the others. Answers the function that stops it.
 */
export function startOutboxSweep(
  deps: OutboxDeps,
  onError: (message: string, error: Error) => void,
  everyMs = 30_000,
): () => Promise<void> {
  let running: Promise<unknown> | null = null;
  const sweep = () =>
    Promise.all(
      outboxKinds.map((kind) =>
        sweepOne(deps, kind, 15).catch((error: Error) =>
          onError(`restarting unstarted ${kind}: ${error.message}`, error),
        ),
      ),
    );
  const timer = setInterval(() => {
    running ??= sweep().finally(() => {
      running = null;
    });
  }, everyMs);
  return async () => {
    clearInterval(timer);
    await running;
  };
}
