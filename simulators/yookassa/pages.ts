import type { Response } from 'express';
import { decisionForms, formatAmount, markup, sendPage } from '../common/pages';
import { toMinor, type StoredPayment } from './store';

const methodTitles: Record<string, string> = { bank_card: 'Bank card', yoo_money: 'YooMoney wallet', sbp: 'SBP' };

/** YooKassa's confirmation page for a payment: the amount and the shop's description, with Approve and Decline. */
export function sendBuyerPage(res: Response, payment: StoredPayment): void {
  const amount = formatAmount(toMinor(payment.amount.value).toString(), payment.amount.currency);
  const choices =
    payment.status === 'pending'
      ? decisionForms(`/checkout/${encodeURIComponent(payment.id)}`)
      : markup`<p>This payment is ${payment.status}.</p>`;
  const method = payment.paymentMethodType
    ? (methodTitles[payment.paymentMethodType] ?? payment.paymentMethodType)
    : '';
  sendPage(
    res,
    200,
    `YooKassa payment ${amount}`,
    markup`<p><small>YooKassa simulator${payment.test ? ' (test shop)' : ''}: no real money moves.</small></p><h1>${amount}</h1><p>${payment.description ?? ''}</p><p>${method}</p>${choices}`,
  );
}

export function sendPaymentNotFound(res: Response): void {
  sendPage(res, 404, 'Not found', markup`<h1>Payment not found</h1>`);
}

export function sendAlreadyDecided(res: Response, payment: StoredPayment): void {
  sendPage(res, 409, 'Already decided', markup`<h1>This payment is already ${payment.status}</h1>`);
}
