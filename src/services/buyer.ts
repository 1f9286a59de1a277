import type { ProviderMethod } from '../providers/types';
import { findCheckoutById, webhookSecretsFor } from '../db/checkouts';
import type { Checkout } from '../domain/checkout';
import { brandStylesheet } from '../domain/checkout-branding';
import { findMerchant } from '../db/merchants';
import { findPaymentById } from '../db/payments';
import { openStatuses, type PaymentStatus, type StoredPayment } from '../domain/payment';
import type { PaymentSci, SciHttpMethod } from '../domain/interkassa';
import { safeEqualHex, signDownload, signReturn } from '../domain/signatures';
import { notFound } from '../domain/errors';
import { visibleMethods } from './checkouts';
import type { ServiceDeps } from './deps';

/** How the buyer's pages show the shop: its name, its logo, and the stylesheet of its colour. */
export interface ShopLook {
  name: string;
  /** An https URL the buyer's browser loads; null: no logo. */
  logoUrl: string | null;
  /** Kassa's path of the checkout's colour stylesheet (its colour in the query, so a new one is fetched anew); null: Kassa's colours. */
  brandStylesheet: string | null;
}

/** Where the stylesheet of a checkout's colour is served. */
export const brandStylesheetPath = (checkout: Pick<Checkout, 'id' | 'branding'>) =>
  checkout.branding.color ? `/pay/brand/${checkout.id}.css?v=${checkout.branding.color.slice(1)}` : null;

/** A method the buyer may choose, with what the buyer pays through it. */
export interface MethodOption extends ProviderMethod {
  buyerTotalMinor: bigint;
}

/** How the buyer goes back to the shop: a link (GET), or a form the page submits (POST). */
export interface ShopReturn {
  method: SciHttpMethod;
  /** The link for GET (its fields in the query), the form's action for POST. */
  url: string;
  /** The form's fields for POST; empty for GET. */
  fields: Record<string, string>;
}

/** Where the result page sends the buyer. */
export interface ResultLinks {
  /** The shop's page: signed for an API-made payment, with the `ik_*` fields for an SCI-made one. */
  shopUrl: string;
  /** How the buyer gets there. */
  back: ShopReturn;
  /** Seconds until the page sends the buyer back on its own; null while the buyer may still act here. */
  autoReturnSeconds: number | null;
  /** For a payment still being confirmed: the page's next refresh, counting how long the buyer has waited (without script). */
  refreshUrl?: string;
  /**
   * For a payment still being confirmed, what the page's script does instead of refreshing: asks
   * `statusUrl` every `everySeconds` and opens `resultUrl` once the status changes, or `giveUpUrl`
   * after `giveUpAfterSeconds` (the page that says it takes longer and sends the buyer back).
   */
  watch?: { statusUrl: string; everySeconds: number; resultUrl: string; giveUpAfterSeconds: number; giveUpUrl: string };
  /** A fresh download link, for paid digital goods. */
  downloadUrl?: string;
}

/** How long the result page shows the result before it sends the buyer back to the shop. */
export const autoReturnSeconds = 5;
/** As long, when the page offers a download the buyer has to see and click first. */
export const autoReturnWithDownloadSeconds = 30;
/** How often the page of a payment still being confirmed refreshes itself. */
export const pendingRefreshSeconds = 2;
/** How long the buyer watches a payment still being confirmed before the page sends them to the shop's pending page. */
export const pendingReturnAfterSeconds = 60;

const paidStatuses: readonly PaymentStatus[] = ['paid', 'refunded', 'partially_refunded'];

/** Where an SCI-made payment sends the buyer back, as Interkassa names it: its URL and `ik_inv_st`. */
function sciWayBack(payment: StoredPayment): { page: 'success' | 'fail' | 'pending'; state: string } {
  if (paidStatuses.includes(payment.status)) return { page: 'success', state: 'success' };
  switch (payment.status) {
    case 'awaiting_payment':
    case 'under_review':
      return { page: 'pending', state: 'process' };
    case 'expired':
    case 'canceled':
      return { page: 'fail', state: 'canceled' };
    default:
      return { page: 'fail', state: 'fail' };
  }
}

/**
 * The way back of a payment made through the SCI form: the shop's own URL for the outcome when the
 * form gave one (kept with the payment only under `url_override`), else the checkout's, by GET or
 * POST, carrying `ik_co_id`, `ik_inv_id`, `ik_inv_st` and `ik_pm_no`.
 */
function sciReturn(payment: StoredPayment, sci: PaymentSci, checkout: Checkout): ShopReturn {
  const { page, state } = sciWayBack(payment);
  const checkoutUrl = { success: checkout.successUrl, fail: checkout.failUrl, pending: checkout.pendingUrl }[page];
  const target = sci.urls?.[page] ?? { url: checkoutUrl, method: 'GET' as const };
  const fields = {
    ik_co_id: sci.coId,
    ik_inv_id: payment.id,
    ik_inv_st: state,
    ik_pm_no: sci.paymentNo ?? payment.orderId,
  };
  if (target.method === 'POST') return { method: 'POST', url: target.url, fields };
  const url = new URL(target.url);
  for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
  return { method: 'GET', url: url.toString(), fields: {} };
}

const downloadLinkSeconds = 24 * 3600;

/** What the buyer's pages need: the payment, its checkout and who is being paid. */
export async function loadBuyerView(deps: ServiceDeps, paymentId: string) {
  const payment = /^pay_[0-9A-Za-z]{8,64}$/.test(paymentId) ? await findPaymentById(deps.db, paymentId) : null;
  if (!payment) throw notFound('payment');
  const checkout = (await findCheckoutById(deps.db, payment.checkoutId))!;
  const merchant = await findMerchant(deps.db, payment.merchantId);
  const merchantName = checkout.name || merchant?.name || 'Merchant';
  const shop: ShopLook = {
    name: merchantName,
    logoUrl: checkout.branding.logoUrl,
    brandStylesheet: brandStylesheetPath(checkout),
  };
  return { payment, checkout, merchantName, shop };
}

/** The stylesheet of a checkout's colour (`/pay/brand/<id>.css`); not found without a colour. */
export async function brandStylesheetOf(deps: ServiceDeps, checkoutId: string): Promise<string> {
  const checkout = /^co_[0-9A-Za-z]{8,64}$/.test(checkoutId) ? await findCheckoutById(deps.db, checkoutId) : null;
  if (!checkout?.branding.color) throw notFound('checkout');
  return brandStylesheet(checkout.branding.color);
}

/** The secret that signs the buyer's links now (the checkout's webhook secret). */
export async function linkSecretOf(deps: ServiceDeps, checkout: Checkout): Promise<string> {
  return (await webhookSecretsFor(deps.db, checkout.id))[0]!;
}

/** The methods the buyer may choose, with what each costs them (display conditions applied). */
export function methodOptions(deps: ServiceDeps, payment: StoredPayment, checkout: Checkout): MethodOption[] {
  return visibleMethods(deps, checkout, payment.amountMinor, payment.currency, payment.sci?.methods).map((quote) => ({
    code: quote.code,
    title: quote.title,
    testMode: payment.testMode,
    buyerTotalMinor: quote.buyerTotalMinor,
  }));
}

/**
 * The way back to the shop per docs/api.md §6 (for an SCI-made payment, docs/interkassa.md), whether
 * the page goes there on its own, and for paid digital goods a download link, signed with `secret`
 * ({@link linkSecretOf}). Only URLs the checkout owns: its own, or those stored with the payment.
 */
export function resultLinks(
  deps: ServiceDeps,
  payment: StoredPayment,
  checkout: Checkout,
  secret: string,
  options: { now?: number; waitedSeconds?: number } = {},
): ResultLinks {
  const { now = Date.now(), waitedSeconds = 0 } = options;
  const paid = paidStatuses.includes(payment.status);
  let back: ShopReturn;
  if (payment.sci) {
    back = sciReturn(payment, payment.sci, checkout);
  } else {
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
    back = { method: 'GET', url: shopUrl.toString(), fields: {} };
  }
  const links: ResultLinks = {
    shopUrl: back.url,
    back,
    // Open payments stay: the buyer may choose another method, or the confirmation is on its way (for a while).
    autoReturnSeconds: openStatuses.includes(payment.status) ? null : autoReturnSeconds,
  };
  if (payment.status === 'awaiting_payment') {
    if (waitedSeconds >= pendingReturnAfterSeconds) links.autoReturnSeconds = autoReturnSeconds;
    else {
      links.refreshUrl = `/pay/${payment.id}/return?waited=${waitedSeconds + pendingRefreshSeconds}`;
      links.watch = {
        statusUrl: `/pay/${payment.id}/status`,
        everySeconds: pendingRefreshSeconds,
        resultUrl: `/pay/${payment.id}/return`,
        giveUpAfterSeconds: pendingReturnAfterSeconds - waitedSeconds,
        giveUpUrl: `/pay/${payment.id}/return?waited=${pendingReturnAfterSeconds}`,
      };
    }
  }
  if (payment.status === 'paid' && payment.delivery?.type === 'digital') {
    const expires = Math.floor(now / 1000) + downloadLinkSeconds;
    links.downloadUrl = `${deps.config.publicUrl}/pay/${payment.id}/download?expires=${expires}&token=${signDownload(secret, payment.id, expires)}`;
    links.autoReturnSeconds = autoReturnWithDownloadSeconds;
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
