/**
 * What the Temporal UI shows for a payment's workflow: a one-line summary in the workflow list
 * (merchant, order, amount, like an invoice list) and markdown details on the workflow page.
 */
import type { Checkout } from '../db/checkouts';
import type { StoredPayment } from '../db/payments';
import { formatAmount } from '../domain/money';

/** `My shop (mer_…) · order A-1001 · 50.00 RUB · test` */
export function purchaseSummary(payment: StoredPayment, checkout: Pick<Checkout, 'name'>): string {
  const mode = payment.testMode ? ' · test' : '';
  return `${checkout.name} (${payment.merchantId}) · order ${payment.orderId} · ${formatAmount(payment.amountMinor, payment.currency)} ${payment.currency}${mode}`;
}

/** Markdown for the workflow page: who, what, until when, and how to find the merchant's other payments. */
export function purchaseDetails(payment: StoredPayment, checkout: Pick<Checkout, 'name'>): string {
  return [
    `**Payment** ${payment.id}${payment.testMode ? ' (test mode)' : ''}`,
    `**Merchant** ${payment.merchantId}, checkout ${payment.checkoutId} "${checkout.name}"`,
    `**Order** ${payment.orderId}: ${payment.description}`,
    `**Amount** ${formatAmount(payment.amountMinor, payment.currency)} ${payment.currency}, expires ${payment.expiresAt.toISOString()}`,
    `**The merchant's other payments** \`MerchantId="${payment.merchantId}"\``,
  ].join('\n\n');
}
