/**
 * The outbox: a payment, refund or payout is stored first, then its workflow is started, then the
 * row is marked started. A crash in between leaves a row stored but not started; one sweep, on one
 * timer, starts those. Starting is idempotent (the `once` id policy), so the API and the sweep may
 * both start the same row.
 */
import type { Pool } from 'pg';
import type { Config } from '../config';
import { findCheckout } from '../db/checkouts';
import type { OutboxCursor, Unstarted } from '../db/outbox';
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

/** Per kind of row: the unstarted ones (oldest first, one batch after the cursor), and how one is started. */
const outboxes = {
  payments: {
    unstarted: (deps: OutboxDeps, olderThanSeconds: number, after?: OutboxCursor) =>
      listUnstartedPayments(deps.db, olderThanSeconds, batchSize, after),
    async start(deps: OutboxDeps, payment: StoredPayment) {
      const checkout = await findCheckout(deps.db, payment, payment.checkoutId);
      if (checkout) await startPurchase(deps, payment, checkout);
    },
  },
  refunds: {
    unstarted: (deps: OutboxDeps, olderThanSeconds: number, after?: OutboxCursor) =>
      listUnstartedRefunds(deps.db, olderThanSeconds, batchSize, after),
    async start(deps: OutboxDeps, stored: Refund) {
      const payment = await findPaymentById(deps.db, stored.paymentId);
      if (payment) await startRefund(deps, stored, payment);
    },
  },
  payouts: {
    unstarted: (deps: OutboxDeps, olderThanSeconds: number, after?: OutboxCursor) =>
      listUnstartedPayouts(deps.db, olderThanSeconds, batchSize, after),
    start: startPayout,
  },
};

type OutboxKind = keyof typeof outboxes;
const outboxKinds = Object.keys(outboxes) as OutboxKind[];

/** What one kind's sweep did: rows found, and where the next sweep resumes (null: from the oldest). */
interface SweepPass {
  found: number;
  failures: string[];
  resumeAfter: OutboxCursor | null;
}

/**
 * Starts one kind's unstarted rows from just after `after` (the oldest without it), batch after
 * batch: a backlog left by an outage drains at up to 1,000 rows a sweep. Each batch is read after
 * the last row tried, so a row whose start fails, or that is left as it is (its checkout or payment
 * gone), never holds up the rows after it, and a row whose started mark is still being written is
 * not read twice. Three failures in a row end the pass; the next resumes after them.
 */
async function sweepOne<K extends OutboxKind>(
  deps: OutboxDeps,
  kind: K,
  olderThanSeconds: number,
  after: OutboxCursor | null = null,
): Promise<SweepPass> {
  const outbox = outboxes[kind] as {
    unstarted(deps: OutboxDeps, olderThanSeconds: number, after?: OutboxCursor): Promise<Unstarted<{ id: string }>[]>;
    start(deps: OutboxDeps, row: unknown): Promise<void>;
  };
  let found = 0;
  let cursor = after;
  let failingInARow = 0;
  const failures: string[] = [];
  for (let batch = 0; batch < maxBatches; batch++) {
    const rows = await outbox.unstarted(deps, olderThanSeconds, cursor ?? undefined);
    found += rows.length;
    for (const { row, cursor: next } of rows) {
      cursor = next;
      try {
        await outbox.start(deps, row);
        failingInARow = 0;
      } catch (error) {
        failures.push(`${row.id}: ${(error as Error).message}`);
        if (++failingInARow === maxFailuresInARow) return { found, failures, resumeAfter: cursor };
      }
    }
    if (rows.length < batchSize) return { found, failures, resumeAfter: null };
  }
  return { found, failures, resumeAfter: cursor };
}

const failed = (kind: OutboxKind, { found, failures }: SweepPass) =>
  new Error(`${failures.length} of ${found} unstarted ${kind} failed to start; the first, ${failures[0]}`);

/**
 * Starts the workflows of rows stored at least `olderThanSeconds` ago but never marked started,
 * oldest first, and answers how many of each kind it found. Safe to run anywhere, any time.
 */
export async function sweepUnstarted(
  deps: OutboxDeps,
  olderThanSeconds = 15,
  kinds: readonly OutboxKind[] = outboxKinds,
): Promise<Partial<Record<OutboxKind, number>>> {
  const counts: Partial<Record<OutboxKind, number>> = {};
  for (const kind of kinds) {
    const pass = await sweepOne(deps, kind, olderThanSeconds);
    if (pass.failures.length > 0) throw failed(kind, pass);
    counts[kind] = pass.found;
  }
  return counts;
}

/**
 * Sweeps every `everyMs` (one timer for every kind; a sweep still running is not overlapped). A
 * failing kind is reported and does not stop the others. A pass that stopped before the newest row
 * (three failures in a row, or 1,000 rows) is resumed just after where it stopped by the next sweep;
 * a pass that reached the newest row leaves the next to start from the oldest again. Rows that keep
 * failing are so retried without keeping the sweep from the rows behind them. Answers the function
 * that stops it.
 */
export function startOutboxSweep(
  deps: OutboxDeps,
  onError: (message: string, error: Error) => void,
  everyMs = 30_000,
  olderThanSeconds = 15,
): () => Promise<void> {
  const resumeAfter: Record<OutboxKind, OutboxCursor | null> = { payments: null, refunds: null, payouts: null };
  let running: Promise<unknown> | null = null;
  const sweep = () =>
    Promise.all(
      outboxKinds.map(async (kind) => {
        try {
          const pass = await sweepOne(deps, kind, olderThanSeconds, resumeAfter[kind]);
          resumeAfter[kind] = pass.resumeAfter;
          if (pass.failures.length > 0) {
            const error = failed(kind, pass);
            onError(`restarting unstarted ${kind}: ${error.message}`, error);
          }
        } catch (error) {
          onError(`restarting unstarted ${kind}: ${(error as Error).message}`, error as Error);
        }
      }),
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
