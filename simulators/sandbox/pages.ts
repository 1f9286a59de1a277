import type { Response } from 'express';
import type { StoredPayment } from './store';

/** Markup that is already safe: interpolated into {@link markup} as is. */
export class Html {
  constructor(readonly text: string) {}
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escape(String(value));
}

/** A template tag that escapes every interpolated value except {@link Html} (and arrays of it). */
export function markup(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((out, text, i) => out + render(values[i - 1]) + text));
}

const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
const style = new Html(
  'body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}' +
    'form{display:inline-block;margin-right:.5rem}button{font-size:1rem;padding:.5rem 1.25rem}',
);

export function sendPage(res: Response, status: number, title: string, body: Html): void {
  const page = markup`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>${style}</style></head><body>${body}</body></html>`;
  res.status(status).set('content-security-policy', contentSecurityPolicy).type('html').send(page.text);
}

/** `12345`, `RUB` → `123.45 RUB`, by the currency's number of minor digits. */
export function formatAmount(amountMinor: string, currency: string): string {
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  if (digits === 0) return `${amountMinor} ${currency}`;
  const padded = amountMinor.padStart(digits + 1, '0');
  return `${padded.slice(0, -digits)}.${padded.slice(-digits)} ${currency}`;
}

/** The buyer's page: the amount and description, with Approve and Decline while the payment is pending. */
export function sendCheckoutPage(res: Response, payment: StoredPayment): void {
  const amount = formatAmount(payment.amountMinor, payment.currency);
  const action = `/checkout/${encodeURIComponent(payment.id)}`;
  const buttons =
    payment.status === 'pending'
      ? [
          markup`<form method="post" action="${action}/approve"><button>Approve</button></form>`,
          markup`<form method="post" action="${action}/decline"><button>Decline</button></form>`,
        ]
      : markup`<p>This payment is already ${payment.status}.</p>`;
  const body = [
    markup`<p><small>Sandbox provider: no real money moves.</small></p>`,
    markup`<h1>${amount}</h1><p>${payment.description}</p>`,
    markup`<p>Method: ${payment.method} · Amount in minor units: ${payment.amountMinor} ${payment.currency}</p>`,
    markup`${buttons}`,
  ];
  sendPage(res, 200, `Sandbox payment ${amount}`, markup`${body}`);
}

export function sendPaymentNotFound(res: Response): void {
  sendPage(res, 404, 'Not found', markup`<h1>Payment not found</h1>`);
}

export function sendAlreadyFinal(res: Response, payment: StoredPayment): void {
  sendPage(res, 409, 'Already final', markup`<h1>This payment is already ${payment.status}</h1>`);
}
