/**
 * What `/sci` answers a buyer's browser (`ik_int=web`) and a shop's server (`ik_int=json`), in
 * Interkassa's shapes: pages in the buyer's language (`ik_loc`, then `Accept-Language`; Russian or
 * English), every value escaped.
 */
import type { MethodQuote } from '../domain/fees';
import { formatAmount } from '../domain/money';
import type { StoredPayment } from '../domain/payment';
import { sciRefusalCodes, type SciRefusal, type SciRefusalReason } from '../services/sci';
import { escapeHtml } from './hosted-pages';

export type SciLanguage = 'ru' | 'en';

/** The buyer's language: `ik_loc` when it is one Kassa speaks, else the browser's first that is. */
export function sciLanguage(locale: string | null, acceptLanguage: string | undefined): SciLanguage {
  if (locale === 'ru' || locale === 'en') return locale;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.split(';')[0]!.trim().slice(0, 2).toLowerCase();
    if (tag === 'ru' || tag === 'en') return tag;
  }
  return 'en';
}

type Texts = Record<SciRefusalReason, (field: string) => string>;

/** Why a form was refused, per language; the field is named in every sentence. */
const refusalTexts: Record<SciLanguage, Texts> = {
  en: {
    field_missing: (field) => `The payment request lacks the field ${field}.`,
    field_invalid: (field) => `The field ${field} of the payment request is not valid.`,
    sign_missing: (field) => `The payment request is not signed: ${field} is missing.`,
    sign_invalid: (field) => `The signature of the payment request (${field}) is wrong.`,
    checkout_unknown: (field) => `The checkout named in ${field} does not exist.`,
    sci_disabled: (field) => `The checkout named in ${field} does not take payments this way.`,
    currency_unsupported: (field) => `The currency in ${field} is not accepted by this checkout.`,
    amount_invalid: (field) => `The amount in ${field} is not valid.`,
    order_exists: (field) => `The order in ${field} already has a payment.`,
    method_unavailable: (field) => `The payment method asked for in ${field} is not available.`,
    checkout_not_verified: (field) => `The checkout named in ${field} does not take live payments yet.`,
    body_invalid: (field) => `The payment request could not be read (${field}).`,
  },
  ru: {
    field_missing: (field) => `В запросе на оплату нет поля ${field}.`,
    field_invalid: (field) => `Поле ${field} запроса на оплату заполнено неверно.`,
    sign_missing: (field) => `Запрос на оплату не подписан: нет поля ${field}.`,
    sign_invalid: (field) => `Подпись запроса на оплату (${field}) неверна.`,
    checkout_unknown: (field) => `Касса, указанная в ${field}, не найдена.`,
    sci_disabled: (field) => `Касса, указанная в ${field}, не принимает платежи этим способом.`,
    currency_unsupported: (field) => `Валюта в поле ${field} не принимается этой кассой.`,
    amount_invalid: (field) => `Сумма в поле ${field} указана неверно.`,
    order_exists: (field) => `По заказу из поля ${field} платёж уже создан.`,
    method_unavailable: (field) => `Способ оплаты из поля ${field} недоступен.`,
    checkout_not_verified: (field) => `Касса, указанная в ${field}, пока не принимает настоящие платежи.`,
    body_invalid: (field) => `Запрос на оплату не удалось прочитать (${field}).`,
  },
};

const words = {
  en: {
    refused: 'Payment request refused',
    details: 'Details',
    back: 'Please go back to the shop and try again, or contact the shop.',
    methods: 'Ways to pay',
    method: 'Way to pay',
    pays: 'you pay',
    none: 'No way to pay is available for this amount.',
  },
  ru: {
    refused: 'Запрос на оплату отклонён',
    details: 'Подробности',
    back: 'Вернитесь в магазин и попробуйте ещё раз или свяжитесь с магазином.',
    methods: 'Способы оплаты',
    method: 'Способ оплаты',
    pays: 'к оплате',
    none: 'Для этой суммы нет доступных способов оплаты.',
  },
} as const;

function page(language: SciLanguage, title: string, body: string): string {
  return `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Kassa</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}.muted{color:#666}</style>
</head><body>${body}</body></html>`;
}

/** The page a refused `ik_int=web` form answers (HTTP 400): what is wrong, naming the field. */
export function sciRefusalPage(refusal: SciRefusal, language: SciLanguage): string {
  const text = words[language];
  return page(
    language,
    text.refused,
    `<h1>${escapeHtml(text.refused)}</h1>
<p id="reason" data-field="${escapeHtml(refusal.field)}">${escapeHtml(refusalTexts[language][refusal.reason](refusal.field))}</p>
<p class="muted" lang="en">${escapeHtml(text.details)}: ${escapeHtml(refusal.detail)}</p>
<p>${escapeHtml(text.back)}</p>`,
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
  const text = words[language];
  const title = single ? text.method : text.methods;
  const items = quotes
    .map(
      (quote) =>
        `<li data-method="${escapeHtml(quote.code)}">${escapeHtml(quote.title)} — ${escapeHtml(text.pays)} ` +
        `<span class="price">${escapeHtml(formatAmount(quote.buyerTotalMinor, currency))} ${escapeHtml(currency)}</span></li>`,
    )
    .join('\n');
  return page(
    language,
    title,
    `<h1>${escapeHtml(title)}</h1>\n${items ? `<ul>\n${items}\n</ul>` : `<p>${escapeHtml(text.none)}</p>`}`,
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
