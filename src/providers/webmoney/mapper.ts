/**
 * WebMoney Merchant Interface, pure parts: the payment request form, amounts both ways, the
 * notification's `LMI_HASH`, Kassa's own binding of a form to its payment, and the X18 answer.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { currencyExponent } from '../../domain/money';
import { type CreateProviderPaymentInput, type ProviderPaymentStatus, ProviderError } from '../types';

/** The currency of a WebMoney purse, by its letter (`Z123456789012` is a USD purse). */
export const PURSE_CURRENCIES: Readonly<Record<string, string>> = {
  Z: 'USD',
  E: 'EUR',
  P: 'RUB',
  R: 'RUB',
  U: 'UAH',
  K: 'KZT',
  B: 'BYN',
};

export const PURSE_PATTERN = /^[A-Z]\d{12}$/;

/** The currency `purse` holds, or null for a purse type Kassa does not take. */
export const purseCurrency = (purse: string): string | null =>
  PURSE_PATTERN.test(purse) ? (PURSE_CURRENCIES[purse[0]!] ?? null) : null;

/** The largest `LMI_PAYMENT_NO`: WebMoney's payment number is a 32-bit signed integer. */
export const MAX_PAYMENT_NO = 2_147_483_647n;

/** WebMoney's amount field: major units with a point and two decimals (`50.00`). */
export function toWebMoneyAmount(amountMinor: string, currency: string): string {
  if (!/^\d{1,18}$/.test(amountMinor) || BigInt(amountMinor) <= 0n) {
    throw new ProviderError('definite', 'invalid_amount', `WebMoney cannot take the amount ${amountMinor}`);
  }
  if (currencyExponent(currency) !== 2) {
    throw new ProviderError('definite', 'currency_not_supported', `WebMoney purses do not hold ${currency}`);
  }
  const minor = BigInt(amountMinor);
  return `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;
}

/** Minor units of a WebMoney amount (`50`, `50.5`, `50.05`), or null when it is not one. */
export function fromWebMoneyAmount(amount: string, currency: string): string | null {
  const match = /^(\d{1,15})(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!match || currencyExponent(currency) !== 2) return null;
  return (BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'))).toString();
}

/** Fields of Kassa's own that WebMoney passes back unchanged to the result URL (not `LMI_*`). */
export const KASSA_PAYMENT_ID = 'KASSA_PAYMENT_ID';
export const KASSA_AMOUNT = 'KASSA_AMOUNT';
export const KASSA_SIGN = 'KASSA_SIGN';

/**
 * Kassa's seal on a form it made: HMAC-SHA256 keyed with the purse's secret key over the purse,
 * the payment number, the amount and the Kassa payment id. WebMoney echoes the form's extra
 * fields to the result URL, so a pre-request or notification proves which payment it is about and
 * which amount the buyer was asked for, and a buyer who edits the form gets no `YES`.
 */
export function formSeal(secretKey: string, purse: string, paymentNo: string, amount: string, paymentId: string) {
  return createHmac('sha256', secretKey)
    .update(['kassa-webmoney-form', purse, paymentNo, amount, paymentId].join('|'))
    .digest('hex');
}

export const sameText = (a: string, b: string) => {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a === b;
};

export type HashMethod = 'sha256' | 'md5';

/** Where the buyer goes at WebMoney: the UTF-8 payment request form. */
export const paymentFormUrl = (merchantUrl: string) => `${merchantUrl.replace(/\/+$/, '')}/lmi/payment_utf.asp`;

/** The payment request form (POSTed by the buyer's browser to {@link paymentFormUrl}). */
export function paymentFormFields(
  input: Pick<
    CreateProviderPaymentInput,
    'reference' | 'paymentId' | 'amountMinor' | 'currency' | 'description' | 'returnUrl' | 'callbackUrl'
  >,
  account: { purse: string; secretKey: string; testMode: boolean },
): Record<string, string> {
  if (!/^\d{1,10}$/.test(input.reference) || BigInt(input.reference) > MAX_PAYMENT_NO) {
    throw new ProviderError('definite', 'invalid_reference', 'LMI_PAYMENT_NO must be an integer up to 2147483647');
  }
  const currency = purseCurrency(account.purse);
  if (currency !== input.currency) {
    throw new ProviderError(
      'definite',
      'currency_not_supported',
      `the WebMoney purse ${account.purse[0]}… holds ${currency ?? 'another currency'}, not ${input.currency}`,
    );
  }
  const amount = toWebMoneyAmount(input.amountMinor, input.currency);
  return {
    LMI_PAYEE_PURSE: account.purse,
    LMI_PAYMENT_AMOUNT: amount,
    LMI_PAYMENT_NO: input.reference,
    LMI_PAYMENT_DESC_BASE64: Buffer.from(input.description.slice(0, 255), 'utf8').toString('base64'),
    LMI_RESULT_URL: input.callbackUrl,
    LMI_SUCCESS_URL: input.returnUrl,
    LMI_SUCCESS_METHOD: '2',
    // The buyer who leaves WebMoney unpaid comes back through Kassa's callback URL: X18 then says
    // whether a payment was made under the number after all, or the attempt is declined.
    LMI_FAIL_URL: input.callbackUrl,
    LMI_FAIL_METHOD: '0',
    ...(account.testMode && { LMI_SIM_MODE: '0' }),
    [KASSA_PAYMENT_ID]: input.paymentId,
    [KASSA_AMOUNT]: amount,
    [KASSA_SIGN]: formSeal(account.secretKey, account.purse, input.reference, amount, input.paymentId),
  };
}

/** The fields of the payment notification's `LMI_HASH`, in WebMoney's order, the secret key eighth. */
export const HASH_FIELDS = [
  'LMI_PAYEE_PURSE',
  'LMI_PAYMENT_AMOUNT',
  'LMI_PAYMENT_NO',
  'LMI_MODE',
  'LMI_SYS_INVS_NO',
  'LMI_SYS_TRANS_NO',
  'LMI_SYS_TRANS_DATE',
  'LMI_SECRET_KEY',
  'LMI_PAYER_PURSE',
  'LMI_PAYER_WM',
] as const;

/** `LMI_HASH`: upper-case hex MD5 or SHA-256 of the fields of {@link HASH_FIELDS} concatenated. */
export function notificationHash(fields: Record<string, string>, secretKey: string, method: HashMethod): string {
  const text = HASH_FIELDS.map((name) => (name === 'LMI_SECRET_KEY' ? secretKey : (fields[name] ?? ''))).join('');
  return createHash(method).update(text, 'utf8').digest('hex').toUpperCase();
}

/** `LMI_SYS_TRANS_DATE` (`YYYYMMDD HH:MM:SS`, Moscow time, UTC+3) as ISO 8601; null when malformed. */
export function transDateToIso(value: string): string | null {
  const match = /^(\d{4})(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}+03:00`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An X18 request (`merchant.request`) authenticated by hash: `wmid + purse + payment no + secret key`. */
export function x18Request(
  account: { wmid: string; purse: string; secretKey: string; hashMethod: HashMethod },
  paymentNo: string,
) {
  const digest = createHash(account.hashMethod)
    .update(account.wmid + account.purse + paymentNo + account.secretKey, 'utf8')
    .digest('hex');
  return (
    '<merchant.request>' +
    `<wmid>${account.wmid}</wmid>` +
    `<lmi_payee_purse>${account.purse}</lmi_payee_purse>` +
    `<lmi_payment_no>${paymentNo}</lmi_payment_no>` +
    `<${account.hashMethod}>${digest}</${account.hashMethod}>` +
    '</merchant.request>'
  );
}

export interface X18Answer {
  retval: string;
  retdesc: string;
  operation: { wmtransid: string; wminvoiceid: string; amount: string; operdate: string } | null;
}

const xmlText = (xml: string, tag: string) =>
  new RegExp(`<${tag}(?:\\s[^>]*)?>([^<]*)</${tag}>`).exec(xml)?.[1]?.trim() ?? null;
const xmlAttribute = (element: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(element)?.[1] ?? null;

/** Reads a `merchant.response`; null when the body is not one. */
export function parseX18Answer(xml: string): X18Answer | null {
  if (!/<merchant\.response[\s>]/.test(xml)) return null;
  const retval = xmlText(xml, 'retval');
  if (retval === null || !/^-?\d{1,6}$/.test(retval)) return null;
  const element = /<operation(\s[^>]*)?>([\s\S]*?)<\/operation>/.exec(xml);
  const operation = element
    ? {
        wmtransid: xmlAttribute(element[1] ?? '', 'wmtransid') ?? '',
        wminvoiceid: xmlAttribute(element[1] ?? '', 'wminvoiceid') ?? '',
        amount: xmlText(element[2]!, 'amount') ?? '',
        operdate: xmlText(element[2]!, 'operdate') ?? '',
      }
    : null;
  return { retval, retdesc: xmlText(xml, 'retdesc') ?? '', operation };
}

/** X18's "no payment with this number at this purse": the buyer has not paid (yet). */
export const X18_NOT_FOUND = new Set(['7', '-8']);

/**
 * An X18 answer in Kassa's terms: a payment found is `succeeded` (WebMoney records only payments
 * made), none found is null (the form was never paid), anything else a definite error.
 */
export function toPaymentStatus(answer: X18Answer, paymentNo: string, currency: string): ProviderPaymentStatus | null {
  if (X18_NOT_FOUND.has(answer.retval)) return null;
  if (answer.retval !== '0' || !answer.operation) {
    throw new ProviderError(
      'definite',
      `x18_${answer.retval}`,
      `WebMoney X18 answered ${answer.retval}: ${answer.retdesc}`,
    );
  }
  const amountMinor = fromWebMoneyAmount(answer.operation.amount, currency);
  if (amountMinor === null) {
    throw new ProviderError('transient', 'malformed_response', 'WebMoney X18 answered an amount Kassa cannot read');
  }
  return { providerPaymentId: paymentNo, state: 'succeeded', amountMinor, currency };
}

/** The largest X14 `reqn`: an unsigned integer of at most 15 digits. */
const MAX_REQN = 999_999_999_999_999n;

/**
 * An X14 `reqn` from the clock: tenths of milliseconds since 2020 (15 digits for 3 000 years), at
 * least one more than `previous`, so every request of a process, retries included, is greater
 * than the one before, and a restarted process goes on from the clock.
 */
export function nextReqn(now: number, previous: bigint): bigint {
  const fromClock = (BigInt(Math.floor(now)) - 1_577_836_800_000n) * 10n;
  const reqn = fromClock > previous ? fromClock : previous + 1n;
  if (reqn > MAX_REQN) throw new ProviderError('definite', 'reqn_exhausted', 'X14 reqn would exceed 15 digits');
  return reqn;
}

/** An X14 request (`w3s.request`) under X.509 authorization: no `wmid`, no `sign`. */
export function x14Request(reqn: bigint, wmtranid: string, amount: string): string {
  return (
    '<w3s.request>' +
    `<reqn>${reqn}</reqn>` +
    `<trans><inwmtranid>${wmtranid}</inwmtranid><amount>${amount}</amount></trans>` +
    '</w3s.request>'
  );
}

export interface X14Answer {
  retval: string;
  retdesc: string;
  /** The refund operation made: its transaction id and amount. */
  operation: { id: string; amount: string } | null;
}

/** Reads a `w3s.response` of X14; null when the body is not one. */
export function parseX14Answer(xml: string): X14Answer | null {
  if (!/<w3s\.response[\s>]/.test(xml)) return null;
  const retval = xmlText(xml, 'retval');
  if (retval === null || !/^-?\d{1,6}$/.test(retval)) return null;
  const element = /<operation(\s[^>]*)?>([\s\S]*?)<\/operation>/.exec(xml);
  const operation = element
    ? { id: xmlAttribute(element[1] ?? '', 'id') ?? '', amount: xmlText(element[2]!, 'amount') ?? '' }
    : null;
  return { retval, retdesc: xmlText(xml, 'retdesc') ?? '', operation };
}
