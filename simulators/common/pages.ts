import type { Response } from 'express';

/** Markup that is already safe: interpolated into {@link markup} as is. */
export class Html {
  constructor(readonly text: string) {}
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** A template tag that escapes every interpolated value except {@link Html} (and arrays of it). */
export function markup(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((out, text, i) => out + render(values[i - 1]) + text));
}

const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/** The plain look of a simulator page; a simulator that imitates a provider's page passes its own. */
export const plainStyle = new Html(
  'body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}' +
    'form{display:inline-block;margin-right:.5rem}button{font-size:1rem;padding:.5rem 1.25rem}',
);

/** A whole page, no scripts allowed, not framable. */
export function sendPage(res: Response, status: number, title: string, body: Html, style: Html = plainStyle): void {
  const page = markup`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>${style}</style></head><body>${body}</body></html>`;
  res.status(status).set('content-security-policy', contentSecurityPolicy).type('html').send(page.text);
}

/** The number of minor digits of an ISO 4217 currency: 2 for RUB, 0 for JPY, 3 for KWD. */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** `12345`, `RUB` → `123.45 RUB`, by the currency's number of minor digits. */
export function formatAmount(amountMinor: string, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return `${amountMinor} ${currency}`;
  const padded = amountMinor.padStart(digits + 1, '0');
  return `${padded.slice(0, -digits)}.${padded.slice(-digits)} ${currency}`;
}

/**
 * The buyer's two choices on every simulator's page: `POST <pageUrl>/approve` and `/decline`
 * (`pageUrl` a path, e.g. `/checkout/sp_1`). `labels` renames the buttons to the provider's words.
 */
export function decisionForms(pageUrl: string, labels: { approve: string; decline: string } = defaultLabels): Html[] {
  return [
    markup`<form method="post" action="${pageUrl}/approve"><button>${labels.approve}</button></form>`,
    markup`<form method="post" action="${pageUrl}/decline"><button>${labels.decline}</button></form>`,
  ];
}

const defaultLabels = { approve: 'Approve', decline: 'Decline' };
