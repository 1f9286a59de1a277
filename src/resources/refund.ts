import { formatAmount } from '../domain/money';
import type { Refund } from '../domain/refund';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The Refund object, as the API answers it and `payment.refunded` carries it. */
export function refundResource(refund: Refund) {
  const money = (minor: bigint) => formatAmount(minor, refund.currency);
  return {
    id: refund.id,
    object: 'refund' as const,
    payment_id: refund.paymentId,
    status: refund.status,
    amount: money(refund.amountMinor),
    currency: refund.currency,
    /** Kassa's commission given back with it; the merchant's balance gave the rest. */
    fee_returned: money(refund.feeReturnedMinor),
    merchant_debit: money(refund.merchantDebitMinor),
    failure_reason: refund.failureReason,
    test_mode: refund.testMode,
    created_at: refund.createdAt.toISOString(),
    completed_at: iso(refund.completedAt),
  };
}
export type RefundResource = ReturnType<typeof refundResource>;
