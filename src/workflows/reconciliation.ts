import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import * as profiles from './activity-profiles';
import type { ReconciliationResult } from '../domain/reconciliation';
import type { ReconciliationInput } from './money-shared';

type Activities = ReturnType<typeof createActivities>;

const reconciliation = proxyActivities<Activities>(profiles.reconciliationRead);

const dayMs = 24 * 60 * 60 * 1000;

/**
 * Compares the ledger, Kassa's payments, refunds and payouts and each provider's report for one
 * period (by default the previous whole UTC day) and answers every mismatch; the run is also
 * stored for operators (`GET /admin/reconciliation`). Started daily by the `reconciliation-daily`
 * Schedule, or directly with an explicit period.
 */
export async function reconciliationWorkflow(input: ReconciliationInput = {}): Promise<ReconciliationResult> {
  const startedAt = new Date();
  const to = input.to ?? new Date(Math.floor(startedAt.getTime() / dayMs) * dayMs).toISOString();
  const from = input.from ?? new Date(Date.parse(to) - dayMs).toISOString();
  const { workflowId, runId } = workflowInfo();
  return reconciliation.reconcileLedger({ runId, workflowId, from, to, startedAt: startedAt.toISOString() });
}
