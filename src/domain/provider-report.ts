/** How a provider's refund ended. */
export type ProviderRefundState = 'succeeded' | 'failed';

/** How a provider's payout ended. */
export type ProviderPayoutState = 'paid' | 'failed';

/** What a provider did in a period: the other side of reconciliation. */
export interface ProviderReport {
  payments: {
    providerPaymentId: string;
    paymentId: string;
    amountMinor: string;
    currency: string;
    capturedAt: string;
  }[];
  refunds: {
    providerRefundId: string;
    refundId: string;
    providerPaymentId: string;
    amountMinor: string;
    currency: string;
    state: ProviderRefundState;
    createdAt: string;
  }[];
  payouts: {
    providerPayoutId: string;
    payoutId: string;
    amountMinor: string;
    feeMinor: string;
    currency: string;
    state: ProviderPayoutState;
    createdAt: string;
  }[];
}
