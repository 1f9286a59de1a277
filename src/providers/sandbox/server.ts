import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type {
  SandboxCardToken,
  SandboxEvent,
  SandboxPayment,
  SandboxPayout,
  SandboxRefund,
  SandboxReport,
  SandboxStatus,
} from './mapper';
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
  /** Refunds of the payment (or of every payment) come back `failed` with `refund_declined`. */
  refund_fails: z.boolean().optional(),
});
type Fault = Omit<z.infer<typeof faultSchema>, 'reference'>;

const idempotencyKeySchema = z.string().min(1).max(255);
const amountMinorSchema = z
  .string('must be a string of digits')
  .regex(/^[1-9][0-9]{0,17}$/, 'must be a positive integer in minor units, as a string of digits');

const createRefundSchema = z.strictObject({
  payment_id: z.string('must be a string').regex(/^sp_[0-9a-f]{1,64}$/, 'must be a sandbox payment id (sp_…)'),
  amount_minor: amountMinorSchema,
  /** Kassa's refund id, listed in the report. */
  reference: z.string('must be a string').regex(/^re_[A-Za-z0-9_-]{1,100}$/, 'must be a Kassa refund id (re_…)'),
});

const walletIdSchema = z
  .string('must be a string')
  .regex(/^[A-Za-z0-9_-]{3,64}$/, 'must be 3 to 64 letters, digits, _ or -');
const destinationSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('card'),
      token: z.string('must be a string').regex(/^ctok_[0-9a-f]{1,64}$/, 'must be a card token (ctok_…)'),
    }),
    z.strictObject({ type: z.literal('wallet'), wallet_id: walletIdSchema }),
  ],
  'must be {"type":"card","token"} or {"type":"wallet","wallet_id"}',
);

const createPayoutSchema = z.strictObject({
  reference: z.string('must be a string').regex(/^po_[A-Za-z0-9_-]{1,100}$/, 'must be a Kassa payout id (po_…)'),
  amount_minor: amountMinorSchema,
  currency: z.string('must be a string').regex(/^[A-Z]{3}$/, 'must be 3 upper-case letters'),
  destination: destinationSchema,
});

const cardSchema = z.strictObject({
  number: z
    .string('must be a string of digits')
    .regex(/^[0-9]{12,19}$/, 'must be 12 to 19 digits')
    .refine(luhnValid, 'is not a valid card number (Luhn check)'),
  exp_month: z.coerce.number('must be a month from 1 to 12').int().min(1).max(12),
  exp_year: z.coerce.number('must be a four-digit year').int().min(2000).max(2100),
});

const reportQuerySchema = z.strictObject({
  from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }),
  to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }),
});

/**
 * Test card numbers and wallets whose payouts always fail (documented in the module's header):
 * card `4000000000000002` (declined by the bank), any wallet id starting with `fail`.
 */
export const SANDBOX_FAILING_CARD = '4000000000000002';
const failingWallet = (walletId: string) => walletId.startsWith('fail');

/** The bank's fee on a payout: 1 % of the amount to a card (rounded half-up), nothing to a wallet. */
export function sandboxPayoutFee(amountMinor: bigint, destination: 'card' | 'wallet'): bigint {
  return destination === 'card' ? (amountMinor + 50n) / 100n : 0n;
}

function luhnValid(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

interface StoredRefund {
  id: string;
  paymentId: string;
  reference: string;
  amountMinor: string;
  currency: string;
  status: 'succeeded' | 'failed';
  failureReason?: string;
  createdAt: Date;
}

interface StoredPayout {
  id: string;
  reference: string;
  amountMinor: string;
  feeMinor: string;
  currency: string;
  destination: { type: 'card'; token: string; last4: string } | { type: 'wallet'; walletId: string };
  status: 'paid' | 'failed';
  failureReason?: string;
  createdAt: Date;
}

interface StoredCardToken {
  token: string;
  last4: string;
  brand: string;
  /** Payouts to it fail (the test number {@link SANDBOX_FAILING_CARD}). */
  fails: boolean;
}

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
  /** When the buyer approved: the capture the report lists. */
  capturedAt?: Date;
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
  const code =
    issue.code === 'invalid_type' && input !== null && typeof input === 'object' && !(param in input)
      ? 'missing_field'
      : 'invalid_field';
  const message = code === 'missing_field' ? `${param} is required` : `${param}: ${issue.message}`;
  throw new ApiError(400, 'invalid_request_error', code, message, param);
}

function canonicalJson(value: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(value)
      .sort()
      .map((key) => [key, value[key]]),
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatAmount(amountMinor: string, currency: string): string {
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
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
 *
 * Money going back out (all `POST`s take an `Idempotency-Key`; the same key and body answer the
 * same object):
 * - `POST /api/refunds {"payment_id":"sp_…","amount_minor","reference":"re_…"}`: a refund of a
 *   captured payment, never more in total than was captured; the fault `refund_fails` makes it `failed`.
 * - `POST /card-tokens {"number","exp_month","exp_year"}` (no API key: the card holder's side, as a
 *   provider's card form) answers `{"token":"ctok_…","last4","brand"}`; `GET /api/card-tokens/:token`.
 * - `POST /api/payouts {"reference":"po_…","amount_minor","currency","destination":{"type":"card","token"}|{"type":"wallet","wallet_id"}}`:
 *   paid at once, less the bank's fee (1 % to a card, rounded half-up; nothing to a wallet). Payouts
 *   to the test card `4000000000000002` fail with `card_declined`, to a wallet id starting with
 *   `fail` with `wallet_closed`.
 * - `GET /api/report?from=&to=` (ISO 8601): payments captured, refunds and payouts made in [from, to).
 */
export function createSandboxApp(opts: SandboxOptions): SandboxApp {
  const log = opts.log ?? (() => undefined);
  const retryDelaysMs = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const callbackTimeoutMs = opts.callbackTimeoutMs ?? 10_000;
  const apiKeyDigest = createHash('sha256').update(opts.apiKey).digest();
  const scheduler = new CallbackScheduler();

  const payments = new Map<string, StoredPayment>();
  const byKey = new Map<string, { fingerprint: string; paymentId: string }>();
  const refunds = new Map<string, StoredRefund>();
  const refundsByKey = new Map<string, { fingerprint: string; refundId: string }>();
  const payouts = new Map<string, StoredPayout>();
  const payoutsByKey = new Map<string, { fingerprint: string; payoutId: string }>();
  const cardTokens = new Map<string, StoredCardToken>();
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
          log(
            `callback ${event.id} ${event.type} for ${event.data.id} delivered (attempt ${attempt}, HTTP ${res.status})`,
          );
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
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (!match || !timingSafeEqual(given, apiKeyDigest)) {
      throw new ApiError(
        401,
        'auth_error',
        'unauthorized',
        'a valid "Authorization: Bearer <api key>" header is required',
      );
    }
    next();
  };

  const settle =
    (status: 'succeeded' | 'declined'): RequestHandler =>
    (req, res) => {
      const payment = payments.get(String(req.params.id));
      if (!payment) return sendPage(res, 404, 'Not found', '<h1>Payment not found</h1>');
      if (payment.status !== 'pending') {
        return sendPage(res, 409, 'Already final', `<h1>This payment is already ${escapeHtml(payment.status)}</h1>`);
      }
      const fault = faultsByReference.get(payment.reference) ?? defaultFault;
      payment.status = status;
      if (status === 'succeeded') payment.capturedAt = new Date();
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
    res.json({ status: 'ok', service: 'sandbox', pid: process.pid });
  });

  // The card holder's side: a card number becomes a token here, at the provider; Kassa only ever sees the token.
  app.post(
    '/card-tokens',
    express.json({ limit: '8kb' }),
    express.urlencoded({ extended: false, limit: '8kb' }),
    (req, res) => {
      const card = parseInput(cardSchema, req.body ?? {});
      const stored: StoredCardToken = {
        token: newId('ctok'),
        last4: card.number.slice(-4),
        brand: card.number.startsWith('4')
          ? 'visa'
          : card.number.startsWith('5')
            ? 'mastercard'
            : card.number.startsWith('2')
              ? 'mir'
              : 'card',
        fails: card.number === SANDBOX_FAILING_CARD,
      };
      cardTokens.set(stored.token, stored);
      res.status(201).json(cardTokenView(stored));
    },
  );

  app.use('/api', requireApiKey, express.json({ limit: '64kb' }));

  app.post('/api/payments', (req, res) => {
    const key = req.get('idempotency-key');
    if (key === undefined || key.length === 0) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'missing_field',
        'the Idempotency-Key header is required',
        'Idempotency-Key',
      );
    }
    if (key.length > 255) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'invalid_field',
        'Idempotency-Key is longer than 255 characters',
        'Idempotency-Key',
      );
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
    log(
      `payment ${id} created for ${payment.reference}: ${payment.amountMinor} ${payment.currency} (${payment.method})`,
    );
    res.status(201).json(view(payment));
  });

  app.get('/api/payments/by-key/:key', (req, res) => {
    const known = byKey.get(String(req.params.key));
    if (!known)
      throw new ApiError(404, 'invalid_request_error', 'not_found', 'no payment under this Idempotency-Key', 'key');
    res.json(view(findPayment(known.paymentId)));
  });

  app.get('/api/payments/:id', (req, res) => {
    res.json(view(findPayment(String(req.params.id))));
  });

  function idempotencyKeyOf(req: express.Request): string {
    const key = req.get('idempotency-key');
    if (key === undefined || key.length === 0) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'missing_field',
        'the Idempotency-Key header is required',
        'Idempotency-Key',
      );
    }
    if (!idempotencyKeySchema.safeParse(key).success) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'invalid_field',
        'Idempotency-Key is longer than 255 characters',
        'Idempotency-Key',
      );
    }
    return key;
  }

  const keyReused = () =>
    new ApiError(
      422,
      'idempotency_error',
      'idempotency_mismatch',
      'this Idempotency-Key was used with a different body',
      'Idempotency-Key',
    );

  function refundView(refund: StoredRefund): SandboxRefund {
    return {
      id: refund.id,
      payment_id: refund.paymentId,
      reference: refund.reference,
      amount_minor: refund.amountMinor,
      currency: refund.currency,
      status: refund.status,
      created_at: refund.createdAt.toISOString(),
      ...(refund.failureReason !== undefined && { failure_reason: refund.failureReason }),
    };
  }

  function payoutView(payout: StoredPayout): SandboxPayout {
    return {
      id: payout.id,
      reference: payout.reference,
      amount_minor: payout.amountMinor,
      fee_minor: payout.feeMinor,
      currency: payout.currency,
      destination:
        payout.destination.type === 'card'
          ? { type: 'card', token: payout.destination.token, last4: payout.destination.last4 }
          : { type: 'wallet', wallet_id: payout.destination.walletId },
      status: payout.status,
      created_at: payout.createdAt.toISOString(),
      ...(payout.failureReason !== undefined && { failure_reason: payout.failureReason }),
    };
  }

  function cardTokenView(card: StoredCardToken): SandboxCardToken {
    return { token: card.token, last4: card.last4, brand: card.brand };
  }

  // Refunds of captured payments: never more in total than was captured; `refund_fails` makes them fail.
  app.post('/api/refunds', (req, res) => {
    const key = idempotencyKeyOf(req);
    const body = parseInput(createRefundSchema, req.body);
    const fingerprint = canonicalJson(body);
    const known = refundsByKey.get(key);
    if (known) {
      if (known.fingerprint !== fingerprint) throw keyReused();
      res.status(200).json(refundView(refunds.get(known.refundId)!));
      return;
    }
    const payment = payments.get(body.payment_id);
    if (!payment)
      throw new ApiError(404, 'invalid_request_error', 'not_found', `no payment ${body.payment_id}`, 'payment_id');
    if (payment.status !== 'succeeded') {
      throw new ApiError(
        400,
        'invalid_request_error',
        'payment_not_captured',
        `payment ${payment.id} is ${payment.status}`,
        'payment_id',
      );
    }
    const refunded = [...refunds.values()]
      .filter((refund) => refund.paymentId === payment.id && refund.status === 'succeeded')
      .reduce((sum, refund) => sum + BigInt(refund.amountMinor), 0n);
    if (refunded + BigInt(body.amount_minor) > BigInt(payment.amountMinor)) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'amount_too_large',
        `payment ${payment.id} captured ${payment.amountMinor} and has ${refunded} refunded already`,
        'amount_minor',
      );
    }
    const fault = faultsByReference.get(payment.reference) ?? defaultFault;
    const refund: StoredRefund = {
      id: newId('sr'),
      paymentId: payment.id,
      reference: body.reference,
      amountMinor: body.amount_minor,
      currency: payment.currency,
      status: fault.refund_fails ? 'failed' : 'succeeded',
      ...(fault.refund_fails && { failureReason: 'refund_declined' }),
      createdAt: new Date(),
    };
    refunds.set(refund.id, refund);
    refundsByKey.set(key, { fingerprint, refundId: refund.id });
    log(
      `refund ${refund.id} (${refund.reference}) of ${payment.id}: ${refund.amountMinor} ${refund.currency} ${refund.status}`,
    );
    res.status(201).json(refundView(refund));
  });

  app.get('/api/refunds/:id', (req, res) => {
    const refund = refunds.get(String(req.params.id));
    if (!refund)
      throw new ApiError(404, 'invalid_request_error', 'not_found', `no refund ${String(req.params.id)}`, 'id');
    res.json(refundView(refund));
  });

  app.get('/api/card-tokens/:token', (req, res) => {
    const card = cardTokens.get(String(req.params.token));
    if (!card) throw new ApiError(404, 'invalid_request_error', 'not_found', 'no such card token', 'token');
    res.json(cardTokenView(card));
  });

  // Payouts to a tokenized card (1 % bank fee) or a wallet (no fee), deducted from the amount.
  app.post('/api/payouts', (req, res) => {
    const key = idempotencyKeyOf(req);
    const body = parseInput(createPayoutSchema, req.body);
    const fingerprint = canonicalJson(body);
    const known = payoutsByKey.get(key);
    if (known) {
      if (known.fingerprint !== fingerprint) throw keyReused();
      res.status(200).json(payoutView(payouts.get(known.payoutId)!));
      return;
    }
    let destination: StoredPayout['destination'];
    let failureReason: string | undefined;
    if (body.destination.type === 'card') {
      const card = cardTokens.get(body.destination.token);
      if (!card)
        throw new ApiError(
          400,
          'invalid_request_error',
          'invalid_field',
          'destination.token: no such card token',
          'destination.token',
        );
      destination = { type: 'card', token: card.token, last4: card.last4 };
      if (card.fails) failureReason = 'card_declined';
    } else {
      destination = { type: 'wallet', walletId: body.destination.wallet_id };
      if (failingWallet(body.destination.wallet_id)) failureReason = 'wallet_closed';
    }
    const amount = BigInt(body.amount_minor);
    const payout: StoredPayout = {
      id: newId('spo'),
      reference: body.reference,
      amountMinor: body.amount_minor,
      feeMinor: failureReason ? '0' : sandboxPayoutFee(amount, destination.type).toString(),
      currency: body.currency,
      destination,
      status: failureReason ? 'failed' : 'paid',
      ...(failureReason !== undefined && { failureReason }),
      createdAt: new Date(),
    };
    payouts.set(payout.id, payout);
    payoutsByKey.set(key, { fingerprint, payoutId: payout.id });
    log(`payout ${payout.id} (${payout.reference}): ${payout.amountMinor} ${payout.currency} ${payout.status}`);
    res.status(201).json(payoutView(payout));
  });

  app.get('/api/payouts/:id', (req, res) => {
    const payout = payouts.get(String(req.params.id));
    if (!payout)
      throw new ApiError(404, 'invalid_request_error', 'not_found', `no payout ${String(req.params.id)}`, 'id');
    res.json(payoutView(payout));
  });

  // What the provider did in [from, to): captured payments, refunds and payouts, for reconciliation.
  app.get('/api/report', (req, res) => {
    const query = parseInput(reportQuerySchema, req.query);
    const from = Date.parse(query.from);
    const to = Date.parse(query.to);
    const within = (date: Date | undefined) => date !== undefined && date.getTime() >= from && date.getTime() < to;
    const report: SandboxReport = {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      payments: [...payments.values()]
        .filter((payment) => payment.status === 'succeeded' && within(payment.capturedAt))
        .map((payment) => ({
          id: payment.id,
          reference: payment.reference,
          amount_minor: payment.amountMinor,
          currency: payment.currency,
          captured_at: payment.capturedAt!.toISOString(),
        })),
      refunds: [...refunds.values()].filter((refund) => within(refund.createdAt)).map(refundView),
      payouts: [...payouts.values()].filter((payout) => within(payout.createdAt)).map(payoutView),
    };
    res.json(report);
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
    const api = req.originalUrl.startsWith('/api') || req.originalUrl.startsWith('/card-tokens');
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
