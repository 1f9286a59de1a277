import type { ReconciliationRun } from '../domain/reconciliation';

/** A stored reconciliation run with every mismatch it found. */
export function reconciliationRunResource(run: ReconciliationRun) {
  return {
    id: run.id,
    object: 'reconciliation_run' as const,
    workflow_id: run.workflowId,
    window: { from: run.windowFrom.toISOString(), to: run.windowTo.toISOString() },
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt.toISOString(),
    checked: run.checked,
    mismatch_count: run.mismatches.length,
    mismatches: run.mismatches,
  };
}
