import { formatAmount } from '../domain/money';
import type { StoredPayment } from '../domain/payment';
import { type MethodOption, pendingRefreshSeconds, type ResultLinks } from '../services/buyer';

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => entities[char]!);

/** What a page adds to its head: a refresh (of itself, or to `url`) and the script that submits a form on its own. */
interface PageHead {
  refresh?: { seconds: number; url?: string };
  autoSubmit?: boolean;
}

function layout(title: string, body: string, head: PageHead = {}): string {
  const { refresh } = head;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${refresh ? `<meta http-equiv="refresh" content="${refresh.seconds}${refresh.url ? `;url=${escapeHtml(refresh.url)}` : ''}">` : ''}
${head.autoSubmit ? `<script src="${autoReturnScriptPath}" defer></script>` : ''}
<title>${escapeHtml(title)} · Kassa</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
.amount{font-size:2rem;font-weight:600}.muted{color:#666}button{display:block;width:100%;margin:.5rem 0;padding:.8rem;font-size:1rem;cursor:pointer}
.test{background:#fff3cd;padding:.3rem .6rem;border-radius:4px;display:inline-block}a.button{display:inline-block;margin-top:1rem}</style>
</head><body>${body}</body></html>`;
}

/** Where the buyer's pages load the script that submits a way-back form after its delay (no inline script under the CSP). */
export const autoReturnScriptPath = '/pay/assets/auto-return.js';

/** The script at {@link autoReturnScriptPath}: submits each `form[data-submit-after]` after that many seconds. */
export const autoReturnScript = `'use strict';
for (const form of document.querySelectorAll('form[data-submit-after]')) {
  setTimeout(() => form.submit(), Number(form.getAttribute('data-submit-after')) * 1000);
}
`;

/** Where a page that sends the buyer back by GET points its refresh: Kassa's own redirect, so no shop URL sits in a refresh header. */
const backPath = (paymentId: string) => `/pay/${paymentId}/back`;

/**
 * The way back to the shop: a link (GET), or a form of hidden fields with a visible button (POST).
 * With `autoSeconds`, the form carries the delay for the script.
 */
function backToShop(
  links: ResultLinks,
  label: string,
  className = 'button',
  autoSeconds: number | null = null,
): string {
  const { back } = links;
  if (back.method === 'GET')
    return `<a class="${className}" id="back-to-shop" href="${escapeHtml(back.url)}">${escapeHtml(label)}</a>`;
  return `<form id="back-to-shop-form" method="post" action="${escapeHtml(back.url)}"${
    autoSeconds === null ? '' : ` data-submit-after="${autoSeconds}"`
  }>${hiddenInputs(back.fields)}<button type="submit" id="back-to-shop">${escapeHtml(label)}</button></form>`;
}

const hiddenInputs = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');

/** The head of a result page that sends the buyer back on its own: a refresh to Kassa's redirect (GET) or the form's script (POST). */
function autoReturnHead(payment: StoredPayment, links: ResultLinks): PageHead {
  if (links.autoReturnSeconds === null) return {};
  return links.back.method === 'GET'
    ? { refresh: { seconds: links.autoReturnSeconds, url: backPath(payment.id) } }
    : { autoSubmit: true };
}

const autoReturnNotice = (links: ResultLinks, shop: string) =>
  links.autoReturnSeconds === null
    ? ''
    : `<p class="muted" id="auto-return">You will be taken back to ${shop} in ${links.autoReturnSeconds} seconds.</p>`;

const failureTexts: Record<string, string> = {
  card_declined: 'Your card was declined',
  declined: 'The payment was declined',
  provider_unavailable: 'This payment method is unavailable right now',
  insufficient_funds: 'There were not enough funds',
};

const failureText = (reason: string | null) => failureTexts[reason ?? ''] ?? 'The payment was not completed';

const money = (minor: bigint, currency: string) => `${formatAmount(minor, currency)} ${currency}`;

export function methodChoicePage(
  payment: StoredPayment,
  merchantName: string,
  methods: MethodOption[],
  notice?: string,
): string {
  const buttons = methods
    .map(
      (method) =>
        `<button type="submit" name="method" value="${escapeHtml(method.code)}">${escapeHtml(method.title)} — ${escapeHtml(
          money(method.buyerTotalMinor, payment.currency),
        )}</button>`,
    )
    .join('\n');
  return layout(
    `Pay ${merchantName}`,
    `${payment.testMode ? '<p class="test">Test mode: no real money moves</p>' : ''}
<h1>${escapeHtml(merchantName)}</h1>
<p class="muted">Order ${escapeHtml(payment.orderId)}</p>
<p>${escapeHtml(payment.description)}</p>
<p class="amount">${escapeHtml(money(payment.amountMinor, payment.currency))}</p>
${notice ? `<p role="alert">${escapeHtml(notice)}</p>` : ''}
<form method="post" action="/pay/${escapeHtml(payment.id)}/method">
<h2>Choose how to pay</h2>
${buttons || '<p>No payment method is available for this payment.</p>'}
</form>`,
  );
}

export function resultPage(payment: StoredPayment, merchantName: string, links: ResultLinks): string {
  const title = escapeHtml(merchantName);
  const back = (label: string, className?: string) => backToShop(links, label, className, links.autoReturnSeconds);
  const head = autoReturnHead(payment, links);
  switch (payment.status) {
    case 'paid':
    case 'refunded':
    case 'partially_refunded': {
      const delivery = payment.delivery;
      let deliveryHtml = '';
      if (delivery?.type === 'digital' && links.downloadUrl) {
        deliveryHtml = `<p><a id="download" href="${escapeHtml(links.downloadUrl)}">Download your purchase</a> (the link works for 24 hours)</p>`;
      } else if (delivery?.type === 'physical') {
        const eta = new Date((payment.paidAt ?? new Date()).getTime() + delivery.eta_days * 86_400_000);
        deliveryHtml = `<p id="delivery">Delivery by ${escapeHtml(delivery.method)}, expected by ${eta.toISOString().slice(0, 10)}</p>`;
      }
      return layout(
        'Payment received',
        `<h1>Thank you! Payment received</h1>
<p>${title} received ${escapeHtml(money(payment.buyerTotalMinor ?? payment.amountMinor, payment.currency))} for order ${escapeHtml(payment.orderId)}.</p>
${deliveryHtml}
${autoReturnNotice(links, title)}
${back(`Back to ${merchantName}`)}`,
        head,
      );
    }
    case 'awaiting_payment': {
      const waitedLong = links.autoReturnSeconds !== null;
      return layout(
        'Waiting for confirmation',
        `<h1>Waiting for the payment to be confirmed…</h1>
<p class="muted">${
          waitedLong
            ? `The confirmation is taking longer than usual. ${title} will learn of the payment as soon as it is confirmed.`
            : `This page refreshes by itself. You can also return to ${title}; it will learn of the payment as soon as it is confirmed.`
        }</p>
${autoReturnNotice(links, title)}
${
  links.back.method === 'GET'
    ? `<p><a id="pending-link" href="${escapeHtml(links.back.url)}">Return to ${title}</a></p>`
    : backToShop(links, `Return to ${merchantName}`, 'button', links.autoReturnSeconds)
}`,
        waitedLong ? head : { refresh: { seconds: pendingRefreshSeconds, url: links.refreshUrl } },
      );
    }
    case 'awaiting_method':
      return layout(
        'Payment not completed',
        `<h1>The payment did not go through</h1>
<p>${escapeHtml(failureText(payment.failureReason))}. You can try another method.</p>
<p><a class="button" id="try-again" href="/pay/${escapeHtml(payment.id)}">Choose another payment method</a></p>
<div>${back(`Back to ${merchantName}`, 'link')}</div>`,
      );
    default:
      return layout(
        'Payment failed',
        `<h1>The payment was not completed</h1>
<p>This payment is ${escapeHtml(payment.status.replace(/_/g, ' '))}.</p>
${autoReturnNotice(links, title)}
${back(`Back to ${merchantName}`)}`,
        head,
      );
  }
}

/** The page that takes the buyer back to the shop by POST: the form submits itself, its button works without script. */
export function shopReturnPage(merchantName: string, links: ResultLinks): string {
  return layout(
    `Back to ${merchantName}`,
    `<h1>Back to ${escapeHtml(merchantName)}</h1>
<p class="muted">Taking you back to ${escapeHtml(merchantName)}…</p>
${backToShop(links, `Continue to ${merchantName}`, 'button', 0)}`,
    { autoSubmit: true },
  );
}

/**
 * The page that takes the buyer to a provider that wants a form posted to it (WebMoney, Interkassa):
 * the form submits itself, its button works without script.
 */
export function providerFormPage(merchantName: string, form: { url: string; fields: Record<string, string> }): string {
  return layout(
    `Paying ${merchantName}`,
    `<h1>Paying ${escapeHtml(merchantName)}</h1>
<p class="muted">Taking you to the payment page…</p>
<form id="provider-form" method="post" action="${escapeHtml(form.url)}" data-submit-after="0">${hiddenInputs(
      form.fields,
    )}<button type="submit">Continue to payment</button></form>`,
    { autoSubmit: true },
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}
