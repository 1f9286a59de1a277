/**
 * What notifications say, rendered from the stored event (the same body the webhook carried), so
 * every channel tells the seller the same thing: shop, order, amount, method, status and a link
 * to the payment. Pure functions: no I/O, no clock.
 */
import { isMerchantEventType, type MerchantEventType } from '../domain/event-types';
import type { PaymentResource } from '../resources/payment';

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
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const outcomes: Record<MerchantEventType, { status: string; sign: string }> = {
  'payment.paid': { status: 'paid', sign: '✅' },
  'payment.failed': { status: 'failed', sign: '❌' },
  'payment.expired': { status: 'expired', sign: '⌛' },
  'payment.canceled': { status: 'canceled', sign: '🚫' },
  'payment.under_review': { status: 'under review', sign: '⚠️' },
  'payment.refunded': { status: 'refunded', sign: '↩️' },
  'payment.refund_failed': { status: 'refund failed', sign: '❌' },
  'payout.paid': { status: 'payout paid', sign: '💸' },
  'payout.failed': { status: 'payout failed', sign: '❌' },
};

const outcomeOf = (eventType: string) =>
  (isMerchantEventType(eventType) ? outcomes[eventType] : null) ?? {
    status: eventType.replace(/^\w+\./, '').replace(/_/g, ' '),
    sign: '🔔',
  };

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

const methodLine = (view: EventView) =>
  view.payment.method
    ? view.methodTitle && view.methodTitle !== view.payment.method
      ? `${view.methodTitle} (${view.payment.method})`
      : view.payment.method
    : 'not chosen';

/** The API address of the payment, for the seller. */
export const paymentApiUrl = (view: EventView) => `${view.publicUrl}/v1/payments/${view.payment.id}`;

/** The seller's facts, label and value, in the order every channel shows them. */
export function sellerFacts(view: EventView): [string, string][] {
  const { payment } = view;
  const money = (value: string) => `${value} ${payment.currency}`;
  const facts: [string, string][] = [
    ['Shop', view.shop],
    ['Order', payment.order_id],
    ['Amount', money(payment.amount)],
    ['Method', methodLine(view)],
    ['Status', outcomeOf(view.eventType).status],
  ];
  if (payment.buyer_total && payment.buyer_total !== payment.amount)
    facts.push(['Buyer paid', money(payment.buyer_total)]);
  if (payment.merchant_net)
    facts.push([
      'You are credited',
      `${money(payment.merchant_net)}${payment.fee ? ` (fee ${money(payment.fee)})` : ''}`,
    ]);
  if (payment.failure_reason && view.eventType !== 'payment.paid')
    facts.push(['Reason', payment.failure_reason.replace(/_/g, ' ')]);
  facts.push(['Description', payment.description], ['Payment', payment.id], ['Link', payment.checkout_url]);
  return facts;
}

const headline = (view: EventView) =>
  `${view.payment.test_mode ? '[TEST] ' : ''}Order ${view.payment.order_id} ${outcomeOf(view.eventType).status}: ${view.payment.amount} ${view.payment.currency}`;

/** The seller's e-mail: text and HTML with the same facts. */
export function sellerEmail(view: EventView): RenderedEmail {
  const facts = sellerFacts(view);
  const width = Math.max(...facts.map(([label]) => label.length)) + 2;
  const text = [
    `${headline(view)} — ${view.shop}`,
    '',
    ...facts.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    '',
    `Event ${view.eventId} (${view.eventType}); details in the API: ${paymentApiUrl(view)}`,
    '',
  ].join('\n');
  const rows = facts
    .map(([label, value]) => {
      const shown = label === 'Link' ? `<a href="${escapeHtml(value)}">${escapeHtml(value)}</a>` : escapeHtml(value);
      return `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(label)}</th><td>${shown}</td></tr>`;
    })
    .join('\n');
  const html = `<!doctype html>
<html><body style="font-family:sans-serif">
<h2>${escapeHtml(outcomeOf(view.eventType).sign)} ${escapeHtml(headline(view))}</h2>
<table>
${rows}
</table>
<p style="color:#666">Event ${escapeHtml(view.eventId)} (${escapeHtml(view.eventType)}); details in the API: <a href="${escapeHtml(paymentApiUrl(view))}">${escapeHtml(paymentApiUrl(view))}</a></p>
</body></html>
`;
  return { subject: `[${view.shop}] ${headline(view)}`, text, html };
}

/** A Telegram message: plain text, one fact a line. */
export function sellerChatMessage(view: EventView): string {
  const facts = sellerFacts(view).filter(([label]) => label !== 'Description');
  return [
    `${outcomeOf(view.eventType).sign} ${headline(view)}`,
    ...facts.map(([label, value]) => `${label}: ${value}`),
  ].join('\n');
}

/** An SMS: one short line (a single segment when the shop name is short). */
export function sellerSms(view: EventView): string {
  const { payment } = view;
  const method = payment.method ? ` by ${view.methodTitle ?? payment.method}` : '';
  return `${view.shop}: order ${payment.order_id} ${outcomeOf(view.eventType).status}, ${payment.amount} ${payment.currency}${method}. ${payment.checkout_url}`;
}

/** What the buyer receives: a link to their file, or how and when the goods come. */
export type ReceiptDelivery =
  | { type: 'digital'; downloadUrl: string; validUntil: string }
  | { type: 'physical'; method: string; expectedBy: string }
  | null;

/** The buyer's receipt for a paid payment: what was bought, what was paid, and the delivery. */
export function buyerReceiptEmail(view: EventView, delivery: ReceiptDelivery): RenderedEmail {
  const { payment } = view;
  const paid = `${payment.buyer_total ?? payment.amount} ${payment.currency}`;
  const facts: [string, string][] = [
    ['Shop', view.shop],
    ['Order', payment.order_id],
    ['Item', payment.description],
    ['Paid', paid],
    ['Method', view.methodTitle ?? payment.method ?? '—'],
    ['Date', payment.paid_at ?? '—'],
    ['Payment', payment.id],
  ];
  if (delivery?.type === 'digital')
    facts.push(['Download', delivery.downloadUrl], ['Link valid until', delivery.validUntil]);
  if (delivery?.type === 'physical') facts.push(['Delivery', delivery.method], ['Expected by', delivery.expectedBy]);
  const width = Math.max(...facts.map(([label]) => label.length)) + 2;
  const title = `${payment.test_mode ? '[TEST] ' : ''}Your receipt from ${view.shop}: order ${payment.order_id}`;
  const text = [
    `Thank you for your purchase at ${view.shop}.`,
    '',
    ...facts.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    '',
    delivery?.type === 'digital'
      ? 'Open the download link to get your file.'
      : delivery?.type === 'physical'
        ? `Your order will be delivered by ${delivery.method}.`
        : '',
    '',
  ].join('\n');
  const rows = facts
    .map(([label, value]) => {
      const shown = label === 'Download' ? `<a href="${escapeHtml(value)}">Download your file</a>` : escapeHtml(value);
      return `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(label)}</th><td>${shown}</td></tr>`;
    })
    .join('\n');
  const html = `<!doctype html>
<html><body style="font-family:sans-serif">
<h2>Thank you for your purchase at ${escapeHtml(view.shop)}</h2>
<table>
${rows}
</table>
</body></html>
`;
  return { subject: title, text, html };
}
