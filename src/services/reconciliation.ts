import { latestRuns } from '../db/reconciliation';
import { randomToken } from '../domain/ids';
import { invalid, notFound } from '../domain/errors';
import { reconciliationRunResource } from '../resources/reconciliation';
import { reconciliation } from '../temporal/definitions';
import { executeWorkflow } from '../temporal/start';
import type { ReconciliationResult } from '../domain/reconciliation';
import type { ServiceDeps } from './deps';

/** The latest reconciliation run with every mismatch it found, and the runs before it in brief. */
export async function latestReconciliation(deps: ServiceDeps) {
  const [latest, ...earlier] = await latestRuns(deps.db, 10);
  if (!latest)
    throw notFound('reconciliation run: none has run yet (daily at 00:30 UTC, or POST /admin/reconciliation/runs)');
  return {
    ...reconciliationRunResource(latest),
    earlier_runs: earlier.map((run) => ({
      id: run.id,
      window: reconciliationRunResource(run).window,
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
  return executeWorkflow(deps, reconciliation, { period, token: randomToken(12) });
}
