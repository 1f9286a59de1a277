/**
 * What the API and the worker share about the money workflows (refunds, payouts, reconciliation),
 * importable without pulling in workflow code.
 */

/** One refund is one workflow. */
export const refundWorkflowId = (refundId: string) => `refund-${refundId}`;

/** One payout is one workflow. */
export const payoutWorkflowId = (payoutId: string) => `payout-${payoutId}`;

/** The Temporal Schedule that runs `reconciliationWorkflow` every day at 00:30 UTC. */
export const reconciliationScheduleId = 'reconciliation-daily';

export interface RefundInput {
  refundId: string;
  paymentId: string;
}

export interface RefundResult {
  refundId: string;
  status: 'succeeded' | 'failed';
  failureReason: string | null;
}

export interface PayoutInput {
  payoutId: string;
}

export interface PayoutResult {
  payoutId: string;
  status: 'paid' | 'failed';
  failureReason: string | null;
}

/** The period to reconcile, ISO 8601; by default the previous whole UTC day. */
export interface ReconciliationInput {
  from?: string;
  to?: string;
}

/** One thing that does not agree between the ledger, Kassa's records and a provider's report. */
export interface Mismatch {
  /** e.g. `missing_at_provider`, `amount_mismatch`, `not_in_ledger`, `ledger_unbalanced`. */
  kind: string;
  source: 'payment' | 'refund' | 'payout' | 'ledger';
  /** The payment, refund or payout id; a ledger transaction id, or `null` for the whole ledger. */
  id: string | null;
  provider: string | null;
  message: string;
}

export interface ReconciliationResult {
  id: string;
  window: { from: string; to: string };
  /** How many of each were compared. */
  checked: Record<string, number>;
  mismatchCount: number;
  /** The first 500; all of them are kept for `GET /admin/reconciliation`. */
  mismatches: Mismatch[];
}
