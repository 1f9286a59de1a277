import { createHmac } from 'node:crypto';

/** The header every callback carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export const SIGNATURE_HEADER = 'sandbox-signature';

/** The header value for `body` signed at unix second `t` with the merchant's webhook secret. */
export function signatureHeader(secret: string, body: string, t: number): string {
  const v1 = createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
  return `t=${t},v1=${v1}`;
}
