import type { PaymentStatus, StoredCardToken, StoredPayment, StoredPayout, StoredRefund } from './store';
import { newId } from './store';

/**
 * The JSON the sandbox answers and sends, snake_case as on the wire. Kassa's adapter reads these
 * shapes with its own schemas (src/providers/sandbox/mapper.ts): a field changed here is a
 * protocol change.
 */
export interface PaymentView {
  id: string;
  reference: string;
  method: string;
  status: PaymentStatus;
  amount_minor: string;
  currency: string;
  checkout_url: string;
  created_at: string;
  decline_reason?: string;
}

export interface CallbackEvent {
  id: string;
  type: string;
  created: number;
  data: {
    id: string;
    reference: string;
    status: PaymentStatus;
    amount_minor: string;
    currency: string;
    decline_reason?: string;
  };
}

export function paymentView(payment: StoredPayment): PaymentView {
  return {
    id: payment.id,
    reference: payment.reference,
    method: payment.method,
    status: payment.status,
    amount_minor: payment.amountMinor,
    currency: payment.currency,
    checkout_url: payment.checkoutUrl,
    created_at: payment.createdAt.toISOString(),
    ...(payment.declineReason !== undefined && { decline_reason: payment.declineReason }),
  };
}

/** A `payment.<status>` event: a pending one carries the requested amount, a final one the captured. */
export function paymentEvent(payment: StoredPayment, status: PaymentStatus, created: number): CallbackEvent {
  const final = status !== 'pending';
  return {
    id: newId('sevt'),
    type: `payment.${status}`,
    created,
    data: {
      id: payment.id,
      reference: payment.reference,
      status,
      amount_minor: final ? payment.amountMinor : payment.requestedAmountMinor,
      currency: payment.currency,
      ...(final && payment.declineReason !== undefined && { decline_reason: payment.declineReason }),
    },
  };
}

export function refundView(refund: StoredRefund) {
  return {
    id: refund.id,
    payment_id: refund.paymentId,
    reference: refund.reference,
    amount_minor: refund.amountMinor,
    currency: refund.currency,
    status: refund.status,
    created_at: refund.createdAt.toISOString(),
    ...(refund.failureReason !== undefined && { failure_reason: refund.failureReason }),
  };
}

export function payoutView(payout: StoredPayout) {
  return {
    id: payout.id,
    reference: payout.reference,
    amount_minor: payout.amountMinor,
    fee_minor: payout.feeMinor,
    currency: payout.currency,
    destination:
      payout.destination.type === 'card'
        ? { type: 'card' as const, token: payout.destination.token, last4: payout.destination.last4 }
        : { type: 'wallet' as const, wallet_id: payout.destination.walletId },
    status: payout.status,
    created_at: payout.createdAt.toISOString(),
    ...(payout.failureReason !== undefined && { failure_reason: payout.failureReason }),
  };
}

export function cardTokenView(card: StoredCardToken) {
  return { token: card.token, last4: card.last4, brand: card.brand };
}

/** A payment captured in the report's window. */
export function capturedPaymentView(payment: StoredPayment & { capturedAt: Date }) {
  return {
    id: payment.id,
    reference: payment.reference,
    amount_minor: payment.amountMinor,
    currency: payment.currency,
    captured_at: payment.capturedAt.toISOString(),
  };
}
