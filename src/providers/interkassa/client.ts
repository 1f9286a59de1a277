/**
 * Interkassa's REST API (`https://api.interkassa.com/v1`): HTTP Basic with the API user's id and
 * key, `Ik-Api-Account-Id` naming the business account where one is set; every answer is
 * `{status, code, data, message}` with `code` 0 on success. Each failure is classified once.
 */
import type { z } from 'zod';
import { ProviderError } from '../types';
import { invoiceSchema, refundSchema, type InterkassaInvoice, type InterkassaRefund } from './mapper';
import { fetchFailure, retryAfter } from '../http-failures';

export interface InterkassaClientOptions {
  /** e.g. `https://api.interkassa.com/v1`. */
  apiUrl: string;
  apiUserId: string;
  apiKey: string;
  /** `Ik-Api-Account-Id`; unset: not sent. */
  apiAccountId?: string;
  /** Per request. Default 10 000. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export interface InterkassaClient {
  /** `null` when Interkassa does not know the invoice. */
  invoice(id: string): Promise<InterkassaInvoice | null>;
  /** The checkout's invoices with this payment number, newest first. */
  invoicesByPaymentNo(checkoutId: string, paymentNo: string): Promise<InterkassaInvoice[]>;
  /** Refunds (part of) a paid invoice; `merchantOrderId` is Kassa's refund id. */
  refund(input: {
    invoiceId: string;
    amount: string;
    merchantOrderId: string;
    description: string;
  }): Promise<InterkassaRefund>;
}

interface Envelope {
  status?: unknown;
  code?: unknown;
  data?: unknown;
  message?: unknown;
}

function envelopeOf(text: string): Envelope | null {
  try {
    const json = JSON.parse(text) as unknown;
    return json && typeof json === 'object' ? (json as Envelope) : null;
  } catch {
    return null;
  }
}

function messageOf(envelope: Envelope | null): string {
  const data = envelope?.data as { '@resultMessage'?: unknown } | undefined;
  const message = data?.['@resultMessage'] ?? envelope?.message;
  return typeof message === 'string' ? message.slice(0, 200) : '';
}

export function createInterkassaClient(opts: InterkassaClientOptions): InterkassaClient {
  const apiUrl = new URL(opts.apiUrl).href.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const fetchImpl = opts.fetchImpl ?? fetch;
  const authorization = `Basic ${Buffer.from(`${opts.apiUserId}:${opts.apiKey}`, 'utf8').toString('base64')}`;

  /** The `data` of a successful answer; `null` for a 404 when `notFoundIsNull`. */
  async function call(
    method: 'GET' | 'POST',
    path: string,
    form?: Record<string, string>,
    notFoundIsNull = false,
  ): Promise<unknown> {
    const what = `interkassa ${method} ${path.split('?')[0]}`;
    // A read changes nothing and is simply retried; a refund sent may have taken effect.
    const afterSend = method === 'POST' ? 'indeterminate' : 'transient';
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    if (opts.apiAccountId) headers['ik-api-account-id'] = opts.apiAccountId;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    let status: number;
    let text: string;
    let retryAfterHeader: string | null;
    try {
      const res = await fetchImpl(apiUrl + path, {
        method,
        headers,
        body: form ? new URLSearchParams(form).toString() : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      retryAfterHeader = res.headers.get('retry-after');
      text = await res.text();
    } catch (err) {
      throw fetchFailure(err, what, afterSend, timeoutMs);
    }
    const envelope = envelopeOf(text);
    if (status === 404 && notFoundIsNull) return null;
    if (status === 429 || status === 503) {
      throw new ProviderError(
        'transient',
        status === 429 ? 'rate_limited' : 'unavailable',
        `${what}: HTTP ${status}`,
        retryAfter(retryAfterHeader),
      );
    }
    if (status >= 500) throw new ProviderError(afterSend, `http_${status}`, `${what}: HTTP ${status}`);
    if (status === 401 || status === 403)
      throw new ProviderError('definite', 'unauthorized', `${what}: HTTP ${status} ${messageOf(envelope)}`.trim());
    if (status < 200 || status > 299)
      throw new ProviderError('definite', `http_${status}`, `${what}: HTTP ${status} ${messageOf(envelope)}`.trim());
    if (!envelope) throw new ProviderError(afterSend, 'malformed_response', `${what}: the answer is not JSON`);
    if (String(envelope.code) !== '0')
      throw new ProviderError('definite', `interkassa_${String(envelope.code)}`, `${what}: ${messageOf(envelope)}`);
    return envelope.data;
  }

  function parse<T>(schema: z.ZodType<T>, value: unknown, what: string, kind: 'transient' | 'indeterminate'): T {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new ProviderError(kind, 'malformed_response', `interkassa ${what}: unexpected data`);
    return parsed.data;
  }

  return {
    async invoice(id) {
      const data = await call('GET', `/co-invoice/${encodeURIComponent(id)}`, undefined, true);
      return data === null ? null : parse(invoiceSchema, data, 'co-invoice', 'transient');
    },
    async invoicesByPaymentNo(checkoutId, paymentNo) {
      const query = new URLSearchParams({ checkoutId, paymentNo });
      const data = await call('GET', `/co-invoice?${query}`);
      const list = Array.isArray(data) ? data : data && typeof data === 'object' ? Object.values(data) : [];
      return list
        .map((item) => parse(invoiceSchema, item, 'co-invoice', 'transient'))
        .filter((invoice) => invoice.coId === checkoutId && invoice.paymentNo === paymentNo)
        .sort((a, b) => (BigInt(/^\d+$/.test(b.id) ? b.id : '0') > BigInt(/^\d+$/.test(a.id) ? a.id : '0') ? 1 : -1));
    },
    async refund(input) {
      const form = {
        id: input.invoiceId,
        amount: input.amount,
        merchantOrderId: input.merchantOrderId,
        description: input.description,
      };
      const data = await call('POST', '/refund', form);
      return parse(refundSchema, data, 'refund', 'indeterminate');
    },
  };
}
