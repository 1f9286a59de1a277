import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new Standard Webhooks secret: `whsec_` and base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function secretKey(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

/**
 * `webhook-signature` per Standard Webhooks: `v1,` and the base64 HMAC-SHA256 of
 * `{id}.{timestamp}.{body}`, keyed with the decoded secret.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${digest}`;
}

export function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
): boolean {
  const expected = Buffer.from(signWebhook(secret, headers.id, Number(headers.timestamp), body));
  return headers.signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * The signature on the buyer's link back to the shop: hex HMAC-SHA256, keyed with the decoded
 * checkout secret, over `payment_id.order_id.status`.
 */
export function signReturn(secret: string, fields: { paymentId: string; orderId: string; status: string }): string {
  return createHmac('sha256', secretKey(secret))
    .update(`${fields.paymentId}.${fields.orderId}.${fields.status}`)
    .digest('hex');
}

/** A download token for a paid payment, valid until `expiresAt` (unix seconds). */
export function signDownload(secret: string, paymentId: string, expiresAt: number): string {
  return createHmac('sha256', secretKey(secret)).update(`download.${paymentId}.${expiresAt}`).digest('hex');
}

export function safeEqualHex(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * `webhook-signature` signed with every secret in `secrets`: space-separated `v1,` entries, in
 * the order given. While a rotated secret is still valid both sign, so a receiver that knows
 * either accepts the message (Standard Webhooks).
 */
export function signWebhookWithAll(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets.map((secret) => signWebhook(secret, id, timestamp, body)).join(' ');
}

/** The headers of a webhook POST (Standard Webhooks): JSON, Kassa's user agent, id, timestamp and the signatures. */
export function webhookHeaders(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Kassa-Webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhookWithAll(secrets, id, timestamp, body),
  };
}
