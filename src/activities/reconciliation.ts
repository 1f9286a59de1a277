import type { Pool } from 'pg';
import { decisionsForReconciliation } from '../db/exceptions';
import { ledgerImbalances, sourcesPosted, transactionsOf } from '../db/ledger';
import { paymentFacts, payoutFacts, refundFacts, saveRun } from '../db/reconciliation';
import { reviewRefundPrefix } from '../domain/exceptions';
import { reconcile, type ReconciliationResult } from '../domain/reconciliation';
import type { ProviderRegistry } from '../providers/registry';
import type { ProviderReport } from '../domain/provider-report';

export interface ReconciliationActivityDeps {
  db: Pool;
  providers: ProviderRegistry;
}

/** How far past the period's edges counterparts are looked for. */
const marginMs = 60 * 60 * 1000;
/** How many mismatches the workflow's result carries; the stored run keeps them all. */
const resultLimit = 500;

/**
 * Each provider's report over all its connectors (paused ones too: what they did still counts),
 * merged: an entry two connectors of one account both report is counted once.
 */
async function providerReports(
  registry: ProviderRegistry,
  period: { from: Date; to: Date },
): Promise<{ provider: string; report: ProviderReport }[]> {
  const merged = new Map<string, ProviderReport>();
  const seen = new Set<string>();
  const fresh = (provider: string, kind: string, id: string) => {
    const key = `${provider}/${kind}/${id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const { connector, client } of registry.all()) {
    if (!client.report) continue;
    const report = await client.report(period);
    const into = merged.get(connector.provider) ?? { payments: [], refunds: [], payouts: [] };
    merged.set(connector.provider, into);
    const name = connector.provider;
    into.payments.push(...report.payments.filter((entry) => fresh(name, 'payment', entry.providerPaymentId)));
    into.refunds.push(...report.refunds.filter((entry) => fresh(name, 'refund', entry.providerRefundId)));
    into.payouts.push(...report.payouts.filter((entry) => fresh(name, 'payout', entry.providerPayoutId)));
  }
  return [...merged].map(([provider, report]) => ({ provider, report }));
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

      const reports = await providerReports(providers, { from: wideFrom, to: wideTo });
      const reported = (pick: (report: ProviderReport) => string[]) => reports.flatMap(({ report }) => pick(report));
      const paymentsPosted = await sourcesPosted(db, 'payment', wideFrom, wideTo);
      const providerOf = (method: string) =>
        providers.all().find((handle) => handle.connector.methods.includes(method))?.connector.provider ?? null;
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
