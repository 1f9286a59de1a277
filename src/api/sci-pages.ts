/**
 * What `/sci` answers a buyer's browser (`ik_int=web`) and a shop's server (`ik_int=json`), in
 * Interkassa's shapes: pages in the buyer's language (`ik_loc`, then `Accept-Language`, then the
 * checkout's default), built with the escaping template, styled from files only.
 */
import type { MethodQuote } from '../domain/fees';
import { formatAmount } from '../domain/money';
import type { StoredPayment } from '../domain/payment';
import { chooseLocale, translator } from '../i18n';
import { sciRefusalCodes, type SciRefusal } from '../services/sci';
import { html, type SafeHtml } from './web/html';
import { assetsPath, documentPage } from './web/layout';

/** A language Kassa speaks (`en`, `ru`…). */
export type SciLanguage = string;

/**
 * The buyer's language: `ik_loc` when Kassa speaks it, else the browser's most wanted one it
 * speaks, else the checkout's default (when known), else English.
 */
export function sciLanguage(
  locale: string | null,
  acceptLanguage: string | undefined,
  checkoutLocale?: string | null,
): SciLanguage {
  return chooseLocale({ explicit: [locale], acceptLanguage, fallback: checkoutLocale });
}

function page(language: SciLanguage, title: string, body: SafeHtml): string {
  return documentPage({
    locale: language,
    title,
    body: html`<main class="sci-page"><div class="card">${body}</div></main>`,
    head: { styles: [`${assetsPath}/sci-pages.css`] },
  });
}

/** The page a refused `ik_int=web` form answers (HTTP 400): what is wrong, naming the field. */
export function sciRefusalPage(refusal: SciRefusal, language: SciLanguage): string {
  const t = translator(language);
  return page(
    t.locale,
    t.t('sci.refused'),
    html`<h1>${t.t('sci.refused')}</h1>
<p id="reason" data-field="${refusal.field}">${t.t(`sci.reasons.${refusal.reason}`, { field: refusal.field })}</p>
<p class="muted">${t.t('sci.details')}: <span lang="en">${refusal.detail}</span></p>
<p>${t.t('sci.back')}</p>`,
  );
}

/** A refusal as the JSON interface answers it: a non-zero `resultCode`, the field named in `resultMsg`. */
export const sciRefusalJson = (refusal: SciRefusal) => ({
  resultCode: sciRefusalCodes[refusal.reason],
  resultMsg: refusal.message,
  resultData: { field: refusal.field, reason: refusal.reason },
});

/** One method on offer with its price: `psPrice` is what the buyer pays, `coRfn` what the merchant is credited. */
export const paywayJson = (quote: MethodQuote, currency: string) => ({
  als: quote.code,
  name: quote.title,
  cur: currency,
  am: formatAmount(quote.buyerTotalMinor - quote.buyerFeeMinor, currency),
  psPrice: formatAmount(quote.buyerTotalMinor, currency),
  coRfn: formatAmount(quote.merchantNetMinor, currency),
  fee: formatAmount(quote.feeMinor, currency),
});

/** `ik_act=payways`/`payway` in the web interface: the methods on offer and what the buyer pays through each. */
export function sciPaywaysPage(
  quotes: MethodQuote[],
  currency: string,
  language: SciLanguage,
  single: boolean,
): string {
  const t = translator(language);
  const title = t.t(single ? 'sci.method' : 'sci.methods');
  const items = quotes.map(
    (quote) =>
      html`<li data-method="${quote.code}"><span class="sci-method">${quote.title}</span> <span class="sci-price">${t.t('sci.pays')} <span class="price">${t.money(quote.buyerTotalMinor, currency)}</span></span></li>`,
  );
  return page(
    t.locale,
    title,
    html`<h1>${title}</h1>
${items.length ? html`<ul class="sci-methods">${items}</ul>` : html`<p>${t.t('sci.none')}</p>`}`,
  );
}

/**
 * The buyer's next page as a form: `action` without its query, whose fields go in `parameters`
 * (a browser submitting a GET form replaces the action's query with the form's fields).
 */
export function paymentFormJson(next: string) {
  const url = new URL(next);
  const parameters = Object.fromEntries(url.searchParams);
  url.search = '';
  url.hash = '';
  return { action: url.toString(), method: 'GET' as const, parameters };
}

/** `ik_act=process` in the JSON interface. */
export const sciProcessJson = (payment: StoredPayment, next: string) => ({
  resultCode: '0',
  resultMsg: 'Success',
  resultData: {
    paymentForm: paymentFormJson(next),
    payment: { id: payment.id, status: payment.status, order_id: payment.orderId },
  },
});
