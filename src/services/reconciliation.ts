import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { latestRuns, type ReconciliationRun } from '../db/reconciliation';
import { randomToken } from '../domain/ids';
import { invalid, notFound } from '../domain/errors';
import { type ReconciliationResult, reconciliationScheduleId } from '../workflows/money-shared';
import type { reconciliationWorkflow } from '../workflows/reconciliation';
import { taskQueue } from '../workflows/shared';
import type { ServiceDeps } from './deps';

/**
 * Creates the daily reconciliation Schedule (`reconciliation-daily`, 00:30 UTC, reconciling the
 * previous UTC day) unless it exists. Idempotent: every API process calls it at start.
 */
export async function ensureReconciliationSchedule(temporal: Client): Promise<'created' | 'exists'> {
  try {
    await temporal.schedule.create({
      scheduleId: reconciliationScheduleId,
      spec: { calendars: [{ hour: 0, minute: 30, comment: 'daily at 00:30 UTC' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'reconciliationWorkflow',
        workflowId: reconciliationScheduleId,
        taskQueue,
        args: [{}],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      memo: { purpose: 'compare the ledger, payments and provider reports of the previous UTC day' },
    });
    return 'created';
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) return 'exists';
    throw error;
  }
}

function runResource(run: ReconciliationRun) {
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

/** The latest reconciliation run with every mismatch it found, and the runs before it in brief. */
export async function latestReconciliation(deps: ServiceDeps) {
  const [latest, ...earlier] = await latestRuns(deps.db, 10);
  if (!latest)
    throw notFound('reconciliation run: none has run yet (daily at 00:30 UTC, or POST /admin/reconciliation/runs)');
  return {
    ...runResource(latest),
    earlier_runs: earlier.map((run) => ({
      id: run.id,
      window: runResource(run).window,
      finished_at: run.finishedAt.toISOString(),
      mismatch_count: run.mismatches.length,
    })),
  };
}

/** Runs reconciliation now for a period (default: the previous UTC day) and answers its result. */
export async function runReconciliation(
  deps: ServiceDeps,
  period: { from?: string; to?: string },
): Promise<ReconciliationResult> {
  if (period.from && period.to && Date.parse(period.from) >= Date.parse(period.to))
    throw invalid('to', 'to must be after from');
  return deps.temporal.workflow.execute<typeof reconciliationWorkflow>('reconciliationWorkflow', {
    taskQueue,
    workflowId: `reconciliation-manual-${randomToken(12)}`,
    args: [period],
    staticSummary: 'reconciliation run by an operator',
  });
}
