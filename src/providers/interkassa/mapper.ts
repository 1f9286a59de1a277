/**
 * Pure translation between Kassa and Interkassa: the SCI form Kassa posts as Interkassa's merchant,
 * the interaction (`ik_*` fields) and the API's invoice (`co-invoice`) in Kassa's terms, amounts
 * both ways. No I/O.
 */
import { z } from 'zod';
import { currencyExponent } from '../../domain/money';
import { sciSign, type SciFields } from '../../domain/sci-signature';
import type { SciSignAlgorithm } from '../../domain/interkassa';
import {
  ProviderError,
  type CreateProviderPaymentInput,
  type ProviderCallback,
  type ProviderPaymentState,
  type ProviderPaymentStatus,
  type ProviderRefund,
} from '../types';
import { kassaExponent } from '../currencies';

/** Interkassa's test payway: paid without money, its interactions signed with the test key. */
export const INTERKASSA_TEST_PAYWAY = 'test_interkassa_test_xts';

/** The extra field (`ik_x_*`, echoed back in the interaction) that names Kassa's payment. */
export const KASSA_PAYMENT_FIELD = 'ik_x_kassa_payment';

/** `ik_inv_st` of an interaction: `new`, `waitAccept`, `process`, `success`, `canceled`, `fail`. */
export const interactionStates: Readonly<Record<string, ProviderPaymentState>> = {
  new: 'pending',
  waitAccept: 'pending',
  process: 'pending',
  success: 'succeeded',
  canceled: 'declined',
  fail: 'declined',
};

/**
 * `state` of an invoice in the API (`GET /v1/co-invoice`): 2 awaiting payment, 3 processing, 4 being
 * refunded, 5 expired, 7 credited, 8 canceled by the payment system, 9 refunded. A refund does not
 * undo the payment: 4 and 9 were paid. Any other state is pending, never a success.
 */
export const invoiceStates: Readonly<Record<string, ProviderPaymentState>> = {
  '2': 'pending',
  '3': 'pending',
  '4': 'succeeded',
  '5': 'canceled',
  '7': 'succeeded',
  '8': 'declined',
  '9': 'succeeded',
};

export const interactionState = (status: string): ProviderPaymentState => interactionStates[status] ?? 'pending';
export const invoiceState = (state: string): ProviderPaymentState => invoiceStates[state] ?? 'pending';

/** Kassa's minor units as Interkassa's decimal amount (`ik_am`): `1500` USD → `15.00`, `500` JPY → `500`. */
export function toInterkassaAmount(amountMinor: string, currency: string): string {
  if (!/^(0|[1-9]\d{0,17})$/.test(amountMinor))
    throw new ProviderError('definite', 'invalid_amount', `amount ${amountMinor} is not minor units`);
  const exponent = kassaExponent(currency);
  if (exponent === 0) return amountMinor;
  const digits = amountMinor.padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * Interkassa's decimal amount as Kassa's minor units. Interkassa writes some amounts with four
 * decimals (`ik_co_rfn` `97.0000`): zeros past the currency's decimals are dropped; `null` for an
 * amount that is not a plain decimal or has more precision than the currency.
 */
export function fromInterkassaAmount(amount: string, currency: string): string | null {
  const match = /^(\d{1,18})(?:\.(\d{1,8}))?$/.exec(amount.trim());
  if (!match) return null;
  let exponent: number;
  try {
    exponent = currencyExponent(currency.toUpperCase());
  } catch {
    return null;
  }
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > exponent) return null;
  return BigInt(match[1]! + fraction.padEnd(exponent, '0')).toString();
}

export interface FormSettings {
  checkoutId: string;
  secretKey: string;
  signAlgorithm: SciSignAlgorithm;
  testMode: boolean;
}

/**
 * The signed SCI form of one attempt. The same attempt always gives the same fields, so a repeated
 * create posts the same `ik_pm_no` and Interkassa answers with the invoice it already has.
 */
export function toSciForm(input: CreateProviderPaymentInput, settings: FormSettings): Record<string, string> {
  const fields: SciFields = {
    ik_co_id: settings.checkoutId,
    ik_pm_no: input.reference,
    ik_am: toInterkassaAmount(input.amountMinor, input.currency),
    ik_cur: input.currency.toUpperCase(),
    ik_desc: input.description.slice(0, 255) || input.paymentId,
    [KASSA_PAYMENT_FIELD]: input.paymentId,
    ik_ia_u: input.callbackUrl,
    ik_ia_m: 'POST',
    ik_suc_u: input.returnUrl,
    ik_suc_m: 'GET',
    ik_fal_u: input.returnUrl,
    ik_fal_m: 'GET',
    ik_pnd_u: input.returnUrl,
    ik_pnd_m: 'GET',
    ...(settings.testMode && { ik_pw_via: INTERKASSA_TEST_PAYWAY }),
  };
  return {
    ...(fields as Record<string, string>),
    ik_sign: sciSign(fields, settings.secretKey, settings.signAlgorithm),
  };
}

/** The Kassa payment an interaction or invoice is about: the echoed extra field, else the attempt key's prefix. */
export function kassaPaymentIdOf(extra: string | undefined, paymentNo: string | undefined): string | null {
  if (extra && /^pay_[A-Za-z0-9]{1,64}$/.test(extra)) return extra;
  const match = /^(pay_[A-Za-z0-9]{1,64})-attempt-\d{1,6}$/.exec(paymentNo ?? '');
  return match ? match[1]! : null;
}

/** `Y-m-d H:i:s` as Interkassa writes its dates, read as UTC; `fallback` when absent or unreadable. */
export function interkassaDate(value: string | undefined, fallback: Date): string {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value ?? '');
  if (!match) return fallback.toISOString();
  const date = new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`);
  return Number.isNaN(date.getTime()) ? fallback.toISOString() : date.toISOString();
}

/**
 * A verified interaction's fields as the purchase workflow's callback; `null` when it names no Kassa
 * payment. The provider payment is the order number (`ik_pm_no`), as Kassa knew it from the create:
 * Interkassa numbers its invoice only when the form arrives.
 */
export function toProviderCallback(fields: Record<string, string>, now: Date): ProviderCallback | null {
  const paymentId = kassaPaymentIdOf(fields[KASSA_PAYMENT_FIELD], fields.ik_pm_no);
  const invoiceId = fields.ik_inv_id ?? '';
  const status = fields.ik_inv_st ?? '';
  const currency = (fields.ik_cur ?? '').toUpperCase();
  const paymentNo = fields.ik_pm_no ?? '';
  if (!paymentId || !paymentNo || !/^[0-9A-Za-z_-]{1,64}$/.test(invoiceId)) return null;
  const state = interactionState(status);
  return {
    eventId: `interkassa:${invoiceId}:${status}`,
    // Kassa names the provider payment by its order number until the interaction names the invoice.
    providerPaymentId: paymentNo,
    paymentId,
    state,
    // An amount Kassa cannot read never equals the expected one: the payment is held for review.
    amountMinor: fromInterkassaAmount(fields.ik_am ?? '', currency) ?? '-1',
    currency,
    occurredAt: interkassaDate(fields.ik_inv_prc || fields.ik_inv_crt, now),
    ...(state === 'declined' && { declineReason: `interkassa_${status}` }),
  };
}

/** An invoice as `GET /v1/co-invoice[/:id]` gives it (the fields Kassa reads). */
export const invoiceSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  coId: z.string(),
  paymentNo: z.string(),
  state: z.union([z.string(), z.number()]).transform(String),
  am: z.union([z.string(), z.number()]).transform(String),
  cur: z.string(),
});
export type InterkassaInvoice = z.infer<typeof invoiceSchema>;

export function toPaymentStatus(invoice: InterkassaInvoice): ProviderPaymentStatus {
  const state = invoiceState(invoice.state);
  const currency = invoice.cur.toUpperCase();
  return {
    providerPaymentId: invoice.paymentNo,
    state,
    amountMinor: fromInterkassaAmount(invoice.am, currency) ?? '-1',
    currency,
    ...(state === 'declined' && { declineReason: `interkassa_state_${invoice.state}` }),
    ...(state === 'canceled' && { declineReason: 'interkassa_expired' }),
  };
}

/** A refund as `POST /v1/refund` answers it. */
export const refundSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  state: z.string(),
  amount: z.union([z.string(), z.number()]).transform(String),
});
export type InterkassaRefund = z.infer<typeof refundSchema>;

const refundStates: Readonly<Record<string, ProviderRefund['state']>> = {
  success: 'succeeded',
  fail: 'failed',
  canceled: 'failed',
};

export function toProviderRefund(refund: InterkassaRefund, currency: string, message?: string): ProviderRefund {
  const state = refundStates[refund.state] ?? 'pending';
  return {
    providerRefundId: refund.id,
    state,
    amountMinor: fromInterkassaAmount(refund.amount, currency) ?? '0',
    currency: currency.toUpperCase(),
    ...(state === 'failed' && { failureReason: message || `interkassa_refund_${refund.state}` }),
  };
}
