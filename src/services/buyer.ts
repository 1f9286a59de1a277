import type { ProviderMethod } from '../providers/types';
import { findCheckoutById, webhookSecretsFor } from '../db/checkouts';
import type { Checkout } from '../domain/checkout';
import { findMerchant } from '../db/merchants';
import { findPaymentById } from '../db/payments';
import type { StoredPayment } from '../domain/payment';
import { safeEqualHex, signDownload, signReturn } from '../domain/signatures';
import { notFound } from '../domain/errors';
import { visibleMethods } from './checkouts';
import type { ServiceDeps } from './deps';

/** A method the buyer may choose, with what the buyer pays through it. */
export interface MethodOption extends ProviderMethod {
  buyerTotalMinor: bigint;
}

/** Where the result page sends the buyer. */
export interface ResultLinks {
  /** The shop's page, signed. */
  shopUrl: string;
  /** A fresh download link, for paid digital goods. */
  downloadUrl?: string;
}

const downloadLinkSeconds = 24 * 3600;

/** What the buyer's pages need: the payment, its checkout and who is being paid. */
export async function loadBuyerView(deps: ServiceDeps, paymentId: string) {
  const payment = /^pay_[0-9A-Za-z]{8,64}$/.test(paymentId) ? await findPaymentById(deps.db, paymentId) : null;
  if (!payment) throw notFound('payment');
  const checkout = (await findCheckoutById(deps.db, payment.checkoutId))!;
  const merchant = await findMerchant(deps.db, payment.merchantId);
  return { payment, checkout, merchantName: checkout.name || merchant?.name || 'Merchant' };
}

/** The secret that signs the buyer's links now (the checkout's webhook secret). */
export async function linkSecretOf(deps: ServiceDeps, checkout: Checkout): Promise<string> {
  return (await webhookSecretsFor(deps.db, checkout.id))[0]!;
}

/** The methods the buyer may choose, with what each costs them (display conditions applied). */
export function methodOptions(deps: ServiceDeps, payment: StoredPayment, checkout: Checkout): MethodOption[] {
  return visibleMethods(deps, checkout, payment.amountMinor, payment.currency).map((quote) => ({
    code: quote.code,
    title: quote.title,
    testMode: payment.testMode,
    buyerTotalMinor: quote.buyerTotalMinor,
  }));
}

/** The link back to the shop per docs/api.md §6, and for paid digital goods a download link, signed with `secret` ({@link linkSecretOf}). */
export function resultLinks(
  deps: ServiceDeps,
  payment: StoredPayment,
  checkout: Checkout,
  secret: string,
  now = Date.now(),
): ResultLinks {
  const paid = payment.status === 'paid' || payment.status === 'refunded' || payment.status === 'partially_refunded';
  const base = paid
    ? checkout.successUrl
    : payment.status === 'awaiting_payment'
      ? checkout.pendingUrl
      : checkout.failUrl;
  const shopUrl = new URL(base);
  shopUrl.searchParams.set('payment_id', payment.id);
  shopUrl.searchParams.set('order_id', payment.orderId);
  shopUrl.searchParams.set('status', payment.status);
  shopUrl.searchParams.set(
    'signature',
    signReturn(secret, { paymentId: payment.id, orderId: payment.orderId, status: payment.status }),
  );
  const links: ResultLinks = { shopUrl: shopUrl.toString() };
  if (payment.status === 'paid' && payment.delivery?.type === 'digital') {
    const expires = Math.floor(now / 1000) + downloadLinkSeconds;
    links.downloadUrl = `${deps.config.publicUrl}/pay/${payment.id}/download?expires=${expires}&token=${signDownload(secret, payment.id, expires)}`;
  }
  return links;
}

/** Where a valid download link leads: the merchant's file, only for this paid payment, only until it expires. */
export async function resolveDownload(
  deps: ServiceDeps,
  paymentId: string,
  expires: string,
  token: string,
  now = Date.now(),
) {
  const { payment, checkout } = await loadBuyerView(deps, paymentId);
  const expiresAt = Number(expires);
  const valid =
    /^\d{1,12}$/.test(expires) &&
    expiresAt * 1000 > now &&
    (await webhookSecretsFor(deps.db, checkout.id)).some((secret) =>
      safeEqualHex(token, signDownload(secret, payment.id, expiresAt)),
    ) &&
    payment.status === 'paid' &&
    payment.delivery?.type === 'digital';
  return valid && payment.delivery?.type === 'digital' ? payment.delivery.download_url : null;
}
