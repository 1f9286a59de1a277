import type { Pool } from 'pg';
import { decisionsForReconciliation } from '../db/exceptions';
import { ledgerImbalances, sourcesPosted, transactionsOf } from '../db/ledger';
import { paymentFacts, payoutFacts, refundFacts, saveRun } from '../db/reconciliation';
import { reviewRefundPrefix } from '../domain/exceptions';
import { reconcile, type ReconciliationResult } from '../domain/reconciliation';
import type { ProviderRegistry } from '../providers/registry';
import type { PaymentProvider } from '../providers/types';
import type { ProviderReport } from '../domain/provider-report';

export interface ReconciliationActivityDeps {
  db: Pool;
  providers: ProviderRegistry;
}

/** How far past the period's edges counterparts are looked for. */
const marginMs = 60 * 60 * 1000;
/** How many mismatches the workflow's result carries; the stored run keeps them all. */
const resultLimit = 500;

/** Every provider in the registry, once. */
function allProviders(registry: ProviderRegistry): PaymentProvider[] {
  const found = new Map<string, PaymentProvider>();
  for (const method of [...registry.methods(true), ...registry.methods(false)]) {
    const provider = registry.forMethod(method.code);
    if (provider) found.set(provider.name, provider);
  }
  return [...found.values()];
}

/** Activities of `reconciliationWorkflow`. */
export function createReconciliationActivities({ db, providers }: ReconciliationActivityDeps) {
  return {
    /**
     * Gathers the period's facts (Kassa's payments, refunds and payouts, their ledger postings, the
     * ledger's sums and each provider's report), lists every mismatch, stores the run for
     * `GET /admin/reconciliation` and answers it.
     */
    async reconcileLedger(input: {
      runId: string;
      workflowId: string;
      from: string;
      to: string;
      startedAt: string;
    }): Promise<ReconciliationResult> {
      const from = new Date(input.from);
      const to = new Date(input.to);
      const wideFrom = new Date(from.getTime() - marginMs);
      const wideTo = new Date(to.getTime() + marginMs);

      const reports: { provider: string; report: ProviderReport }[] = [];
      for (const provider of allProviders(providers)) {
        if (provider.report)
          reports.push({ provider: provider.name, report: await provider.report({ from: wideFrom, to: wideTo }) });
      }
      const reported = (pick: (report: ProviderReport) => string[]) => reports.flatMap(({ report }) => pick(report));
      const paymentsPosted = await sourcesPosted(db, 'payment', wideFrom, wideTo);
      const providerOf = (method: string) => providers.forMethod(method)?.name ?? null;
      const payments = await paymentFacts(
        db,
        wideFrom,
        wideTo,
        [...reported((report) => report.payments.map((payment) => payment.paymentId)), ...paymentsPosted],
        providerOf,
      );
      const refunds = await refundFacts(
        db,
        wideFrom,
        wideTo,
        reported((report) => report.refunds.map((refund) => refund.refundId)),
      );
      const payouts = await payoutFacts(
        db,
        wideFrom,
        wideTo,
        reported((report) => report.payouts.map((payout) => payout.payoutId)),
      );
      const postings = [
        ...(await transactionsOf(
          db,
          'payment',
          payments.map((payment) => payment.id),
        )),
        ...(await transactionsOf(
          db,
          'refund',
          refunds.map((refund) => refund.id),
        )),
        ...(await transactionsOf(
          db,
          'payout',
          payouts.map((payout) => payout.id),
        )),
      ];
      const imbalances = await ledgerImbalances(db);
      // By payment, and by refund id: a decision's refund is Kassa's whatever payment it names.
      const decisions = await decisionsForReconciliation(
        db,
        payments.map((payment) => payment.id),
        reported((report) =>
          report.refunds.map((refund) => refund.refundId).filter((id) => id.startsWith(reviewRefundPrefix)),
        ),
      );
      const reviews = decisions.map((decision) => ({
        paymentId: decision.paymentId,
        kind: decision.kind,
        action: decision.action,
        applied: decision.status === 'applied',
        refunds: (decision.outcome?.refunds ?? []).filter((refund) => refund.state === 'succeeded'),
      }));

      const mismatches = reconcile({ from, to, payments, refunds, payouts, postings, reports, imbalances, reviews });
      const checked = {
        payments: payments.length,
        refunds: refunds.length,
        payouts: payouts.length,
        ledger_transactions: postings.length,
        provider_payments: reports.reduce((sum, { report }) => sum + report.payments.length, 0),
        provider_refunds: reports.reduce((sum, { report }) => sum + report.refunds.length, 0),
        provider_payouts: reports.reduce((sum, { report }) => sum + report.payouts.length, 0),
      };
      await saveRun(db, {
        id: input.runId,
        workflowId: input.workflowId,
        windowFrom: from,
        windowTo: to,
        startedAt: new Date(input.startedAt),
        checked,
        mismatches,
      });
      return {
        id: input.runId,
        window: { from: from.toISOString(), to: to.toISOString() },
        checked,
        mismatchCount: mismatches.length,
        mismatches: mismatches.slice(0, resultLimit),
      };
    },
  };
}
