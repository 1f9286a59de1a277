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
