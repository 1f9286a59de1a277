import type { Pool } from 'pg';
import type { Mismatch, PaymentFact, PayoutFact, ReconciliationRun, RefundFact } from '../domain/reconciliation';

interface PaymentFactRow {
  id: string;
  status: string;
  test_mode: boolean;
  currency: string;
  method: string | null;
  provider_payment_id: string | null;
  buyer_total_minor: string | null;
  merchant_net_minor: string | null;
  fee_minor: string | null;
  paid_at: Date | null;
}

const big = (value: string | null) => (value === null ? null : BigInt(value));

/**
 * Payments paid in [from, to) plus those named in `ids` (seen by a provider or the ledger),
 * with what reconciliation compares. `providerOf` maps a method to its provider.
 */
export async function paymentFacts(
  db: Pool,
  from: Date,
  to: Date,
  ids: string[],
  providerOf: (method: string) => string | null,
): Promise<PaymentFact[]> {
  const { rows } = await db.query<PaymentFactRow>(
    `select id, status, test_mode, currency, method, provider_payment_id, buyer_total_minor, merchant_net_minor, fee_minor, paid_at from payments
     where (paid_at >= $1 and paid_at < $2) or id = any($3)`,
    [from, to, ids],
  );
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    testMode: row.test_mode,
    currency: row.currency,
    provider: row.method ? providerOf(row.method) : null,
    providerPaymentId: row.provider_payment_id,
    buyerTotalMinor: big(row.buyer_total_minor),
    merchantNetMinor: big(row.merchant_net_minor),
    feeMinor: big(row.fee_minor),
    paidAt: row.paid_at,
  }));
}

/** Refunds completed in [from, to) plus those named in `ids`. */
export async function refundFacts(db: Pool, from: Date, to: Date, ids: string[]): Promise<RefundFact[]> {
  const { rows } = await db.query<{
    id: string;
    payment_id: string;
    status: string;
    currency: string;
    provider: string;
    amount_minor: string;
    fee_returned_minor: string;
    merchant_debit_minor: string;
    completed_at: Date | null;
  }>(
    `select id, payment_id, status, currency, provider, amount_minor, fee_returned_minor, merchant_debit_minor, completed_at from refunds
     where (completed_at >= $1 and completed_at < $2) or id = any($3)`,
    [from, to, ids],
  );
  return rows.map((row) => ({
    id: row.id,
    paymentId: row.payment_id,
    status: row.status,
    currency: row.currency,
    provider: row.provider,
    amountMinor: BigInt(row.amount_minor),
    feeReturnedMinor: BigInt(row.fee_returned_minor),
    merchantDebitMinor: BigInt(row.merchant_debit_minor),
    completedAt: row.completed_at,
  }));
}

/** Payouts completed in [from, to) plus those named in `ids`. */
export async function payoutFacts(db: Pool, from: Date, to: Date, ids: string[]): Promise<PayoutFact[]> {
  const { rows } = await db.query<{
    id: string;
    status: string;
    currency: string;
    provider: string;
    amount_minor: string;
    fee_minor: string | null;
    completed_at: Date | null;
  }>(
    `select id, status, currency, provider, amount_minor, fee_minor, completed_at from payouts
     where (completed_at >= $1 and completed_at < $2) or id = any($3)`,
    [from, to, ids],
  );
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    currency: row.currency,
    provider: row.provider,
    amountMinor: BigInt(row.amount_minor),
    feeMinor: big(row.fee_minor),
    completedAt: row.completed_at,
  }));
}

interface RunRow {
  id: string;
  workflow_id: string;
  window_from: Date;
  window_to: Date;
  started_at: Date;
  finished_at: Date;
  checked: Record<string, number>;
  mismatches: Mismatch[];
}

const mapRun = (row: RunRow): ReconciliationRun => ({
  id: row.id,
  workflowId: row.workflow_id,
  windowFrom: row.window_from,
  windowTo: row.window_to,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  checked: row.checked,
  mismatches: row.mismatches,
});

/** Stores a run's result; a retried activity overwrites its own run, nothing else. */
export async function saveRun(db: Pool, run: Omit<ReconciliationRun, 'finishedAt'>): Promise<ReconciliationRun> {
  const { rows } = await db.query<RunRow>(
    `insert into reconciliation_runs (id, workflow_id, window_from, window_to, started_at, checked, mismatches)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (id) do update set checked = excluded.checked, mismatches = excluded.mismatches, finished_at = now()
     returning *`,
    [
      run.id,
      run.workflowId,
      run.windowFrom,
      run.windowTo,
      run.startedAt,
      JSON.stringify(run.checked),
      JSON.stringify(run.mismatches),
    ],
  );
  return mapRun(rows[0]!);
}

/** The most recent runs, newest first. */
export async function latestRuns(db: Pool, limit: number): Promise<ReconciliationRun[]> {
  const { rows } = await db.query<RunRow>(
    'select * from reconciliation_runs order by finished_at desc, id desc limit $1',
    [limit],
  );
  return rows.map(mapRun);
}
