/**
 * Exceptions: money a provider took that Kassa has not settled, and provider callbacks flagged
 * for review. Pure: what an exception is, which capture a decision acts on and how an accepted
 * capture falls between the merchant and Kassa's commission.
 *
 * | kind               | when                                                                 | accept                                   | refund                                           |
 * |--------------------|----------------------------------------------------------------------|------------------------------------------|--------------------------------------------------|
 * | `under_review`     | the payment is `under_review` (amount or currency mismatch)          | post the capture, payment `paid`         | refund every capture, payment `refunded`          |
 * | `late_success`     | `expired`/`canceled`/`failed` with a flagged success callback        | post the capture, payment `paid`         | refund every capture, payment stays as it is     |
 * | `flagged_callback` | any other flagged callback (second capture, decline after paid, …)   | acknowledged: nothing moves              | refund every capture but the payment's own       |
 *
 * A capture any of which was refunded is never accepted (`acceptRefusal`). No decision is taken
 * while the exception's payment is still open: its purchase workflow owns the money until then.
 */
import type { ProviderReport } from './provider-report';
import { formatAmount } from './money';
import type { Payment, PaymentStatus } from './payment';

export const exceptionKinds = ['under_review', 'late_success', 'flagged_callback'] as const;
export type ExceptionKind = (typeof exceptionKinds)[number];

export const decisionActions = ['accept', 'refund'] as const;
export type DecisionAction = (typeof decisionActions)[number];

export type DecisionStatus = 'pending' | 'applied' | 'failed';

/** One refund a decision asked the provider for, under `refundId` (its key), answered or refused. */
export interface DecisionRefund {
  refundId: string;
  providerRefundId: string | null;
  providerPaymentId: string;
  amountMinor: string;
  currency: string;
  state: 'succeeded' | 'failed';
  failureReason?: string;
}

/** What a decision did: the capture posted, or the refunds made at the provider. */
export interface DecisionOutcome {
  captured?: {
    providerPaymentId: string;
    amountMinor: string;
    currency: string;
    feeMinor: string;
    merchantNetMinor: string;
  };
  refunds?: DecisionRefund[];
  /** A flagged callback accepted as it is: nothing moved. */
  acknowledged?: true;
}

export interface ExceptionDecision {
  id: string;
  exceptionId: string;
  kind: ExceptionKind;
  paymentId: string | null;
  action: DecisionAction;
  operator: string;
  decidedAt: Date;
  status: DecisionStatus;
  outcome: DecisionOutcome | null;
  failureReason: string | null;
  completedAt: Date | null;
  workflowId: string;
}

export interface FlaggedCallback {
  provider: string;
  eventId: string;
  state: string;
  flag: string;
  receivedAt: Date;
}

/** One exception as stored facts show it; what the provider captured is added by the caller. */
export interface StoredException {
  id: string;
  kind: ExceptionKind;
  since: Date;
  paymentId: string | null;
  payment: Pick<
    Payment,
    | 'merchantId'
    | 'status'
    | 'testMode'
    | 'amountMinor'
    | 'currency'
    | 'method'
    | 'feeMinor'
    | 'buyerTotalMinor'
    | 'providerPaymentId'
    | 'failureReason'
    | 'createdAt'
  > | null;
  flags: FlaggedCallback[];
  /** Oldest first; the last one that has not failed closes the exception. */
  decisions: ExceptionDecision[];
}

/** Statuses after which a success at the provider is money Kassa did not take in. */
export const lateSuccessStatuses: readonly PaymentStatus[] = ['expired', 'canceled', 'failed'];

/** Statuses whose capture the ledger holds. */
export const ledgerCapturedStatuses: readonly PaymentStatus[] = ['paid', 'partially_refunded', 'refunded'];

/** One capture as the provider reports it, with what it has refunded of it. */
export interface ProviderCapture {
  provider: string;
  providerPaymentId: string;
  /** The Kassa payment id the provider holds as its reference. */
  paymentId: string;
  amountMinor: bigint;
  currency: string;
  capturedAt: string;
  /** Refunded at the provider already (succeeded refunds), other than by operators' decisions. */
  refundedMinor: bigint;
  /** Refunded at the provider by operators' decisions (under {@link reviewRefundId}), succeeded. */
  reviewRefundedMinor: bigint;
}

/** The id of the exception a flagged callback raises when its payment raises none. */
export const callbackExceptionId = (provider: string, eventId: string) => `${provider}:${eventId}`;

/** An exception id: a payment id, or `provider:event_id` for a flagged callback. */
export const exceptionIdPattern = /^(pay_[0-9A-Za-z]{8,64}|[a-z0-9_-]{1,40}:[A-Za-z0-9_-]{1,200})$/;

/**
 * The captures `providerName`'s report shows for these Kassa payments, each with what has been
 * refunded of it: refunds of operators' decisions counted apart, so a retried decision asks for
 * the same refund again under the same key.
 */
export function capturesInReport(
  providerName: string,
  report: ProviderReport,
  paymentIds: readonly string[],
): ProviderCapture[] {
  const wanted = new Set(paymentIds);
  return report.payments
    .filter((payment) => wanted.has(payment.paymentId))
    .map((payment) => {
      const refunds = report.refunds.filter(
        (refund) => refund.providerPaymentId === payment.providerPaymentId && refund.state === 'succeeded',
      );
      const sum = (review: boolean) =>
        refunds
          .filter((refund) => (refund.refundId === reviewRefundId(payment.providerPaymentId)) === review)
          .reduce((total, refund) => total + BigInt(refund.amountMinor), 0n);
      return {
        provider: providerName,
        providerPaymentId: payment.providerPaymentId,
        paymentId: payment.paymentId,
        amountMinor: BigInt(payment.amountMinor),
        currency: payment.currency,
        capturedAt: payment.capturedAt,
        refundedMinor: sum(false),
        reviewRefundedMinor: sum(true),
      };
    });
}

/**
 * The capture a payment-level decision settles: the one of the provider payment the payment
 * names, else the latest (the payment may never have heard of it: a lost create answer).
 */
export function captureToSettle(
  providerPaymentId: string | null,
  captures: readonly ProviderCapture[],
): ProviderCapture | null {
  const own = providerPaymentId
    ? captures.find((capture) => capture.providerPaymentId === providerPaymentId)
    : undefined;
  if (own) return own;
  return [...captures].sort((a, b) => Date.parse(b.capturedAt) - Date.parse(a.capturedAt))[0] ?? null;
}

/**
 * The captures a refund decision gives back, each with what is left of it: every capture of a
 * payment the ledger holds nothing for; for a flagged callback, every capture but the payment's
 * own (its provider payment's, or, when it names none, the one the ledger holds), so a refund
 * never takes back money of the attempt the payment stands on.
 */
export function capturesToRefund(
  kind: ExceptionKind,
  payment: { status: PaymentStatus; providerPaymentId: string | null } | null,
  captures: readonly ProviderCapture[],
): { capture: ProviderCapture; amountMinor: bigint }[] {
  const own =
    kind !== 'flagged_callback' || !payment
      ? undefined
      : (payment.providerPaymentId ??
        (ledgerCapturedStatuses.includes(payment.status)
          ? captureToSettle(null, captures)?.providerPaymentId
          : undefined));
  return captures
    .filter((capture) => capture.providerPaymentId !== own)
    .map((capture) => ({ capture, amountMinor: capture.amountMinor - capture.refundedMinor }))
    .filter((entry) => entry.amountMinor > 0n);
}

/**
 * Why a capture cannot be accepted, or `null` when it can. A capture the provider has refunded
 * any of is refused (`already_refunded`): an earlier refund decision that went through for it
 * while another capture's refund was refused, or a refund made at the provider outside Kassa.
 * Posting it in full would credit the merchant money the buyer has back; posting what is left
 * would leave the payment's buyer total different from the provider's capture. The operator
 * refunds the rest instead. `recordedReviewRefunds`: the succeeded decision refunds of this
 * capture Kassa has recorded, which a provider's report may not list yet.
 */
export function acceptRefusal(capture: ProviderCapture, recordedReviewRefunds: readonly string[]): string | null {
  const refunded = capture.refundedMinor + capture.reviewRefundedMinor;
  if (refunded === 0n && recordedReviewRefunds.length === 0) return null;
  const what = refunded > 0n ? `${formatAmount(refunded, capture.currency)} ${capture.currency}` : 'part';
  const by = recordedReviewRefunds.length > 0 ? ` (${recordedReviewRefunds.join(', ')})` : '';
  return (
    `already_refunded: ${capture.provider} has refunded ${what} of ${capture.providerPaymentId}${by}; ` +
    'accepting would credit the merchant money the buyer has back: refund the rest instead'
  );
}

/**
 * How an accepted capture falls: Kassa keeps the commission fixed when the payment was priced
 * (never more than was captured), the merchant is credited the rest, so the ledger's
 * `buyer total − merchant net = fee` holds for whatever the buyer was actually charged.
 */
export function acceptedAmounts(feeMinor: bigint, capturedMinor: bigint) {
  const fee = feeMinor < capturedMinor ? feeMinor : capturedMinor;
  return { feeMinor: fee, buyerTotalMinor: capturedMinor, merchantNetMinor: capturedMinor - fee };
}

/** How every refund key of a decision begins. */
export const reviewRefundPrefix = 're_review_';

/** The provider refund key of one capture given back by a decision: one key never refunds twice. */
export const reviewRefundId = (providerPaymentId: string) =>
  `${reviewRefundPrefix}${providerPaymentId.replace(/[^A-Za-z0-9_-]/g, '')}`;
