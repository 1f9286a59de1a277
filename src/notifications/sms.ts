/**
 * SMS through a generic HTTP gateway: the merchant gives a URL template, a method, an optional
 * body template and the header that carries the gateway credential. Templates name values in
 * braces (`{to}`, `{text}`, …); each is escaped for where it lands: percent-encoded in the URL and
 * in a form body, JSON-string-escaped in a JSON body, as is in a plain-text body.
 */
import type { SmsContentType, SmsSettings } from '../domain/channel';
import { DeliveryError } from './types';
import { callEndpoint } from './endpoint';

/** What a template may name. */
export const smsPlaceholders = [
  'to',
  'text',
  'shop',
  'order_id',
  'amount',
  'currency',
  'status',
  'method',
  'payment_id',
  'event_id',
  'event_type',
  'link',
] as const;
export type SmsValues = Record<(typeof smsPlaceholders)[number], string>;

const placeholder = /\{([a-z_]+)\}/g;

/** Values that look like real ones, to check a template before it is stored. */
export const sampleSmsValues: SmsValues = {
  to: '+79991234567',
  text: 'My shop: order A-1001 paid, 50.00 RUB by Card. https://pay.example/pay/pay_1',
  shop: 'My shop',
  order_id: 'A-1001',
  amount: '50.00',
  currency: 'RUB',
  status: 'paid',
  method: 'card',
  payment_id: 'pay_3kTMd2pL9sXq7vB1nW0e',
  event_id: 'evt_3kTMd2pL9sXq7vB1nW0e',
  event_type: 'payment.paid',
  link: 'https://pay.example/pay/pay_3kTMd2pL9sXq7vB1nW0e',
};

/** The placeholders a template uses that are not {@link smsPlaceholders}. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(placeholder)]
    .map((match) => match[1]!)
    .filter((name) => !(smsPlaceholders as readonly string[]).includes(name));
}

type Escape = (value: string) => string;
const escapes: Record<SmsContentType | 'url', Escape> = {
  url: encodeURIComponent,
  'application/x-www-form-urlencoded': encodeURIComponent,
  'application/json': (value) => JSON.stringify(value).slice(1, -1),
  'text/plain': (value) => value,
};

export function fillTemplate(template: string, values: SmsValues, where: SmsContentType | 'url'): string {
  return template.replace(placeholder, (whole, name: string) =>
    name in values ? escapes[where](values[name as keyof SmsValues]) : whole,
  );
}

/** The gateway request for `values`: URL, method, headers (credential included) and body. */
export function smsRequest(settings: SmsSettings, credential: string | null, values: SmsValues) {
  const headers: Record<string, string> = { 'user-agent': 'Kassa-Notifications/1' };
  if (credential) headers[settings.authHeader.toLowerCase()] = credential;
  const body =
    settings.method === 'POST' && settings.body !== null
      ? fillTemplate(settings.body, values, settings.contentType)
      : undefined;
  if (body !== undefined)
    headers['content-type'] =
      settings.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : settings.contentType;
  return { url: fillTemplate(settings.url, values, 'url'), method: settings.method, headers, body };
}

/** Sends one SMS through the gateway; any 2xx is sent. Throws {@link DeliveryError}. */
export async function sendSms(
  settings: SmsSettings,
  credential: string | null,
  values: SmsValues,
  options: { allowPrivate: boolean; timeoutMs: number },
): Promise<{ response: string }> {
  const { status, said } = await callEndpoint(smsRequest(settings, credential, values), 'the SMS gateway', options);
  if (status >= 200 && status < 300) return { response: `HTTP ${status}${said}` };
  const retryable = status >= 500 || status === 408 || status === 429;
  throw new DeliveryError(`SMS gateway answered HTTP ${status}${said}`, retryable ? 'transient' : 'definite');
}
