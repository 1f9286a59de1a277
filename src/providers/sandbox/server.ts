import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { SandboxEvent, SandboxPayment, SandboxStatus } from './mapper';
import { SANDBOX_SIGNATURE_HEADER, signSandboxPayload } from './webhook';

export interface SandboxOptions {
  /** Expected in `Authorization: Bearer <apiKey>` on every `/api` route. */
  apiKey: string;
  /** Key of the HMAC in each callback's `Sandbox-Signature`. */
  webhookSecret: string;
  /** One line per notable event (payments, callback attempts). Silent when absent. */
  log?: (line: string) => void;
  /** Waits before each callback retry. Default 500, 1000, 2000, 4000, 8000 ms (5 retries). */
  retryDelaysMs?: readonly number[];
  /** Per callback attempt. Default 10 000. */
  callbackTimeoutMs?: number;
}

/** The sandbox's express app plus a way to stop its scheduled and in-flight callbacks. */
export type SandboxApp = Express & { stopCallbacks(): void };

export interface SandboxServer {
  url: string;
  port: number;
  /** Stops callbacks, drops open connections and stops listening. */
  close(): Promise<void>;
}

const DEFAULT_RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000] as const;

const referenceSchema = z.string().regex(/^pay_[A-Za-z0-9_-]{1,100}$/, 'must be a Kassa payment id (pay_…)');
const httpUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2048, 'must be at most 2048 characters');

const createPaymentSchema = z.strictObject({
  reference: referenceSchema,
  method: z.enum(['sandbox_card', 'sandbox_wallet'], 'must be sandbox_card or sandbox_wallet'),
  amount_minor: z
    .string('must be a string of digits')
    .regex(/^[1-9][0-9]{0,17}$/, 'must be a positive integer in minor units, as a string of digits'),
  currency: z.string('must be a string').regex(/^[A-Z]{3}$/, 'must be 3 upper-case letters'),
  description: z.string('must be a string').max(1000, 'must be at most 1000 characters'),
  return_url: httpUrlSchema,
  callback_url: httpUrlSchema,
});
type CreatePaymentBody = z.infer<typeof createPaymentSchema>;

const faultSchema = z.strictObject({
  reference: referenceSchema.optional(),
  delay_ms: z.number().int().min(0).max(60_000).optional(),
  duplicate: z.number().int().min(0).max(10).optional(),
  drop: z.boolean().optional(),
  wrong_amount: z.boolean().optional(),
  reorder: z.boolean().optional(),
});
type Fault = Omit<z.infer<typeof faultSchema>, 'reference'>;

interface StoredPayment {
  id: string;
  reference: string;
  method: string;
  status: SandboxStatus;
  /** What the buyer was asked to pay. */
  requestedAmountMinor: string;
  /** What was captured: differs from the request only under the `wrong_amount` fault. */
  amountMinor: string;
  currency: string;
  description: string;
  returnUrl: string;
  callbackUrl: string;
  checkoutUrl: string;
  createdAt: Date;
  declineReason?: string;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

function unixSeconds(date = new Date()): number {
  return Math.floor(date.getTime() / 1000);
}

function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    throw new ApiError(400, 'invalid_request_error', 'unknown_field', `${key} is not a known field`, key);
  }
  if (issue.path.length === 0) {
    throw new ApiError(400, 'invalid_request_error', 'invalid_body', 'the body must be a JSON object');
  }
  const param = issue.path.join('.');
  const code = issue.code === 'invalid_type' && input !== null && typeof input === 'object' && !(param in input)
    ? 'missing_field'
    : 'invalid_field';
  const message = code === 'missing_field' ? `${param} is required` : `${param}: ${issue.message}`;
  throw new ApiError(400, 'invalid_request_error', code, message, param);
}

function canonicalJson(value: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(value).sort().map((key) => [key, value[key]]));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatAmount(amountMinor: string, currency: string): string {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  if (digits === 0) return `${amountMinor} ${currency}`;
  const padded = amountMinor.padStart(digits + 1, '0');
  return `${padded.slice(0, -digits)}.${padded.slice(-digits)} ${currency}`;
}

function sendPage(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
        '<meta name="viewport" content="width=device-width, initial-scale=1">' +
        '<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}' +
        'form{display:inline-block;margin-right:.5rem}button{font-size:1rem;padding:.5rem 1.25rem}</style>' +
        `</head><body>${body}</body></html>`,
    );
}

/** Timers and fetches of scheduled callbacks, all cancelled by {@link stop}. */
class CallbackScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();
  private readonly controller = new AbortController();

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Resolves `true` after `ms`, or `false` as soon as the scheduler stops. */
  sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.wakers.delete(wake);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.wakers.delete(wake);
        resolve(true);
      }, ms);
      this.timers.add(timer);
      this.wakers.add(wake);
    });
  }

  stop(): void {
    this.controller.abort();
    for (const wake of [...this.wakers]) wake();
  }
}

/**
 * Builds the sandbox provider's HTTP app without listening: its API under `/api`, the buyer's
 * hosted page under `/checkout`, and signed callbacks to each payment's `callback_url`.
 */
export function createSandboxApp(opts: SandboxOptions): SandboxApp {
  const log = opts.log ?? (() => undefined);
  const retryDelaysMs = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const callbackTimeoutMs = opts.callbackTimeoutMs ?? 10_000;
  const apiKeyDigest = createHash('sha256').update(opts.apiKey).digest();
  const scheduler = new CallbackScheduler();

  const payments = new Map<string, StoredPayment>();
  const byKey = new Map<string, { fingerprint: string; paymentId: string }>();
  const faultsByReference = new Map<string, Fault>();
  let defaultFault: Fault = {};

  function view(payment: StoredPayment): SandboxPayment {
    return {
      id: payment.id,
      reference: payment.reference,
      method: payment.method,
      status: payment.status,
      amount_minor: payment.amountMinor,
      currency: payment.currency,
      checkout_url: payment.checkoutUrl,
      created_at: payment.createdAt.toISOString(),
      ...(payment.declineReason !== undefined && { decline_reason: payment.declineReason }),
    };
  }

  function findPayment(id: string): StoredPayment {
    const payment = payments.get(id);
    if (!payment) throw new ApiError(404, 'invalid_request_error', 'not_found', `no payment ${id}`, 'id');
    return payment;
  }

  function eventOf(payment: StoredPayment, status: SandboxStatus, created: number): SandboxEvent {
    const final = status !== 'pending';
    return {
      id: newId('sevt'),
      type: `payment.${status}`,
      created,
      data: {
        id: payment.id,
        reference: payment.reference,
        status,
        amount_minor: final ? payment.amountMinor : payment.requestedAmountMinor,
        currency: payment.currency,
        ...(final && payment.declineReason !== undefined && { decline_reason: payment.declineReason }),
      },
    };
  }

  /** One event, re-signed per attempt; retried on a network error or a non-2xx answer. */
  async function deliver(url: string, event: SandboxEvent): Promise<void> {
    const body = JSON.stringify(event);
    const attempts = retryDelaysMs.length + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1 && !(await scheduler.sleep(retryDelaysMs[attempt - 2]!))) return;
      if (scheduler.stopped) return;
      let outcome: string;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'kassa-sandbox-provider',
            [SANDBOX_SIGNATURE_HEADER]: signSandboxPayload(opts.webhookSecret, body, unixSeconds()),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([AbortSignal.timeout(callbackTimeoutMs), scheduler.signal]),
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) {
          log(`callback ${event.id} ${event.type} for ${event.data.id} delivered (attempt ${attempt}, HTTP ${res.status})`);
          return;
        }
        outcome = `HTTP ${res.status}`;
      } catch (err) {
        if (scheduler.stopped) return;
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        outcome = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
      }
      log(`callback ${event.id} ${event.type} for ${event.data.id} attempt ${attempt}/${attempts} failed: ${outcome}`);
    }
    log(`callback ${event.id} for ${url} given up after ${attempts} attempts`);
  }

  function scheduleCallbacks(payment: StoredPayment, fault: Fault): void {
    if (fault.drop) {
      log(`callback for ${payment.id} dropped (fault)`);
      return;
    }
    const final = eventOf(payment, payment.status, unixSeconds());
    const events = [final, ...Array.from({ length: fault.duplicate ?? 0 }, () => final)];
    if (fault.reorder) {
      events.push(eventOf(payment, 'pending', Math.min(unixSeconds(payment.createdAt), final.created - 1)));
    }
    void (async () => {
      if (!(await scheduler.sleep(fault.delay_ms ?? 0))) return;
      for (const event of events) {
        await deliver(payment.callbackUrl, event);
        if (scheduler.stopped) return;
      }
    })().catch((err: unknown) => log(`callbacks for ${payment.id} failed: ${String(err)}`));
  }

  const requireApiKey: RequestHandler = (req, _res, next) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const given = createHash('sha256').update(match?.[1] ?? '').digest();
    if (!match || !timingSafeEqual(given, apiKeyDigest)) {
      throw new ApiError(401, 'auth_error', 'unauthorized', 'a valid "Authorization: Bearer <api key>" header is required');
    }
    next();
  };

  const settle = (status: 'succeeded' | 'declined'): RequestHandler => (req, res) => {
    const payment = payments.get(String(req.params.id));
    if (!payment) return sendPage(res, 404, 'Not found', '<h1>Payment not found</h1>');
    if (payment.status !== 'pending') {
      return sendPage(res, 409, 'Already final', `<h1>This payment is already ${escapeHtml(payment.status)}</h1>`);
    }
    const fault = faultsByReference.get(payment.reference) ?? defaultFault;
    payment.status = status;
    if (status === 'declined') payment.declineReason = 'card_declined';
    if (status === 'succeeded' && fault.wrong_amount) {
      payment.amountMinor = (BigInt(payment.requestedAmountMinor) + 100n).toString();
    }
    log(`payment ${payment.id} (${payment.reference}) ${status}`);
    scheduleCallbacks(payment, fault);
    res.redirect(303, payment.returnUrl);
  };

  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.use('/api', requireApiKey, express.json({ limit: '64kb' }));

  app.post('/api/payments', (req, res) => {
    const key = req.get('idempotency-key');
    if (key === undefined || key.length === 0) {
      throw new ApiError(400, 'invalid_request_error', 'missing_field', 'the Idempotency-Key header is required', 'Idempotency-Key');
    }
    if (key.length > 255) {
      throw new ApiError(400, 'invalid_request_error', 'invalid_field', 'Idempotency-Key is longer than 255 characters', 'Idempotency-Key');
    }
    const body: CreatePaymentBody = parseInput(createPaymentSchema, req.body);
    const fingerprint = canonicalJson(body);

    const known = byKey.get(key);
    if (known) {
      if (known.fingerprint !== fingerprint) {
        throw new ApiError(
          422,
          'idempotency_error',
          'idempotency_mismatch',
          'this Idempotency-Key was used with a different body',
          'Idempotency-Key',
        );
      }
      res.status(200).json(view(findPayment(known.paymentId)));
      return;
    }

    const id = newId('sp');
    const payment: StoredPayment = {
      id,
      reference: body.reference,
      method: body.method,
      status: 'pending',
      requestedAmountMinor: body.amount_minor,
      amountMinor: body.amount_minor,
      currency: body.currency,
      description: body.description,
      returnUrl: body.return_url,
      callbackUrl: body.callback_url,
      checkoutUrl: `http://${req.headers.host ?? 'localhost'}/checkout/${id}`,
      createdAt: new Date(),
    };
    payments.set(id, payment);
    byKey.set(key, { fingerprint, paymentId: id });
    log(`payment ${id} created for ${payment.reference}: ${payment.amountMinor} ${payment.currency} (${payment.method})`);
    res.status(201).json(view(payment));
  });

  app.get('/api/payments/by-key/:key', (req, res) => {
    const known = byKey.get(String(req.params.key));
    if (!known) throw new ApiError(404, 'invalid_request_error', 'not_found', 'no payment under this Idempotency-Key', 'key');
    res.json(view(findPayment(known.paymentId)));
  });

  app.get('/api/payments/:id', (req, res) => {
    res.json(view(findPayment(String(req.params.id))));
  });

  app.post('/api/faults', (req, res) => {
    const { reference, ...fault } = parseInput(faultSchema, req.body ?? {});
    if (reference === undefined) defaultFault = fault;
    else faultsByReference.set(reference, fault);
    log(`faults for ${reference ?? 'all payments'}: ${JSON.stringify(fault)}`);
    res.status(204).end();
  });

  app.delete('/api/faults', (_req, res) => {
    faultsByReference.clear();
    defaultFault = {};
    log('faults cleared');
    res.status(204).end();
  });

  app.use('/api', () => {
    throw new ApiError(404, 'invalid_request_error', 'not_found', 'no such route');
  });

  app.get('/checkout/:id', (req, res) => {
    const payment = payments.get(String(req.params.id));
    if (!payment) return sendPage(res, 404, 'Not found', '<h1>Payment not found</h1>');
    const amount = escapeHtml(formatAmount(payment.amountMinor, payment.currency));
    const action = `/checkout/${encodeURIComponent(payment.id)}`;
    const forms =
      payment.status === 'pending'
        ? `<form method="post" action="${action}/approve"><button>Approve</button></form>` +
          `<form method="post" action="${action}/decline"><button>Decline</button></form>`
        : `<p>This payment is already ${escapeHtml(payment.status)}.</p>`;
    sendPage(
      res,
      200,
      `Sandbox payment ${amount}`,
      '<p><small>Sandbox provider: no real money moves.</small></p>' +
        `<h1>${amount}</h1><p>${escapeHtml(payment.description)}</p>` +
        `<p>Method: ${escapeHtml(payment.method)} · Amount in minor units: ${escapeHtml(payment.amountMinor)} ${escapeHtml(payment.currency)}</p>` +
        forms,
    );
  });

  app.post('/checkout/:id/approve', settle('succeeded'));
  app.post('/checkout/:id/decline', settle('declined'));

  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const api = req.originalUrl.startsWith('/api');
    let error: ApiError;
    if (err instanceof ApiError) {
      error = err;
    } else if ((err as { type?: unknown }).type === 'entity.parse.failed') {
      error = new ApiError(400, 'invalid_request_error', 'invalid_json', 'the body is not valid JSON');
    } else if (typeof (err as { status?: unknown }).status === 'number' && (err as { status: number }).status < 500) {
      const status = (err as { status: number }).status;
      error = new ApiError(status, 'invalid_request_error', `http_${status}`, (err as Error).message);
    } else {
      log(`internal error on ${req.method} ${req.originalUrl}: ${err instanceof Error ? err.stack : String(err)}`);
      error = new ApiError(500, 'api_error', 'internal_error', 'internal error');
    }
    if (res.headersSent) return;
    if (!api) return sendPage(res, error.status, 'Error', `<h1>${escapeHtml(error.message)}</h1>`);
    res.status(error.status).json({
      error: {
        type: error.type,
        code: error.code,
        message: error.message,
        ...(error.param !== undefined && { param: error.param }),
      },
    });
  };
  app.use(onError);

  return Object.assign(app, { stopCallbacks: () => scheduler.stop() });
}

/** Listens on `host:port` (port 0 picks a free one). Rejects with the listen error, e.g. EADDRINUSE. */
export async function startSandboxServer(
  opts: SandboxOptions & { port: number; host?: string },
): Promise<SandboxServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = createSandboxApp(opts);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        app.stopCallbacks();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
