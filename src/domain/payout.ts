import type { PayoutMoney } from './ledger';

export type PayoutStatus = 'pending' | 'paid' | 'failed';

/** Where a payout goes, as the merchant names it: a card by the provider's token, never its number. */
export type PayoutDestinationInput = { type: 'card'; token: string } | { type: 'wallet'; walletId: string };

/** A destination the provider knows, with what Kassa may keep of it: a card's token and last four digits. */
export type PayoutDestination = { type: 'card'; token: string; last4: string } | { type: 'wallet'; walletId: string };

/** Money sent from a merchant's available balance to a card or wallet. */
export interface Payout {
  id: string;
  merchantId: string;
  testMode: boolean;
  /** Whose notify_url gets the payout's events. */
  checkoutId: string | null;
  amountMinor: bigint;
  currency: string;
  /** The bank's fee, deducted from the amount; `null` until paid. */
  feeMinor: bigint | null;
  destination: PayoutDestination;
  status: PayoutStatus;
  provider: string;
  providerPayoutId: string | null;
  failureReason: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

/** What the ledger's posting rules need of a payout. */
export const payoutMoney = (payout: Payout): PayoutMoney => ({
  payoutId: payout.id,
  merchantId: payout.merchantId,
  testMode: payout.testMode,
  currency: payout.currency,
  provider: payout.provider,
  amountMinor: payout.amountMinor,
});
