import type { Response } from 'express';
import { decisionForms, formatAmount, markup, sendPage } from '../common/pages';
import type { StoredPayment } from './store';

export { Html, formatAmount, markup, sendPage } from '../common/pages';

/** The buyer's page: the amount and description, with Approve and Decline while the payment is pending. */
export function sendCheckoutPage(res: Response, payment: StoredPayment): void {
  const amount = formatAmount(payment.amountMinor, payment.currency);
  const buttons =
    payment.status === 'pending'
      ? decisionForms(`/checkout/${encodeURIComponent(payment.id)}`)
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
