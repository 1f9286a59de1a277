import { createHash, timingSafeEqual } from 'node:crypto';

/** The notification's `LMI_HASH` fields in WebMoney's order; the purse's Secret Key is the eighth. */
export const HASH_ORDER = [
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

export type HashMethod = 'sha256' | 'md5';

/** Upper-case hex MD5 or SHA-256 of the {@link HASH_ORDER} values concatenated. */
export function lmiHash(fields: Record<string, string>, secretKey: string, method: HashMethod): string {
  const text = HASH_ORDER.map((name) => (name === 'LMI_SECRET_KEY' ? secretKey : (fields[name] ?? ''))).join('');
  return createHash(method).update(text, 'utf8').digest('hex').toUpperCase();
}

export const PURSE = /^[A-Z]\d{12}$/;
/** `LMI_PAYMENT_NO`: an integer from 0 to 2147483647. */
export const isPaymentNo = (value: string) => /^\d{1,10}$/.test(value) && BigInt(value) <= 2_147_483_647n;
/** `LMI_PAYMENT_AMOUNT`: a positive amount with a point and at most two decimals. */
export const isAmount = (value: string) => /^\d{1,12}(\.\d{1,2})?$/.test(value) && /[1-9]/.test(value);

export const toMinor = (amount: string) => {
  const [whole, fraction = ''] = amount.split('.');
  return (BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'))).toString();
};
export const fromMinor = (minor: string) => {
  const value = BigInt(minor);
  return `${value / 100n}.${(value % 100n).toString().padStart(2, '0')}`;
};

/** `YYYYMMDD HH:MM:SS` in Moscow time (UTC+3), as WebMoney dates its operations. */
export function moscowDate(date: Date): string {
  const moscow = new Date(date.getTime() + 3 * 3_600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${moscow.getUTCFullYear()}${two(moscow.getUTCMonth() + 1)}${two(moscow.getUTCDate())} ` +
    `${two(moscow.getUTCHours())}:${two(moscow.getUTCMinutes())}:${two(moscow.getUTCSeconds())}`
  );
}

/** Constant-time comparison of two hex digests, case-insensitive. */
export function sameDigest(given: string, expected: string): boolean {
  const a = Buffer.from(given.toLowerCase());
  const b = Buffer.from(expected.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** The text of `<tag>` in an X18 request, or null. */
export const xmlField = (xml: string, tag: string) =>
  new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1]?.trim() ?? null;

export interface X18Operation {
  wmtransid: string;
  wminvoiceid: string;
  amount: string;
  operdate: string;
  purpose: string;
  pursefrom: string;
  wmidfrom: string;
}

/** A `merchant.response`: `retval` 0 with the operation, or another `retval` with `retdesc`. */
export function x18Response(retval: number, retdesc: string, operation?: X18Operation): string {
  const op = operation
    ? `<operation wmtransid="${operation.wmtransid}" wminvoiceid="${operation.wminvoiceid}">` +
      `<amount>${operation.amount}</amount><operdate>${operation.operdate}</operdate>` +
      `<purpose>${escapeXml(operation.purpose)}</purpose><pursefrom>${operation.pursefrom}</pursefrom>` +
      `<wmidfrom>${operation.wmidfrom}</wmidfrom><capitallerflag>0</capitallerflag><enumflag>0</enumflag>` +
      `<IPAddress>127.0.0.1</IPAddress><telepat_phone></telepat_phone><telepat_paytype>null</telepat_paytype>` +
      `<paymer_number></paymer_number><paymer_email></paymer_email><paymer_type>null</paymer_type>` +
      `<cashier_number></cashier_number><cashier_date></cashier_date><cashier_amount>-1</cashier_amount>` +
      `<sdp_type></sdp_type><sdp_phone></sdp_phone></operation>`
    : '';
  return `<?xml version="1.0"?><merchant.response>${op}<retval>${retval}</retval><retdesc>${escapeXml(retdesc)}</retdesc></merchant.response>`;
}

/** An X14 `w3s.response`: `retval` 0 with the refund operation, or another `retval` with `retdesc`. */
export function x14Response(
  reqn: string,
  retval: number,
  retdesc: string,
  operation?: {
    id: string;
    inwmtranid: string;
    pursesrc: string;
    pursedest: string;
    amount: string;
    date: string;
  },
): string {
  const op = operation
    ? `<operation id="${operation.id}" ts="${operation.id}"><inwmtranid>${operation.inwmtranid}</inwmtranid>` +
      `<pursesrc>${operation.pursesrc}</pursesrc><pursedest>${operation.pursedest}</pursedest>` +
      `<amount>${operation.amount}</amount><comiss>0.00</comiss><desc>Moneyback of transaction ${operation.inwmtranid}</desc>` +
      `<datecrt>${operation.date}</datecrt><dateupd>${operation.date}</dateupd></operation>`
    : '';
  return `<?xml version="1.0"?><w3s.response><reqn>${escapeXml(reqn)}</reqn><retval>${retval}</retval><retdesc>${escapeXml(retdesc)}</retdesc>${op}</w3s.response>`;
}
