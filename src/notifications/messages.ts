/**
 * What notifications say, rendered from the stored event (the same body the webhook carried), so
 * every channel tells the seller the same thing: shop, order, amount, method, status and a link
 * to the payment. The seller's messages are in the checkout's default language, the buyer's
 * receipt in the language they paid in; amounts and dates in that language's formats. Pure
 * functions: no I/O, no clock.
 */
import { isMerchantEventType } from '../domain/event-types';
import { parseAmount } from '../domain/money';
import { chooseLocale, translator, type Translator } from '../i18n';
import type { PaymentResource } from '../resources/payment';
import { html, type SafeHtml } from '../domain/html';

/** What notifications read of the payment an event's `data` carries (docs/api.md §5). */
export type EventPayment = Pick<
  PaymentResource,
  | 'id'
  | 'order_id'
  | 'status'
  | 'amount'
  | 'currency'
  | 'description'
  | 'method'
  | 'fee'
  | 'buyer_total'
  | 'merchant_net'
  | 'failure_reason'
  | 'checkout_url'
  | 'test_mode'
  | 'delivery'
  | 'paid_at'
>;

export interface EventView {
  /** The checkout's name. */
  shop: string;
  eventId: string;
  eventType: string;
  payment: EventPayment;
  /** The method's name as the buyer saw it (`Sandbox card`), or `null` when none was chosen. */
  methodTitle: string | null;
  /** Base of Kassa's links. */
  publicUrl: string;
  /** The checkout's default language: the seller's messages are written in it (English when absent). */
  locale?: string | null;
  /** The language the buyer paid in (the payment's `locale`): the receipt's, before the checkout's default. */
  buyerLocale?: string | null;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const signs: Record<string, string> = {
  'payment.paid': '✅',
  'payment.failed': '❌',
  'payment.expired': '⌛',
  'payment.canceled': '🚫',
  'payment.under_review': '⚠️',
  'payment.refunded': '↩️',
  'payment.refund_failed': '❌',
  'payout.paid': '💸',
  'payout.failed': '❌',
};

const statusKey = (eventType: string) =>
  eventType.startsWith('payout.') ? `payout_${eventType.slice('payout.'.length)}` : eventType.replace(/^\w+\./, '');

/** What happened, in the reader's language; an event type Kassa has no words for yet is named by its code. */
function statusOf(t: Translator, eventType: string): string {
  const key = `email.status.${statusKey(eventType)}`;
  return isMerchantEventType(eventType) && t.has(key) ? t.t(key) : statusKey(eventType).replace(/_/g, ' ');
}

const signOf = (eventType: string) => signs[eventType] ?? '🔔';

/** The seller's language: the checkout's default. */
const sellerTranslator = (view: EventView) => translator(view.locale ?? null);

/** The buyer's language: the one they paid in, else the checkout's default. */
const buyerTranslator = (view: EventView) =>
  translator(chooseLocale({ explicit: [view.buyerLocale], fallback: view.locale }));

/** A decimal amount of the event in the reader's format; as it came when it cannot be read. */
function money(t: Translator, value: string, currency: string): string {
  try {
    return t.money(parseAmount(value, currency), currency);
  } catch {
    return `${value} ${currency}`;
  }
}

/** A timestamp (`2026-03-04T10:00:00Z`) or a calendar date (`2026-03-04`) in the reader's format. */
function when(t: Translator, value: string | null): string {
  if (!value) return '—';
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return value;
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? t.date(at) : t.dateTime(at);
}

/** Plain text for SMS and chats: no-break spaces of number formats as plain spaces. */
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

const methodLine = (t: Translator, view: EventView) =>
  view.payment.method
    ? view.methodTitle && view.methodTitle !== view.payment.method
      ? `${view.methodTitle} (${view.payment.method})`
      : view.payment.method
    : t.t('email.methodNotChosen');

const reasonOf = (t: Translator, code: string) =>
  t.has(`email.reasons.${code}`) ? t.t(`email.reasons.${code}`) : code.replace(/_/g, ' ');

/** The API address of the payment, for the seller. */
export const paymentApiUrl = (view: EventView) => `${view.publicUrl}/v1/payments/${view.payment.id}`;

type FactKey =
  | 'shop'
  | 'order'
  | 'amount'
  | 'method'
  | 'status'
  | 'buyerPaid'
  | 'credited'
  | 'reason'
  | 'description'
  | 'payment'
  | 'link'
  | 'item'
  | 'paid'
  | 'date'
  | 'download'
  | 'validUntil'
  | 'delivery'
  | 'expectedBy';

type Fact = [FactKey, string];

/** The seller's facts, key and value, in the order every channel shows them. */
function sellerFactList(t: Translator, view: EventView): Fact[] {
  const { payment } = view;
  const amount = (value: string) => money(t, value, payment.currency);
  const facts: Fact[] = [
    ['shop', view.shop],
    ['order', payment.order_id],
    ['amount', amount(payment.amount)],
    ['method', methodLine(t, view)],
    ['status', statusOf(t, view.eventType)],
  ];
  if (payment.buyer_total && payment.buyer_total !== payment.amount)
    facts.push(['buyerPaid', amount(payment.buyer_total)]);
  if (payment.merchant_net)
    facts.push([
      'credited',
      payment.fee
        ? t.t('email.facts.creditedWithFee', { net: amount(payment.merchant_net), fee: amount(payment.fee) })
        : amount(payment.merchant_net),
    ]);
  if (payment.failure_reason && view.eventType !== 'payment.paid')
    facts.push(['reason', reasonOf(t, payment.failure_reason)]);
  facts.push(['description', payment.description], ['payment', payment.id], ['link', payment.checkout_url]);
  return facts;
}

const labelled = (t: Translator, facts: Fact[]): [string, string][] =>
  facts.map(([key, value]) => [t.t(`email.facts.${key}`), value]);

/** The seller's facts, label and value, in the checkout's language and the order every channel shows them. */
export function sellerFacts(view: EventView): [string, string][] {
  const t = sellerTranslator(view);
  return labelled(t, sellerFactList(t, view));
}

const headline = (t: Translator, view: EventView) =>
  `${view.payment.test_mode ? `${t.t('email.test')} ` : ''}${t.t('email.headline', {
    order: view.payment.order_id,
    status: statusOf(t, view.eventType),
    amount: money(t, view.payment.amount, view.payment.currency),
  })}`;

/** Facts as text lines, labels padded to one column. */
function textTable(facts: [string, string][]): string[] {
  const width = Math.max(...facts.map(([label]) => label.length)) + 2;
  return facts.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`);
}

/** Facts as an e-mail's table (mail clients ignore stylesheets: the few styles stay on the elements). */
const htmlTable = (t: Translator, facts: [FactKey, SafeHtml | string][]) =>
  html`<table>
${facts.map(
  ([key, shown]) =>
    html`<tr><th align="left" style="padding:2px 12px 2px 0">${t.t(`email.facts.${key}`)}</th><td>${shown}</td></tr>
`,
)}</table>`;

/** The seller's e-mail: text and HTML with the same facts, in the checkout's language. */
export function sellerEmail(view: EventView): RenderedEmail {
  const t = sellerTranslator(view);
  const facts = sellerFactList(t, view);
  const title = headline(t, view);
  const footer = t.t('email.footer', { event: view.eventId, type: view.eventType });
  const text = [
    `${title} — ${view.shop}`,
    '',
    ...textTable(labelled(t, facts)),
    '',
    `${footer} ${paymentApiUrl(view)}`,
    '',
  ].join('\n');
  const rows = facts.map(([key, value]): [FactKey, SafeHtml | string] => [
    key,
    key === 'link' ? html`<a href="${value}">${value}</a>` : value,
  ]);
  const body = html`<!doctype html>
<html lang="${t.locale}"><body style="font-family:sans-serif">
<h2>${signOf(view.eventType)} ${title}</h2>
${htmlTable(t, rows)}
<p style="color:#666">${footer} <a href="${paymentApiUrl(view)}">${paymentApiUrl(view)}</a></p>
</body></html>
`;
  return { subject: `[${view.shop}] ${title}`, text, html: body.markup };
}

/** A Telegram message: plain text, one fact a line, in the checkout's language. */
export function sellerChatMessage(view: EventView): string {
  const t = sellerTranslator(view);
  const facts = sellerFactList(t, view).filter(([key]) => key !== 'description');
  return plain(
    [
      `${signOf(view.eventType)} ${headline(t, view)}`,
      ...labelled(t, facts).map(([label, value]) => `${label}: ${value}`),
    ].join('\n'),
  );
}

/** An SMS: one short line (a single segment when the shop name is short), in the checkout's language. */
export function sellerSms(view: EventView): string {
  const t = sellerTranslator(view);
  const { payment } = view;
  return plain(
    t.t('email.sms', {
      shop: view.shop,
      order: payment.order_id,
      status: statusOf(t, view.eventType),
      amount: money(t, payment.amount, payment.currency),
      method: payment.method ? t.t('email.smsMethod', { method: view.methodTitle ?? payment.method }) : '',
      link: payment.checkout_url,
    }),
  );
}

/** What the buyer receives: a link to their file, or how and when the goods come. */
export type ReceiptDelivery =
  | { type: 'digital'; downloadUrl: string; validUntil: string }
  | { type: 'physical'; method: string; expectedBy: string }
  | null;

/**
 * The buyer's receipt for a paid payment, in the language they paid in: what was bought, what was
 * paid, and the delivery. `validUntil` and `expectedBy` are ISO timestamps or dates.
 */
export function buyerReceiptEmail(view: EventView, delivery: ReceiptDelivery): RenderedEmail {
  const t = buyerTranslator(view);
  const { payment } = view;
  const facts: Fact[] = [
    ['shop', view.shop],
    ['order', payment.order_id],
    ['item', payment.description],
    ['paid', money(t, payment.buyer_total ?? payment.amount, payment.currency)],
    ['method', view.methodTitle ?? payment.method ?? '—'],
    ['date', when(t, payment.paid_at)],
    ['payment', payment.id],
  ];
  if (delivery?.type === 'digital')
    facts.push(['download', delivery.downloadUrl], ['validUntil', when(t, delivery.validUntil)]);
  if (delivery?.type === 'physical')
    facts.push(['delivery', delivery.method], ['expectedBy', when(t, delivery.expectedBy)]);
  const subject = `${payment.test_mode ? `${t.t('email.test')} ` : ''}${t.t('email.receipt.subject', {
    shop: view.shop,
    order: payment.order_id,
  })}`;
  const thanks = t.t('email.receipt.thanks', { shop: view.shop });
  const text = [
    `${thanks}.`,
    '',
    ...textTable(labelled(t, facts)),
    '',
    delivery?.type === 'digital'
      ? t.t('email.receipt.downloadHint')
      : delivery?.type === 'physical'
        ? t.t('email.receipt.deliveryHint', { method: delivery.method })
        : '',
    '',
  ].join('\n');
  const rows = facts.map(([key, value]): [FactKey, SafeHtml | string] => [
    key,
    key === 'download' ? html`<a href="${value}">${t.t('email.receipt.downloadLink')}</a>` : value,
  ]);
  const body = html`<!doctype html>
<html lang="${t.locale}"><body style="font-family:sans-serif">
<h2>${thanks}</h2>
${htmlTable(t, rows)}
</body></html>
`;
  return { subject, text, html: body.markup };
}
