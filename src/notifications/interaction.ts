/**
 * The interaction: Interkassa's notification to the shop, for a payment made through the SCI form.
 * A form of `ik_*` fields only (the shop's checker signs every field it is given), signed like the
 * shop's own form, sent by POST or GET to the interaction URL. Only `HTTP 200` is delivered.
 */
import type { SciHttpMethod, SciTarget } from '../domain/interkassa';
import { sciTestPayway } from '../domain/interkassa';
import { DeliveryError } from './types';
import { callEndpoint } from './endpoint';

/** `ik_inv_st` of an interaction: Interkassa's final invoice states. */
export type InteractionState = 'success' | 'fail' | 'canceled';

/** The final state an event reports, or null for an event that sends no interaction. */
export function interactionState(eventType: string): InteractionState | null {
  switch (eventType) {
    case 'payment.paid':
      return 'success';
    case 'payment.failed':
      return 'fail';
    // Interkassa has no "expired": an invoice whose time ran out is canceled.
    case 'payment.canceled':
    case 'payment.expired':
      return 'canceled';
    default:
      return null;
  }
}

/** Interkassa's date format, `Y-m-d H:i:s` (UTC here). */
export const interkassaDate = (date: Date) => date.toISOString().slice(0, 19).replace('T', ' ');

/** What an interaction says about one payment; every text exactly as it goes on the wire. */
export interface InteractionFacts {
  /** `ik_co_id` as the shop sent it. */
  coId: string;
  paymentId: string;
  state: InteractionState;
  createdAt: Date;
  /** When the payment was decided (paid, failed, canceled, expired). */
  processedAt: Date;
  providerPaymentId: string | null;
  /** `ik_pm_no` as the shop sent it. */
  paymentNo: string;
  testMode: boolean;
  /** `ik_pw_via` the shop chose, if any. */
  payway: string | null;
  /** The Kassa method the buyer paid with, if any. */
  method: string | null;
  /** `ik_am` as the shop sent it. */
  amount: string;
  currency: string;
  description: string;
  /** Credited to the merchant, a decimal string. */
  merchantNet: string;
  /** Paid by the buyer, a decimal string. */
  buyerTotal: string;
  /** The shop's `ik_x_*` fields, echoed back. */
  extra: Record<string, string>;
}

/**
 * The interaction's fields before `ik_sign`. `ik_pw_via` is Interkassa's test payway for a test
 * payment: shops' checkers pick the test key by it.
 */
export function interactionFields(facts: InteractionFacts): Record<string, string> {
  const fields: Record<string, string> = {
    ik_co_id: facts.coId,
    ik_inv_id: facts.paymentId,
    ik_inv_st: facts.state,
    ik_inv_crt: interkassaDate(facts.createdAt),
    ik_inv_prc: interkassaDate(facts.processedAt),
    ik_trn_id: facts.providerPaymentId ?? '',
    ik_pm_no: facts.paymentNo,
    ik_pw_via: facts.testMode ? sciTestPayway : (facts.payway ?? facts.method ?? ''),
    ik_am: facts.amount,
    ik_cur: facts.currency,
    ik_desc: facts.description,
    ik_co_rfn: facts.merchantNet,
    ik_ps_price: facts.buyerTotal,
  };
  for (const [name, value] of Object.entries(facts.extra)) {
    const field = name.startsWith('ik_x_') ? name : `ik_x_${name}`;
    fields[field] = value;
  }
  return fields;
}

/** The HTTP request of an interaction: a form body for POST, the fields added to the query for GET. */
export function interactionRequest(target: SciTarget, fields: Record<string, string>) {
  const form = new URLSearchParams(fields);
  const headers: Record<string, string> = { 'user-agent': 'Kassa-Interaction/1' };
  if (target.method === 'GET') {
    const url = new URL(target.url);
    for (const [name, value] of form) url.searchParams.append(name, value);
    return { url: url.toString(), method: 'GET' as SciHttpMethod, headers, body: undefined };
  }
  headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
  return { url: target.url, method: 'POST' as SciHttpMethod, headers, body: form.toString() };
}

/**
 * Sends one interaction; `HTTP 200` is delivered, anything else (another 2xx, a 3xx never
 * followed, 4xx, 5xx, no answer) is worth trying again. A URL the address policy refuses is
 * refused for good. Throws {@link DeliveryError}.
 */
export async function sendInteraction(
  target: SciTarget,
  fields: Record<string, string>,
  options: { allowPrivate: boolean; timeoutMs: number },
): Promise<{ response: string }> {
  const { status, said } = await callEndpoint(interactionRequest(target, fields), 'the interaction', options);
  if (status === 200) return { response: `HTTP 200${said}` };
  throw new DeliveryError(`the shop answered HTTP ${status}${said}; only HTTP 200 is delivered`, 'transient');
}
