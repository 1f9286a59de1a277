import { latestReconciliation, runReconciliation } from '../../services/reconciliation';
import { reconciliationResult, reconciliationRunResource, runReconciliationBody } from '../money-schemas';
import { operatorRoute } from '../route';

/** Reconciliation of the ledger, payments, refunds and payouts against each provider's report. */
export const reconciliationRoutes = [
  operatorRoute({
    method: 'get',
    path: '/reconciliation',
    tag: 'Operator',
    summary: 'The latest reconciliation and its mismatches',
    description:
      'Run daily by the `reconciliation-daily` Temporal Schedule (00:30 UTC, the previous UTC day): the ledger, payments, refunds and payouts against each provider’s report.',
    ok: { status: 200, description: 'The latest run with every mismatch', schema: reconciliationRunResource },
    handle: ({ deps }) => latestReconciliation(deps),
  }),
  operatorRoute({
    method: 'post',
    path: '/reconciliation/runs',
    tag: 'Operator',
    summary: 'Reconcile a period now',
    body: runReconciliationBody,
    missingBody: 'empty',
    ok: { status: 200, description: 'The run’s result', schema: reconciliationResult },
    handle: ({ deps, body }) => runReconciliation(deps, body),
  }),
];
