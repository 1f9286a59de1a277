/**
 * Reconciliation: the ledger, Kassa's payments, refunds and payouts, and each provider's report
 * compared for one period. Pure: the activity gathers the facts, this lists what does not agree.
 *
 * An item is checked when its time (Kassa's or the provider's) falls in the period; its
 * counterpart is looked for in facts gathered over a wider span, so an item near the edge is
 * not reported missing because the other side stamped it a moment later.
 */
import type { ProviderReport } from './provider-report';
import type { DecisionRefund } from './exceptions';
import type { LedgerImbalance } from './ledger';
import { formatAmount } from './money';

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

/** What one reconciliation run answers its workflow. */
export interface ReconciliationResult {
  id: string;
  window: { from: string; to: string };
  /** How many of each were compared. */
  checked: Record<string, number>;
  mismatchCount: number;
  /** The first 500; all of them are kept for `GET /admin/reconciliation`. */
  mismatches: Mismatch[];
}

/** A stored reconciliation run, every mismatch kept. */
export interface ReconciliationRun {
  id: string;
  workflowId: string;
  windowFrom: Date;
  windowTo: Date;
  startedAt: Date;
  finishedAt: Date;
  checked: Record<string, number>;
  mismatches: Mismatch[];
}

export interface PaymentFact {
  id: string;
  status: string;
  testMode: boolean;
  currency: string;
  provider: string | null;
  /** The provider payment whose capture Kassa holds (the last attempt's). */
  providerPaymentId: string | null;
  buyerTotalMinor: bigint | null;
  merchantNetMinor: bigint | null;
  feeMinor: bigint | null;
  paidAt: Date | null;
}

export interface RefundFact {
  id: string;
  paymentId: string;
  status: string;
  currency: string;
  provider: string;
  amountMinor: bigint;
  feeReturnedMinor: bigint;
  merchantDebitMinor: bigint;
  completedAt: Date | null;
}

export interface PayoutFact {
  id: string;
  status: string;
  currency: string;
  provider: string;
  amountMinor: bigint;
  feeMinor: bigint | null;
  completedAt: Date | null;
}

export interface PostingFact {
  sourceType: string;
  sourceId: string;
  event: string;
  createdAt: Date;
  entries: { kind: string; owner: string; provider: string; currency: string; amountMinor: bigint }[];
}

/**
 * An operator's decision on an exception, with the refunds that succeeded at the provider: an
 * applied one, or one that failed part-way (another capture's refund refused).
 */
export interface ReviewFact {
  /** `null` or a payment Kassa does not know for some flagged callbacks. */
  paymentId: string | null;
  kind: string;
  action: 'accept' | 'refund';
  applied: boolean;
  refunds: Pick<DecisionRefund, 'refundId' | 'providerPaymentId' | 'amountMinor' | 'currency'>[];
}

export interface ReconciliationFacts {
  from: Date;
  to: Date;
  payments: PaymentFact[];
  refunds: RefundFact[];
  payouts: PayoutFact[];
  postings: PostingFact[];
  /** Reports of the providers that give one, over the wider span. */
  reports: { provider: string; report: ProviderReport }[];
  imbalances: LedgerImbalance[];
  /** Operators' applied decisions on the payments' exceptions, and every decision that made a reported refund. */
  reviews?: ReviewFact[];
}

type ReportedCapture = ProviderReport['payments'][number] & { provider: string };

/** Statuses in which the buyer's money was taken and the ledger must hold the capture. */
const capturedStatuses = new Set(['paid', 'partially_refunded', 'refunded']);

const sumOf = (entries: PostingFact['entries'], kind: string) =>
  entries.filter((entry) => entry.kind === kind).reduce((sum, entry) => sum + entry.amountMinor, 0n);

/** Every mismatch in the period, payments first, then refunds, payouts and the ledger itself. */
export function reconcile(facts: ReconciliationFacts): Mismatch[] {
  const mismatches: Mismatch[] = [];
  const inPeriod = (date: Date | string | null | undefined) => {
    if (!date) return false;
    const time = typeof date === 'string' ? Date.parse(date) : date.getTime();
    return time >= facts.from.getTime() && time < facts.to.getTime();
  };
  const money = (minor: bigint | string | null, currency: string) =>
    minor === null ? 'nothing' : `${formatAmount(BigInt(minor), currency)} ${currency}`;
  const add = (mismatch: Mismatch) => mismatches.push(mismatch);

  const posting = new Map(facts.postings.map((fact) => [`${fact.sourceType}:${fact.sourceId}:${fact.event}`, fact]));
  const reportOf = new Map(facts.reports.map(({ provider, report }) => [provider, report]));
  const payments = new Map(facts.payments.map((payment) => [payment.id, payment]));
  const refunds = new Map(facts.refunds.map((refund) => [refund.id, refund]));
  const payouts = new Map(facts.payouts.map((payout) => [payout.id, payout]));
  // Captures are keyed by the provider's payment id: two captures of one payment are two lines.
  const capturesOf = new Map<string, ReportedCapture[]>();
  for (const { provider, report } of facts.reports) {
    for (const capture of report.payments)
      capturesOf.set(capture.paymentId, [...(capturesOf.get(capture.paymentId) ?? []), { ...capture, provider }]);
  }
  /** The capture Kassa holds for a payment: its provider payment's, else (none named) the first. */
  const ownCapture = (payment: PaymentFact): ReportedCapture | undefined => {
    const captures = capturesOf.get(payment.id) ?? [];
    if (payment.providerPaymentId)
      return captures.find((capture) => capture.providerPaymentId === payment.providerPaymentId);
    return [...captures].sort((a, b) => Date.parse(a.capturedAt) - Date.parse(b.capturedAt))[0];
  };
  const reviews = facts.reviews ?? [];
  /** Captures an operator's decision gave back at the provider, and the refunds that did it. */
  const givenBack = new Set(reviews.flatMap((review) => review.refunds.map((refund) => refund.providerPaymentId)));
  const reviewRefundIds = new Set(reviews.flatMap((review) => review.refunds.map((refund) => refund.refundId)));
  /** Payments whose money an operator refunded instead of accepting: the ledger never held it. */
  const refundedOnReview = new Set(
    reviews
      .filter((review) => review.applied && review.action === 'refund' && review.kind !== 'flagged_callback')
      .map((review) => review.paymentId),
  );
  const providerRefunds = new Map(
    facts.reports.flatMap(({ report }) => report.refunds.map((refund) => [refund.refundId, refund] as const)),
  );
  const providerPayouts = new Map(
    facts.reports.flatMap(({ report }) => report.payouts.map((payout) => [payout.payoutId, payout] as const)),
  );

  // Payments: Kassa's captured payments against the ledger and the provider.
  for (const payment of facts.payments) {
    if (!capturedStatuses.has(payment.status) || !inPeriod(payment.paidAt) || refundedOnReview.has(payment.id))
      continue;
    const base = { source: 'payment' as const, id: payment.id, provider: payment.provider };
    const { buyerTotalMinor: total, merchantNetMinor: net, currency } = payment;
    if (total === null || net === null) {
      add({
        ...base,
        kind: 'amounts_missing',
        message: `payment ${payment.id} is ${payment.status} without its buyer total and merchant net`,
      });
      continue;
    }
    if (payment.feeMinor !== null && payment.feeMinor !== total - net) {
      add({
        ...base,
        kind: 'fee_inconsistent',
        message: `payment ${payment.id}: fee ${money(payment.feeMinor, currency)} is not buyer total ${money(total, currency)} less merchant net ${money(net, currency)}`,
      });
    }
    const captured = posting.get(`payment:${payment.id}:captured`);
    if (!captured) {
      add({
        ...base,
        kind: 'not_in_ledger',
        message: `payment ${payment.id} is ${payment.status} but the ledger has no capture for it`,
      });
    } else {
      const clearing = -sumOf(captured.entries, 'provider_clearing');
      const credited = sumOf(captured.entries, 'available') + sumOf(captured.entries, 'pending');
      const fee = sumOf(captured.entries, 'fee_revenue');
      if (clearing !== total || credited !== net || fee !== total - net) {
        add({
          ...base,
          kind: 'ledger_amount_mismatch',
          message:
            `payment ${payment.id}: the ledger captured ${money(clearing, currency)} crediting ${money(credited, currency)} (fee ${money(fee, currency)}); ` +
            `the payment says ${money(total, currency)} crediting ${money(net, currency)}`,
        });
      }
    }
    if (payment.provider && reportOf.has(payment.provider)) {
      const reported = ownCapture(payment);
      if (!reported) {
        add({
          ...base,
          kind: 'missing_at_provider',
          message: `payment ${payment.id} is ${payment.status} in Kassa but ${payment.provider} reports no capture`,
        });
      } else if (reported.amountMinor !== total.toString() || reported.currency !== currency) {
        add({
          ...base,
          kind: 'amount_mismatch',
          message: `payment ${payment.id}: ${payment.provider} captured ${money(reported.amountMinor, reported.currency)} (${reported.providerPaymentId}), Kassa expects ${money(total, currency)}`,
        });
      }
    }
  }
  for (const captures of capturesOf.values()) {
    for (const reported of captures) {
      if (!inPeriod(reported.capturedAt) || givenBack.has(reported.providerPaymentId)) continue;
      const { provider } = reported;
      const captured = `${provider} captured ${money(reported.amountMinor, reported.currency)} as ${reported.providerPaymentId}`;
      const payment = payments.get(reported.paymentId);
      const line = { source: 'payment' as const, id: reported.paymentId, provider };
      if (!payment) {
        add({
          ...line,
          kind: 'capture_without_payment',
          message: `${captured} for ${reported.paymentId}, which Kassa does not know`,
        });
        continue;
      }
      const own = ownCapture(payment);
      const held = capturedStatuses.has(payment.status) || payment.status === 'under_review';
      if (held && own !== reported) {
        add({
          ...line,
          kind: 'duplicate_capture',
          message: `second capture of payment ${payment.id}: ${captured}; Kassa's capture is ${own ? `${own.providerPaymentId} (${money(own.amountMinor, own.currency)})` : `${payment.providerPaymentId}, which ${provider} does not report`}`,
        });
      } else if (payment.status === 'under_review') {
        const expected = payment.buyerTotalMinor;
        add({
          ...line,
          kind: 'amount_mismatch',
          message: `payment ${payment.id}: ${captured}, Kassa expects ${money(expected, payment.currency)}; the payment is held for review (an open exception)`,
        });
      } else if (!capturedStatuses.has(payment.status) || refundedOnReview.has(payment.id)) {
        add({
          ...line,
          kind: 'missing_in_kassa',
          message: `${captured} for ${reported.paymentId}, which Kassa has as ${payment.status}`,
        });
      }
    }
  }
  for (const fact of facts.postings) {
    if (fact.sourceType !== 'payment' || fact.event !== 'captured' || !inPeriod(fact.createdAt)) continue;
    const payment = payments.get(fact.sourceId);
    if (!payment || !capturedStatuses.has(payment.status)) {
      add({
        source: 'payment',
        id: fact.sourceId,
        provider: null,
        kind: 'ledger_without_payment',
        message: `the ledger holds a capture of ${fact.sourceId}, which Kassa ${payment ? `has as ${payment.status}` : 'does not know'}`,
      });
    }
  }

  // Refunds.
  for (const refund of facts.refunds) {
    if (refund.status !== 'succeeded' || !inPeriod(refund.completedAt)) continue;
    const base = { source: 'refund' as const, id: refund.id, provider: refund.provider };
    const settled = posting.get(`refund:${refund.id}:settled`);
    if (!settled)
      add({
        ...base,
        kind: 'not_in_ledger',
        message: `refund ${refund.id} succeeded but the ledger has not settled it`,
      });
    else if (sumOf(settled.entries, 'provider_clearing') !== refund.amountMinor) {
      add({
        ...base,
        kind: 'ledger_amount_mismatch',
        message: `refund ${refund.id}: the ledger settled ${money(sumOf(settled.entries, 'provider_clearing'), refund.currency)} for ${money(refund.amountMinor, refund.currency)}`,
      });
    }
    if (reportOf.has(refund.provider)) {
      const reported = providerRefunds.get(refund.id);
      if (!reported || reported.state !== 'succeeded') {
        add({
          ...base,
          kind: 'missing_at_provider',
          message: `refund ${refund.id} succeeded in Kassa but ${refund.provider} reports ${reported ? `it ${reported.state}` : 'no such refund'}`,
        });
      } else if (reported.amountMinor !== refund.amountMinor.toString() || reported.currency !== refund.currency) {
        add({
          ...base,
          kind: 'amount_mismatch',
          message: `refund ${refund.id}: ${refund.provider} refunded ${money(reported.amountMinor, reported.currency)}, Kassa ${money(refund.amountMinor, refund.currency)}`,
        });
      }
    }
  }
  for (const { provider, report } of facts.reports) {
    for (const reported of report.refunds) {
      if (reported.state !== 'succeeded' || !inPeriod(reported.createdAt) || reviewRefundIds.has(reported.refundId))
        continue;
      const refund = refunds.get(reported.refundId);
      if (!refund || refund.status !== 'succeeded') {
        add({
          source: 'refund',
          id: reported.refundId,
          provider,
          kind: 'missing_in_kassa',
          message: `${provider} refunded ${money(reported.amountMinor, reported.currency)} as ${reported.refundId}, which Kassa ${refund ? `has as ${refund.status}` : 'does not know'}`,
        });
      }
    }
  }

  // Payouts.
  for (const payout of facts.payouts) {
    if (payout.status !== 'paid' || !inPeriod(payout.completedAt)) continue;
    const base = { source: 'payout' as const, id: payout.id, provider: payout.provider };
    const settled = posting.get(`payout:${payout.id}:settled`);
    if (!settled)
      add({ ...base, kind: 'not_in_ledger', message: `payout ${payout.id} is paid but the ledger has not settled it` });
    else if (sumOf(settled.entries, 'provider_clearing') !== payout.amountMinor) {
      add({
        ...base,
        kind: 'ledger_amount_mismatch',
        message: `payout ${payout.id}: the ledger paid out ${money(sumOf(settled.entries, 'provider_clearing'), payout.currency)} for ${money(payout.amountMinor, payout.currency)}`,
      });
    }
    if (reportOf.has(payout.provider)) {
      const reported = providerPayouts.get(payout.id);
      if (!reported || reported.state !== 'paid') {
        add({
          ...base,
          kind: 'missing_at_provider',
          message: `payout ${payout.id} is paid in Kassa but ${payout.provider} reports ${reported ? `it ${reported.state}` : 'no such payout'}`,
        });
      } else if (
        reported.amountMinor !== payout.amountMinor.toString() ||
        reported.currency !== payout.currency ||
        reported.feeMinor !== payout.feeMinor?.toString()
      ) {
        add({
          ...base,
          kind: 'amount_mismatch',
          message:
            `payout ${payout.id}: ${payout.provider} paid ${money(reported.amountMinor, reported.currency)} with fee ${money(reported.feeMinor, reported.currency)}, ` +
            `Kassa ${money(payout.amountMinor, payout.currency)} with fee ${money(payout.feeMinor, payout.currency)}`,
        });
      }
    }
  }
  for (const { provider, report } of facts.reports) {
    for (const reported of report.payouts) {
      if (reported.state !== 'paid' || !inPeriod(reported.createdAt)) continue;
      const payout = payouts.get(reported.payoutId);
      if (!payout || payout.status !== 'paid') {
        add({
          source: 'payout',
          id: reported.payoutId,
          provider,
          kind: 'missing_in_kassa',
          message: `${provider} paid out ${money(reported.amountMinor, reported.currency)} as ${reported.payoutId}, which Kassa ${payout ? `has as ${payout.status}` : 'does not know'}`,
        });
      }
    }
  }

  // The ledger itself (the database refuses an unbalanced transaction; this is the auditor's look).
  for (const imbalance of facts.imbalances) {
    add({
      source: 'ledger',
      id: imbalance.transactionId,
      provider: null,
      kind: 'ledger_unbalanced',
      message: `${imbalance.transactionId ? `ledger transaction ${imbalance.transactionId}` : `the whole ${imbalance.testMode ? 'test' : 'live'} ledger`} sums to ${money(imbalance.sumMinor, imbalance.currency)}, not zero`,
    });
  }
  return mismatches;
}
