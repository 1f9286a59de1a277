/**
 * The result URL's two calls: the pre-request (`LMI_PREREQUEST=1`, answered `YES` only for a form
 * Kassa made, unchanged) and the payment notification (verified by `LMI_HASH`).
 */
import { CallbackVerificationError, type CallbackRequest, type TranslatedCallback } from '../types';
import {
  fromWebMoneyAmount,
  formSeal,
  type HashMethod,
  KASSA_AMOUNT,
  KASSA_PAYMENT_ID,
  KASSA_SIGN,
  notificationHash,
  purseCurrency,
  sameText,
  transDateToIso,
} from './mapper';

export interface WebMoneyAccount {
  purse: string;
  secretKey: string;
  hashMethod: HashMethod;
  testMode: boolean;
}

/** The form fields of a callback: the urlencoded body, or the query of a GET. */
function fieldsOf(request: CallbackRequest): Record<string, string> {
  const params =
    request.method === 'GET'
      ? new URLSearchParams(request.query)
      : new URLSearchParams(request.rawBody.toString('utf8'));
  const fields: Record<string, string> = {};
  for (const [name, value] of params) {
    if (Object.hasOwn(fields, name)) throw new CallbackVerificationError(`field ${name} given twice`);
    fields[name] = value;
  }
  return fields;
}

/** Whether the Kassa seal on the echoed form fields holds for `purse` and `paymentNo`. */
function sealHolds(account: WebMoneyAccount, fields: Record<string, string>): boolean {
  const paymentId = fields[KASSA_PAYMENT_ID];
  const amount = fields[KASSA_AMOUNT];
  const seal = fields[KASSA_SIGN];
  if (!paymentId || !amount || !seal) return false;
  const expected = formSeal(account.secretKey, account.purse, fields.LMI_PAYMENT_NO ?? '', amount, paymentId);
  return sameText(seal.toLowerCase(), expected);
}

/**
 * The pre-request's answer: `YES` when the purse, the mode and Kassa's seal over the payment
 * number, the amount and the payment all hold and the amount is the one asked for; otherwise a
 * short reason, which WebMoney shows the buyer while it refuses the payment.
 */
function preRequestReply(account: WebMoneyAccount, fields: Record<string, string>): string {
  if (fields.LMI_MODE !== (account.testMode ? '1' : '0')) return 'NO: wrong mode';
  if (!sealHolds(account, fields)) return 'NO: unknown order';
  if (fields.LMI_PAYMENT_AMOUNT !== fields[KASSA_AMOUNT]) return 'NO: wrong amount';
  return 'YES';
}

/** A buyer back from WebMoney's fail URL (a GET with the form's echoed fields): X18 says what became of it. */
export interface BuyerReturn {
  kind: 'return';
  paymentNo: string;
  paymentId: string;
  invoiceNo: string;
  /** The amount the form asked for, minor units. */
  amountMinor: string;
  currency: string;
}

/**
 * Verifies and translates a call to the result URL, or a buyer's return through the fail URL
 * (a GET without `LMI_PREREQUEST` or `LMI_HASH`, trusted only as far as Kassa's seal holds). A call for another purse is not this
 * connector's (CallbackVerificationError); a pre-request is answered without changing anything; a
 * notification must carry the right `LMI_HASH` (constant-time), the connector's mode and Kassa's
 * seal, and is then a payment made.
 */
export function verifyWebMoneyCallback(
  account: WebMoneyAccount,
  request: CallbackRequest,
): TranslatedCallback | BuyerReturn {
  const fields = fieldsOf(request);
  if (request.method === 'GET' && fields.LMI_PREREQUEST === undefined && fields.LMI_HASH === undefined) {
    if (!sealHolds(account, fields)) throw new CallbackVerificationError('Kassa’s seal on the form does not hold');
    const currency = purseCurrency(account.purse)!;
    const amountMinor = fromWebMoneyAmount(fields[KASSA_AMOUNT]!, currency);
    if (amountMinor === null) throw new CallbackVerificationError('KASSA_AMOUNT malformed');
    return {
      kind: 'return',
      paymentNo: fields.LMI_PAYMENT_NO!,
      paymentId: fields[KASSA_PAYMENT_ID]!,
      invoiceNo: /^\d{1,20}$/.test(fields.LMI_SYS_INVS_NO ?? '') ? fields.LMI_SYS_INVS_NO! : '0',
      amountMinor,
      currency,
    };
  }
  if (fields.LMI_PAYEE_PURSE !== account.purse) {
    throw new CallbackVerificationError('LMI_PAYEE_PURSE is not this connector’s purse');
  }
  if (fields.LMI_PREREQUEST === '1') return { kind: 'check', reply: preRequestReply(account, fields) };

  const given = fields.LMI_HASH ?? '';
  const method: HashMethod | null = given.length === 64 ? 'sha256' : given.length === 32 ? 'md5' : null;
  if (method !== account.hashMethod) throw new CallbackVerificationError('LMI_HASH missing or of another method');
  if (!sameText(given.toUpperCase(), notificationHash(fields, account.secretKey, method))) {
    throw new CallbackVerificationError('LMI_HASH does not match the notification');
  }
  if (fields.LMI_MODE !== (account.testMode ? '1' : '0')) {
    throw new CallbackVerificationError(
      `a ${fields.LMI_MODE === '1' ? 'test' : 'live'} payment at a ${account.testMode ? 'test' : 'live'} connector`,
    );
  }
  if (!fields[KASSA_PAYMENT_ID] && !fields[KASSA_SIGN]) {
    return { kind: 'ignored', reason: 'a WebMoney payment not made through Kassa' };
  }
  if (!sealHolds(account, fields)) throw new CallbackVerificationError('Kassa’s seal on the form does not hold');

  const currency = purseCurrency(account.purse)!;
  const amountMinor = fromWebMoneyAmount(fields.LMI_PAYMENT_AMOUNT ?? '', currency);
  const transNo = fields.LMI_SYS_TRANS_NO ?? '';
  const occurredAt = transDateToIso(fields.LMI_SYS_TRANS_DATE ?? '');
  if (amountMinor === null || !/^\d{1,20}$/.test(transNo) || occurredAt === null) {
    throw new CallbackVerificationError('notification fields malformed');
  }
  return {
    kind: 'payment',
    callback: {
      eventId: `wm_${account.purse}_${transNo}`,
      providerPaymentId: fields.LMI_PAYMENT_NO!,
      paymentId: fields[KASSA_PAYMENT_ID]!,
      state: 'succeeded',
      amountMinor,
      currency,
      occurredAt,
    },
  };
}
