import { ProviderError } from '../types';
import type { z } from 'zod';
import {
  sandboxCardTokenSchema,
  sandboxPaymentSchema,
  sandboxPayoutSchema,
  sandboxRefundSchema,
  sandboxReportSchema,
  type SandboxCardToken,
  type SandboxCreatePaymentRequest,
  type SandboxCreatePayoutRequest,
  type SandboxCreateRefundRequest,
  type SandboxPayment,
  type SandboxPayout,
  type SandboxRefund,
  type SandboxReport,
} from './mapper';
import { fetchFailure, retryAfter } from '../http-failures';

export interface SandboxClientOptions {
  /** Sandbox base URL, e.g. `http://127.0.0.1:4100`. */
  baseUrl: string;
  apiKey: string;
  /** Per request, headers and body together. Default 10 000. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export interface SandboxClient {
  /** Creates a payment, or returns the one already made under this key. */
  createPayment(idempotencyKey: string, body: SandboxCreatePaymentRequest): Promise<SandboxPayment>;
  /** `null` when the sandbox never saw the key. */
  findPaymentByKey(idempotencyKey: string): Promise<SandboxPayment | null>;
  /** Refunds (part of) a captured payment, or returns the refund already made under this key. */
  createRefund(idempotencyKey: string, body: SandboxCreateRefundRequest): Promise<SandboxRefund>;
  /** `null` when the sandbox does not know the refund. */
  findRefund(id: string): Promise<SandboxRefund | null>;
  /** `null` when the sandbox does not know the payout. */
  findPayout(id: string): Promise<SandboxPayout | null>;
  /** `null` when the sandbox does not know the token. */
  findCardToken(token: string): Promise<SandboxCardToken | null>;
  /** Pays out, or returns the payout already made under this key. */
  createPayout(idempotencyKey: string, body: SandboxCreatePayoutRequest): Promise<SandboxPayout>;
  report(from: Date, to: Date): Promise<SandboxReport>;
}

interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  idempotencyKey?: string;
  body?: unknown;
  /** A status that is an answer rather than an error, e.g. 404 for a lookup. */
  allowStatus?: number;
}

interface RawResponse {
  status: number;
  text: string;
  /** The provider's `Retry-After`, as the failure's options. */
  retryAfter?: { retryAfterMs: number };
}

/**
 * A failure once the request may have been sent: a create may have taken effect
 * (`indeterminate`); a read has no effect and is simply retried (`transient`).
 */
function afterSendKind(spec: RequestSpec): 'indeterminate' | 'transient' {
  return spec.method === 'POST' ? 'indeterminate' : 'transient';
}

export function createSandboxClient(opts: SandboxClientOptions): SandboxClient {
  const baseUrl = new URL(opts.baseUrl).href.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const fetchImpl = opts.fetchImpl ?? fetch;

  async function request(spec: RequestSpec): Promise<RawResponse> {
    const what = `sandbox ${spec.method} ${spec.path}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${opts.apiKey}`,
      accept: 'application/json',
    };
    if (spec.idempotencyKey !== undefined) headers['idempotency-key'] = spec.idempotencyKey;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';

    let response: RawResponse;
    try {
      const res = await fetchImpl(baseUrl + spec.path, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      response = { status: res.status, text: await res.text(), retryAfter: retryAfter(res.headers.get('retry-after')) };
    } catch (err) {
      throw fetchFailure(err, what, afterSendKind(spec), timeoutMs);
    }

    const { status } = response;
    if (status !== spec.allowStatus && (status < 200 || status > 299)) {
      const { code, message } = readError(response.text);
      const kind = status === 429 || status >= 500 ? 'transient' : 'definite';
      throw new ProviderError(
        kind,
        code ?? `http_${status}`,
        `${what}: HTTP ${status}${message ? `: ${message}` : ''}`,
        response.retryAfter,
      );
    }
    return response;
  }

  function read<T>(schema: z.ZodType<T>, spec: RequestSpec, response: RawResponse): T {
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      json = undefined;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ProviderError(
        afterSendKind(spec),
        'malformed_response',
        `sandbox ${spec.method} ${spec.path}: HTTP ${response.status} with an unexpected body`,
      );
    }
    return parsed.data;
  }

  const readPayment = (spec: RequestSpec, response: RawResponse): SandboxPayment =>
    read(sandboxPaymentSchema, spec, response);

  return {
    async createPayment(idempotencyKey, body) {
      const spec: RequestSpec = { method: 'POST', path: '/api/payments', idempotencyKey, body };
      return readPayment(spec, await request(spec));
    },
    async findPaymentByKey(idempotencyKey) {
      const spec: RequestSpec = {
        method: 'GET',
        path: `/api/payments/by-key/${encodeURIComponent(idempotencyKey)}`,
        allowStatus: 404,
      };
      const response = await request(spec);
      return response.status === 404 ? null : readPayment(spec, response);
    },
    async createRefund(idempotencyKey, body) {
      const spec: RequestSpec = { method: 'POST', path: '/api/refunds', idempotencyKey, body };
      return read(sandboxRefundSchema, spec, await request(spec));
    },
    async findRefund(id) {
      const spec: RequestSpec = { method: 'GET', path: `/api/refunds/${encodeURIComponent(id)}`, allowStatus: 404 };
      const response = await request(spec);
      return response.status === 404 ? null : read(sandboxRefundSchema, spec, response);
    },
    async findPayout(id) {
      const spec: RequestSpec = { method: 'GET', path: `/api/payouts/${encodeURIComponent(id)}`, allowStatus: 404 };
      const response = await request(spec);
      return response.status === 404 ? null : read(sandboxPayoutSchema, spec, response);
    },
    async findCardToken(token) {
      const spec: RequestSpec = {
        method: 'GET',
        path: `/api/card-tokens/${encodeURIComponent(token)}`,
        allowStatus: 404,
      };
      const response = await request(spec);
      return response.status === 404 ? null : read(sandboxCardTokenSchema, spec, response);
    },
    async createPayout(idempotencyKey, body) {
      const spec: RequestSpec = { method: 'POST', path: '/api/payouts', idempotencyKey, body };
      return read(sandboxPayoutSchema, spec, await request(spec));
    },
    async report(from, to) {
      const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
      const spec: RequestSpec = { method: 'GET', path: `/api/report?${query}` };
      return read(sandboxReportSchema, spec, await request(spec));
    },
  };
}

function readError(text: string): { code?: string; message?: string } {
  try {
    const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    return {
      ...(typeof error?.code === 'string' && { code: error.code }),
      ...(typeof error?.message === 'string' && { message: error.message }),
    };
  } catch {
    return {};
  }
}
