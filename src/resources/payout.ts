import { formatAmount } from '../domain/money';
import type { Payout } from '../domain/payout';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The Payout object. A card shows only its last four digits. */
export function payoutResource(payout: Payout) {
  const money = (minor: bigint | null) => (minor === null ? null : formatAmount(minor, payout.currency));
  return {
    id: payout.id,
    object: 'payout' as const,
    status: payout.status,
    amount: formatAmount(payout.amountMinor, payout.currency),
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
export type PayoutResource = ReturnType<typeof payoutResource>;
