import type { z } from 'zod';
import { ProviderError } from '../types';
import {
  type YooKassaPayment,
  type YooKassaRefund,
  yookassaListSchema,
  yookassaPaymentSchema,
  yookassaRefundSchema,
} from './mapper';
import { fetchFailure, retryAfterMs } from '../http-failures';

/** YooKassa's API endpoint. */
export const YOOKASSA_API_BASE = 'https://api.yookassa.ru/v3';

export interface YooKassaClientOptions {
  shopId: string;
  secretKey: string;
  /** `https://api.yookassa.ru/v3` unless given (a simulator's `/v3`). */
  apiBase?: string;
  /** Per request. Default 10 000. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** How far back a lookup by key reaches: YooKassa keeps an idempotence key for 24 hours. */
const LOOKUP_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Pages of 100 a lookup reads before it gives up as unknown. */
const LOOKUP_PAGES = 10;

interface Spec {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  idempotenceKey?: string;
  body?: unknown;
}

interface Answer {
  status: number;
  json: unknown;
  retryAfter: string | null;
}

/** `Retry-After` (seconds or an HTTP date) or YooKassa's `retry_after` (milliseconds), as milliseconds. */
export function retryDelayMs(header: string | null, body: unknown, now = Date.now()): number | undefined {
  const fromHeader = retryAfterMs(header, new Date(now));
  if (fromHeader !== undefined) return fromHeader;
  const inBody = (body as { retry_after?: unknown } | null)?.retry_after;
  return typeof inBody === 'number' && Number.isSafeInteger(inBody) && inBody >= 0 ? inBody : undefined;
}

/**
 * A YooKassa answer other than 200 in Kassa's three kinds (YooKassa's response handling rules):
 * 202 (still processing: repeat with the same key after `retry_after`) and 429 are transient; 400,
 * 401, 403, 404, 405, 415 are definite (the request was refused, nothing happened); 500 and other
 * answers leave the outcome unknown: indeterminate for a POST, transient for a GET (a read changes nothing).
 */
export function classifyYooKassaAnswer(
  method: 'GET' | 'POST',
  status: number,
  body: unknown,
  retryAfter: string | null,
  what: string,
): ProviderError {
  const error = (body ?? {}) as { code?: unknown; description?: unknown; parameter?: unknown };
  const code = typeof error.code === 'string' ? error.code : `http_${status}`;
  const detail = [
    typeof error.description === 'string' ? error.description : undefined,
    typeof error.parameter === 'string' ? `(parameter ${error.parameter})` : undefined,
  ]
    .filter(Boolean)
    .join(' ');
  const message = `YooKassa ${what}: HTTP ${status}${detail ? `: ${detail}` : ''}`;
  const delay = retryDelayMs(retryAfter, body);
  const options = delay === undefined ? undefined : { retryAfterMs: delay };
  if (status === 202) return new ProviderError('transient', 'processing', message, options);
  if (status === 429) return new ProviderError('transient', 'too_many_requests', message, options);
  if (status >= 400 && status < 500) return new ProviderError('definite', code, message);
  return new ProviderError(method === 'POST' ? 'indeterminate' : 'transient', code, message, options);
}

/**
 * YooKassa's API v3 over HTTP: Basic auth with the shop id and secret key, JSON both ways, an
 * `Idempotence-Key` on every POST. Every failure is classified once as a {@link ProviderError}.
 */
export function createYooKassaClient(opts: YooKassaClientOptions) {
  const base = (opts.apiBase ?? YOOKASSA_API_BASE).replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const fetchImpl = opts.fetchImpl ?? fetch;
  const authorization = `Basic ${Buffer.from(`${opts.shopId}:${opts.secretKey}`).toString('base64')}`;

  async function send(spec: Spec): Promise<Answer> {
    const what = `${spec.method} ${spec.path}`;
    const after = spec.method === 'POST' ? 'indeterminate' : 'transient';
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    if (spec.idempotenceKey !== undefined) headers['idempotence-key'] = spec.idempotenceKey;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    const query = spec.query ? `?${new URLSearchParams(spec.query)}` : '';
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(base + spec.path + query, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw fetchFailure(error, `YooKassa ${what}`, after, timeoutMs);
    }
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: response.status, json, retryAfter: response.headers.get('retry-after') };
  }

  /** The object of a 200 answer; `null` for a 404 when `missingIsNull`. */
  async function call<T>(schema: z.ZodType<T>, spec: Spec, missingIsNull = false): Promise<T | null> {
    const answer = await send(spec);
    if (answer.status === 404 && missingIsNull) return null;
    if (answer.status !== 200)
      throw classifyYooKassaAnswer(
        spec.method,
        answer.status,
        answer.json,
        answer.retryAfter,
        `${spec.method} ${spec.path}`,
      );
    const parsed = schema.safeParse(answer.json);
    if (!parsed.success)
      throw new ProviderError(
        spec.method === 'POST' ? 'indeterminate' : 'transient',
        'unexpected_response',
        `YooKassa ${spec.method} ${spec.path}: an unreadable answer`,
      );
    return parsed.data;
  }

  const must = <T>(value: T | null): T => value!;

  /** The first item `matches` accepts among everything a list pages through (newest first), within a day. */
  async function scan<T>(
    path: string,
    schema: z.ZodType<T>,
    matches: (item: T) => boolean,
    now: Date,
  ): Promise<T | null> {
    let cursor: string | undefined;
    const since = new Date(now.getTime() - LOOKUP_WINDOW_MS).toISOString();
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const list = must(
        await call(yookassaListSchema, {
          method: 'GET',
          path,
          query: { 'created_at.gte': since, limit: '100', ...(cursor && { cursor }) },
        }),
      );
      for (const value of list.items) {
        const parsed = schema.safeParse(value);
        if (parsed.success && matches(parsed.data)) return parsed.data;
      }
      if (!list.next_cursor) return null;
      cursor = list.next_cursor;
    }
    throw new ProviderError('indeterminate', 'lookup_incomplete', `more than ${LOOKUP_PAGES * 100} objects in a day`);
  }

  const id = (value: string) => encodeURIComponent(value);

  return {
    createPayment: async (body: unknown, idempotenceKey: string): Promise<YooKassaPayment> =>
      must(await call(yookassaPaymentSchema, { method: 'POST', path: '/payments', idempotenceKey, body })),

    getPayment: (paymentId: string): Promise<YooKassaPayment | null> =>
      call(yookassaPaymentSchema, { method: 'GET', path: `/payments/${id(paymentId)}` }, true),

    /** Captures the whole authorized amount of a payment `waiting_for_capture`. */
    capturePayment: async (paymentId: string, idempotenceKey: string): Promise<YooKassaPayment> =>
      must(
        await call(yookassaPaymentSchema, {
          method: 'POST',
          path: `/payments/${id(paymentId)}/capture`,
          idempotenceKey,
          body: {},
        }),
      ),

    /** Cancels a payment `waiting_for_capture` (the authorized money goes back to the buyer). */
    cancelPayment: async (paymentId: string, idempotenceKey: string): Promise<YooKassaPayment> =>
      must(
        await call(yookassaPaymentSchema, {
          method: 'POST',
          path: `/payments/${id(paymentId)}/cancel`,
          idempotenceKey,
          body: {},
        }),
      ),

    /** The day's payment `matches` accepts, `null` when YooKassa has none. */
    findPayment: (matches: (payment: YooKassaPayment) => boolean, now = new Date()) =>
      scan('/payments', yookassaPaymentSchema, matches, now),

    createRefund: async (body: unknown, idempotenceKey: string): Promise<YooKassaRefund> =>
      must(await call(yookassaRefundSchema, { method: 'POST', path: '/refunds', idempotenceKey, body })),

    getRefund: (refundId: string): Promise<YooKassaRefund | null> =>
      call(yookassaRefundSchema, { method: 'GET', path: `/refunds/${id(refundId)}` }, true),

    findRefund: (matches: (refund: YooKassaRefund) => boolean, now = new Date()) =>
      scan('/refunds', yookassaRefundSchema, matches, now),
  };
}

export type YooKassaClient = ReturnType<typeof createYooKassaClient>;
