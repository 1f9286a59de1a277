import type { PoolClient } from 'pg';
import { post } from '../db/ledger';
import { paymentCaptured, type Posting } from '../domain/ledger';
import type { ProviderRegistry } from '../providers/registry';
import type { StoredPayment } from '../domain/payment';

/**
 * Posts a paid payment to the ledger, in the caller's database transaction (the one that makes it
 * paid), once: a retried activity or a second writer finds the posting there and changes nothing.
 * The merchant is credited `merchant_net`, Kassa `buyer_total − merchant_net`, and provider clearing
 * carries the buyer's total. A payment without its amounts (none is paid so) posts nothing, and
 * reconciliation lists it.
 */
export async function postPaymentCaptured(
  client: PoolClient,
  payment: StoredPayment,
  providers: ProviderRegistry,
): Promise<boolean> {
  const posting = capturePosting(payment, providers);
  return posting ? post(client, posting) : false;
}

/** What {@link postPaymentCaptured} posts for a paid payment; null when it posts nothing. */
export function capturePosting(payment: StoredPayment, providers: ProviderRegistry): Posting | null {
  if (payment.buyerTotalMinor === null || payment.merchantNetMinor === null || payment.method === null) return null;
  return paymentCaptured({
    paymentId: payment.id,
    merchantId: payment.merchantId,
    testMode: payment.testMode,
    currency: payment.currency,
    provider: providers.forMethod(payment.method)?.name ?? 'unknown',
    buyerTotalMinor: payment.buyerTotalMinor,
    merchantNetMinor: payment.merchantNetMinor,
  });
}
