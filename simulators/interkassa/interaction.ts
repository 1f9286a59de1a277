import type { Callback, CallbackRequest, CallbackSender } from '../common/callbacks';
import { type Fault, faultSequence } from '../common/faults';
import { ikSign } from './signature';
import { creditedAmount, fromMinor, type Invoice, type InvoiceStatus } from './store';
import type { Checkout } from './context';

/** Interkassa's test payway: paid without money; its interactions are signed with the test key. */
export const TEST_PAYWAY = 'test_interkassa_test_xts';

/** The payway a simulated real payment reports: a card payway of the invoice's currency. */
export const cardPayway = (currency: string) => `visa_cpaytrz_merchant_${currency.toLowerCase()}`;

/** `Y-m-d H:i:s`, as Interkassa writes dates (here in UTC). */
export function ikDate(date: Date | null): string {
  return date ? date.toISOString().slice(0, 19).replace('T', ' ') : '';
}

/**
 * The interaction's fields for `status`: the invoice's `ik_*` fields, what the checkout is credited
 * (`ik_co_rfn`, after a 3 % fee, with four decimals as Interkassa writes it), what the buyer paid
 * (`ik_ps_price`), the merchant's `ik_x_*` fields, and `ik_sign` with the test key for the test
 * payway, the secret key otherwise.
 */
export function interactionFields(checkout: Checkout, invoice: Invoice, status: InvoiceStatus): Record<string, string> {
  const payway = invoice.payway ?? cardPayway(invoice.currency);
  const paid = invoice.paidMinor;
  const final = status === 'success' || status === 'canceled' || status === 'fail';
  const fields: Record<string, string> = {
    ik_co_id: invoice.coId,
    ik_co_prs_id: checkout.purseId,
    ik_inv_id: invoice.id,
    ik_inv_st: status,
    ik_inv_crt: ikDate(invoice.createdAt),
    ik_inv_prc: final ? ikDate(invoice.processedAt) : '',
    ik_trn_id: invoice.transactionId ?? '',
    ik_pm_no: invoice.paymentNo,
    ik_pw_via: payway,
    ik_am: paid === null ? invoice.amount : fromMinor(paid, invoice.currency),
    ...(paid !== null && {
      ik_co_rfn: creditedAmount(paid, invoice.currency),
      ik_ps_price: fromMinor(paid, invoice.currency),
    }),
    ik_cur: invoice.currency,
    ik_desc: invoice.description,
    ...invoice.extra,
  };
  const key = payway === TEST_PAYWAY ? checkout.testKey : checkout.secretKey;
  return { ...fields, ik_sign: ikSign(fields, key, checkout.signAlgorithm) };
}

/**
 * Sends a decided invoice's interaction to its interaction URL (by its method: a form body for POST,
 * the query for GET), as the faults say: duplicates, a stale `process` after the final one,
 * a delay, or none at all. Only HTTP 200 counts as delivered; anything else is sent again.
 */
export function sendInteractions(checkout: Checkout, sender: CallbackSender, invoice: Invoice, fault: Fault): void {
  const target = invoice.urls.interaction ?? checkout.interaction;
  if (!target) return;
  const callback = (status: InvoiceStatus): Callback => ({
    label: `${invoice.id} ${status}`,
    request: (): CallbackRequest => {
      const body = new URLSearchParams(interactionFields(checkout, invoice, status)).toString();
      if (target.method === 'GET') {
        const url = new URL(target.url);
        for (const [name, value] of new URLSearchParams(body)) url.searchParams.append(name, value);
        return { url: url.href, method: 'GET', headers: {} };
      }
      return {
        url: target.url,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      };
    },
  });
  sender.send(
    `invoice ${invoice.id}`,
    fault,
    faultSequence(callback(invoice.status), fault, () => callback('process')),
  );
}
