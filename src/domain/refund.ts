import type { RefundMoney } from './ledger';

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

/** A refund of (part of) a paid payment: the merchant's balance and Kassa's returned commission pay it. */
export interface Refund {
  id: string;
  paymentId: string;
  merchantId: string;
  testMode: boolean;
  amountMinor: bigint;
  currency: string;
  feeReturnedMinor: bigint;
  merchantDebitMinor: bigint;
  status: RefundStatus;
  provider: string;
  providerRefundId: string | null;
  failureReason: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

/** What the ledger's posting rules need of a refund. */
export const refundMoney = (refund: Refund): RefundMoney => ({
  refundId: refund.id,
  paymentId: refund.paymentId,
  merchantId: refund.merchantId,
  testMode: refund.testMode,
  currency: refund.currency,
  provider: refund.provider,
  amountMinor: refund.amountMinor,
  feeReturnedMinor: refund.feeReturnedMinor,
  merchantDebitMinor: refund.merchantDebitMinor,
});
