import {
  type ExceptionDecision,
  type ProviderCapture,
  reviewRefundId,
  type StoredException,
} from '../domain/exceptions';
import { formatAmount } from '../domain/money';

/** An operator's decision on an exception, with what it did. */
export function decisionResource(decision: ExceptionDecision) {
  const money = (minor: string, currency: string) => formatAmount(BigInt(minor), currency);
  const { captured, refunds, acknowledged } = decision.outcome ?? {};
  return {
    id: decision.id,
    object: 'exception_decision' as const,
    exception_id: decision.exceptionId,
    action: decision.action,
    operator: decision.operator,
    decided_at: decision.decidedAt.toISOString(),
    status: decision.status,
    completed_at: decision.completedAt?.toISOString() ?? null,
    failure_reason: decision.failureReason,
    outcome: decision.outcome && {
      ...(captured && {
        captured: {
          provider_payment_id: captured.providerPaymentId,
          amount: money(captured.amountMinor, captured.currency),
          currency: captured.currency,
          fee: money(captured.feeMinor, captured.currency),
          merchant_net: money(captured.merchantNetMinor, captured.currency),
        },
      }),
      ...(refunds && {
        refunds: refunds.map((refund) => ({
          reference: refund.refundId,
          provider_refund_id: refund.providerRefundId,
          provider_payment_id: refund.providerPaymentId,
          amount: money(refund.amountMinor, refund.currency),
          currency: refund.currency,
          status: refund.state,
          failure_reason: refund.failureReason ?? null,
        })),
      }),
      ...(acknowledged && { acknowledged: true as const }),
    },
    workflow_id: decision.workflowId,
  };
}

/**
 * An exception with its payment, what the provider reports it captured (`null` when not asked or
 * unanswered), the flagged callbacks and every decision, the standing one apart.
 */
export function exceptionResource(
  exception: StoredException,
  captures: ProviderCapture[] | null,
  providerError: string | null,
) {
  const { payment } = exception;
  const standing = exception.decisions.find((decision) => decision.status !== 'failed') ?? null;
  return {
    id: exception.id,
    object: 'exception' as const,
    kind: exception.kind,
    status: standing ? ('decided' as const) : ('open' as const),
    since: exception.since.toISOString(),
    payment_id: exception.paymentId,
    merchant_id: payment?.merchantId ?? null,
    test_mode: payment?.testMode ?? null,
    payment_status: payment?.status ?? null,
    reason: payment?.failureReason ?? null,
    amount: payment ? formatAmount(payment.amountMinor, payment.currency) : null,
    currency: payment?.currency ?? null,
    expected_total: payment?.buyerTotalMinor != null ? formatAmount(payment.buyerTotalMinor, payment.currency) : null,
    provider_payment_id: payment?.providerPaymentId ?? null,
    provider_captured:
      captures?.map((capture) => ({
        provider: capture.provider,
        provider_payment_id: capture.providerPaymentId,
        amount: formatAmount(capture.amountMinor, capture.currency),
        currency: capture.currency,
        captured_at: capture.capturedAt,
        refunded_elsewhere: formatAmount(capture.refundedMinor, capture.currency),
        refunded_on_review: formatAmount(capture.reviewRefundedMinor, capture.currency),
        review_refund_reference: reviewRefundId(capture.providerPaymentId),
      })) ?? null,
    provider_error: providerError,
    flags: exception.flags.map((flag) => ({
      provider: flag.provider,
      event_id: flag.eventId,
      state: flag.state,
      flag: flag.flag,
      received_at: flag.receivedAt.toISOString(),
    })),
    decision: standing && decisionResource(standing),
    decisions: exception.decisions.map(decisionResource),
  };
}
