import { formatAmount } from '../domain/money';
import type { StoredPayment } from '../domain/payment';
import type { MethodOption, ResultLinks } from '../services/buyer';

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => entities[char]!);

function layout(title: string, body: string, refreshSeconds?: number): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : ''}
<title>${escapeHtml(title)} · Kassa</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
.amount{font-size:2rem;font-weight:600}.muted{color:#666}button{display:block;width:100%;margin:.5rem 0;padding:.8rem;font-size:1rem;cursor:pointer}
.test{background:#fff3cd;padding:.3rem .6rem;border-radius:4px;display:inline-block}a.button{display:inline-block;margin-top:1rem}</style>
</head><body>${body}</body></html>`;
}

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
<a class="button" id="back-to-shop" href="${escapeHtml(links.shopUrl)}">Back to ${title}</a>`,
      );
    }
    case 'awaiting_payment':
      return layout(
        'Waiting for confirmation',
        `<h1>Waiting for the payment to be confirmed…</h1>
<p class="muted">This page refreshes by itself. You can also <a id="pending-link" href="${escapeHtml(links.shopUrl)}">return to ${title}</a>; it will learn of the payment as soon as it is confirmed.</p>`,
        2,
      );
    case 'awaiting_method':
      return layout(
        'Payment not completed',
        `<h1>The payment did not go through</h1>
<p>${escapeHtml(failureText(payment.failureReason))}. You can try another method.</p>
<p><a class="button" id="try-again" href="/pay/${escapeHtml(payment.id)}">Choose another payment method</a></p>
<p><a id="back-to-shop" href="${escapeHtml(links.shopUrl)}">Back to ${title}</a></p>`,
      );
    default:
      return layout(
        'Payment failed',
        `<h1>The payment was not completed</h1>
<p>This payment is ${escapeHtml(payment.status.replace(/_/g, ' '))}.</p>
<a class="button" id="back-to-shop" href="${escapeHtml(links.shopUrl)}">Back to ${title}</a>`,
      );
  }
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}
