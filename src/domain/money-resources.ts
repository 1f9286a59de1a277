import type { CurrencyBalance } from '../db/ledger';
import type { Payout } from '../db/payouts';
import type { Refund } from '../db/refunds';
import { formatAmount } from './money';

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

/** The Payout object. A card shows only its last four digits. */
export function payoutResource(payout: Payout) {
  const money = (minor: bigint | null) => (minor === null ? null : formatAmount(minor, payout.currency));
  return {
    id: payout.id,
    object: 'payout' as const,
    status: payout.status,
    amount: money(payout.amountMinor),
    currency: payout.currency,
    /** The bank's fee, deducted from the amount; `null` until paid. */
    fee: money(payout.feeMinor),
    /** What reached the destination. */
    net: money(payout.feeMinor === null ? null : payout.amountMinor - payout.feeMinor),
    destination:
      payout.destination.type === 'card'
        ? { type: 'card' as const, last4: payout.destination.last4 }
        : { type: 'wallet' as const, wallet_id: payout.destination.walletId },
    checkout_id: payout.checkoutId,
    failure_reason: payout.failureReason,
    test_mode: payout.testMode,
    created_at: payout.createdAt.toISOString(),
    completed_at: iso(payout.completedAt),
  };
}

/** `GET /v1/balance`: per currency, what can be refunded or paid out, what is on its way, what is held. */
export function balanceResource(testMode: boolean, balances: CurrencyBalance[]) {
  return {
    object: 'balance' as const,
    test_mode: testMode,
    balances: balances.map((balance) => ({
      currency: balance.currency,
      available: formatAmount(balance.available, balance.currency),
      pending: formatAmount(balance.pending, balance.currency),
      reserved: formatAmount(balance.reserved, balance.currency),
    })),
  };
}
