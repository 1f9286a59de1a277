import { formatAmount } from '../domain/money';
import type { Payment } from '../domain/payment';

/** The Payment object of docs/api.md §5, as the API answers it and webhooks carry it. */
export function paymentResource(payment: Payment, publicUrl: string) {
  const money = (minor: bigint | null) => (minor === null ? null : formatAmount(minor, payment.currency));
  return {
    id: payment.id,
    object: 'payment' as const,
    checkout_id: payment.checkoutId,
    order_id: payment.orderId,
    status: payment.status,
    amount: formatAmount(payment.amountMinor, payment.currency),
    currency: payment.currency,
    description: payment.description,
    method: payment.method,
    fee: money(payment.feeMinor),
    buyer_total: money(payment.buyerTotalMinor),
    merchant_net: money(payment.merchantNetMinor),
    failure_reason: payment.failureReason,
    checkout_url: `${publicUrl}/pay/${payment.id}`,
    test_mode: payment.testMode,
    delivery: payment.delivery,
    created_at: payment.createdAt.toISOString(),
    expires_at: payment.expiresAt.toISOString(),
    paid_at: payment.paidAt?.toISOString() ?? null,
    metadata: payment.metadata,
  };
}
export type PaymentResource = ReturnType<typeof paymentResource>;
