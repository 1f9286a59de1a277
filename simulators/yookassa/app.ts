import { randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response, Router } from 'express';
import { type Callback, createCallbackSender, defaultRetryDelaysMs } from '../common/callbacks';
import { capturedAmount, type Fault, FaultBook, faultFields, faultSequence } from '../common/faults';
import { fingerprintOf } from '../common/ids';
import { z } from 'zod';
import { sendBuyerPage, sendPaymentNotFound, sendAlreadyDecided } from './pages';
import {
  captureSchema,
  createPaymentSchema,
  createRefundSchema,
  listQuerySchema,
  parameterOf,
  referenceSchema,
  settingsSchema,
} from './schemas';
import {
  type Cancellation,
  formatMinor,
  paymentView,
  refundView,
  Store,
  type StoredPayment,
  type StoredRefund,
  toMinor,
  yookassaId,
} from './store';

export interface YooKassaSimulatorOptions {
  /** The shop's id: the Basic auth user name. */
  shopId: string;
  /** The shop's secret key: the Basic auth password; `test_…` makes every payment `test: true`. */
  secretKey: string;
  /** Where buyers reach this simulator (its confirmation pages); the first request's host when absent. */
  publicUrl?: string;
  /** Where notifications go (the URL set in YooKassa's merchant profile); none are sent without one. */
  notificationUrl?: string;
  log?: (line: string) => void;
  /** Waits before each notification retry. Default 0.5, 1, 2, 4, 8 s. */
  retryDelaysMs?: readonly number[];
  /** Per notification attempt. Default 10 000. */
  callbackTimeoutMs?: number;
}

export type YooKassaApp = Express & { stopCallbacks(): void };

/** How long an idempotence key is remembered: 24 hours. */
const KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a payment may wait for capture: 7 days. */
const CAPTURE_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/** The simulator's own knobs beyond every simulator's faults. */
const faultSchema = z.strictObject({
  reference: referenceSchema.optional(),
  ...faultFields,
  /** An approved payment is paid in another currency than asked (RUB, or USD for a RUB payment). */
  wrong_currency: z.boolean().optional(),
  /** The answers to the next N payment creates are lost: the payment is made, the connection closed unanswered. */
  lose_answers: z.number().int().min(0).max(10).optional(),
});
type SimFault = Fault & { wrong_currency?: boolean };

/** YooKassa's error body: `{type: "error", id, code, description, parameter?}`. */
function apiError(res: Response, status: number, code: string, description: string, parameter?: string): void {
  res.status(status).json({ type: 'error', id: randomUUID(), code, description, ...(parameter && { parameter }) });
}

const sameText = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * YooKassa's API v3 for one shop, in memory: payments (create, get, list, capture, cancel), refunds
 * (create, get, list), HTTP Basic auth, `Idempotence-Key` on every POST, YooKassa's error shape;
 * the buyer's confirmation page under `/checkout/:id` (Approve and Decline); unsigned notifications
 * `{type: "notification", event, object}` to the shop's notification URL, retried until a 200. The
 * test harness sets the notification URL (`POST /sim/settings`) and faults (`POST /sim/faults`).
 */
export function createYooKassaApp(opts: YooKassaSimulatorOptions): YooKassaApp {
  const log = opts.log ?? (() => undefined);
  const store = new Store();
  const faults = new FaultBook();
  const faultReferences = new Set<string>();
  let loseAnswers = 0;
  let notificationUrl = opts.notificationUrl ?? null;
  const test = opts.secretKey.startsWith('test_');
  const sender = createCallbackSender({
    log,
    retryDelaysMs: opts.retryDelaysMs ?? defaultRetryDelaysMs,
    timeoutMs: opts.callbackTimeoutMs ?? 10_000,
    accepted: ({ status }) => status === 200,
  });

  const faultFor = (payment: StoredPayment): SimFault => {
    const named = [payment.id, ...Object.values(payment.metadata)].find((value) => faultReferences.has(value));
    return faults.for(named ?? '\u0000none');
  };

  let baseUrl = opts.publicUrl?.replace(/\/+$/, '') ?? '';
  const view = (payment: StoredPayment) => paymentView(payment, opts.shopId, `${baseUrl}/checkout/${payment.id}`);

  /** A notification, its body fixed now (the object as it is at this event). */
  const notification = (event: string, object: unknown): Callback => {
    const body = JSON.stringify({ type: 'notification', event, object });
    const url = notificationUrl;
    return {
      label: `${event} ${(object as { id: string }).id}`,
      request: () => ({
        url: url ?? '',
        headers: { 'content-type': 'application/json', 'user-agent': 'YooKassa simulator' },
        body,
      }),
    };
  };

  function notify(subject: string, fault: Fault, final: Callback, stale?: () => Callback): void {
    if (!notificationUrl) {
      log(`no notification URL set: ${final.label} not sent`);
      return;
    }
    sender.send(subject, fault, faultSequence(final, fault, stale));
  }

  const notifyPayment = (payment: StoredPayment, stale?: StoredPayment) =>
    notify(
      payment.id,
      faultFor(payment),
      notification(`payment.${payment.status}`, view(payment)),
      stale && (() => notification(`payment.${stale.status}`, view(stale))),
    );

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((req, _res, next) => {
    baseUrl ||= `${req.protocol}://${req.get('host')}`;
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'yookassa', pid: process.pid });
  });

  const requireBasicAuth = (req: Request, res: Response, next: NextFunction) => {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.get('authorization') ?? '');
    const [user, ...rest] = match ? Buffer.from(match[1]!, 'base64').toString('utf8').split(':') : [];
    if (!match || !sameText(user ?? '', opts.shopId) || !sameText(rest.join(':'), opts.secretKey))
      return apiError(res, 401, 'invalid_credentials', 'Authentication by given credentials failed');
    next();
  };

  /** Every POST carries an `Idempotence-Key`: the same key and request replay the first answer for 24 hours. */
  const idempotence = (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST') return next();
    const key = req.get('idempotence-key');
    if (!key) return apiError(res, 400, 'invalid_request', 'Idempotence-Key header is required', 'Idempotence-Key');
    if (key.length > 64)
      return apiError(res, 400, 'invalid_request', 'Idempotence-Key is longer than 64 characters', 'Idempotence-Key');
    const fingerprint = `${req.path} ${fingerprintOf((req.body ?? {}) as Record<string, unknown>)}`;
    const known = store.answers.get(key);
    if (known && Date.now() - known.at < KEY_TTL_MS) {
      if (known.fingerprint !== fingerprint)
        return apiError(
          res,
          400,
          'invalid_request',
          'Idempotence key duplicated: the key was used with another request',
          'Idempotence-Key',
        );
      res.status(known.status).json(known.body);
      return;
    }
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode < 500) store.answers.set(key, { fingerprint, status: res.statusCode, body, at: Date.now() });
      return json(body);
    };
    next();
  };

  const api = Router();
  api.use(requireBasicAuth, express.json({ limit: '64kb' }), idempotence);

  const parse = <T>(schema: z.ZodType<T>, value: unknown, res: Response): T | undefined => {
    const parsed = schema.safeParse(value ?? {});
    if (parsed.success) return parsed.data;
    const { parameter, description } = parameterOf(parsed.error);
    apiError(res, 400, 'invalid_request', description, parameter);
    return undefined;
  };

  api.post('/payments', (req, res) => {
    const body = parse(createPaymentSchema, req.body, res);
    if (!body) return;
    const payment: StoredPayment = {
      id: yookassaId(),
      status: 'pending',
      amount: { value: formatMinor(toMinor(body.amount.value)), currency: body.amount.currency },
      capture: body.capture ?? false,
      ...(body.description !== undefined && { description: body.description }),
      metadata: body.metadata ?? {},
      ...(body.payment_method_data && { paymentMethodType: body.payment_method_data.type }),
      returnUrl: body.confirmation.return_url,
      createdAt: new Date(),
      refundedMinor: 0n,
      test,
    };
    store.payments.set(payment.id, payment);
    log(`payment ${payment.id} created: ${payment.amount.value} ${payment.amount.currency}`);
    if (loseAnswers > 0) {
      loseAnswers -= 1;
      store.answers.delete(req.get('idempotence-key')!);
      store.answers.set(req.get('idempotence-key')!, {
        fingerprint: `${req.path} ${fingerprintOf(req.body as Record<string, unknown>)}`,
        status: 200,
        body: view(payment),
        at: Date.now(),
      });
      log(`answer for payment ${payment.id} lost (fault)`);
      req.socket.destroy();
      return;
    }
    res.json(view(payment));
  });

  const listOf = <T extends { id: string; createdAt: Date }>(
    items: T[],
    query: z.infer<typeof listQuerySchema>,
    keep: (item: T) => boolean,
  ) => {
    const at = (name: keyof typeof query) => (query[name] ? Date.parse(String(query[name])) : undefined);
    const [gte, gt, lte, lt] = [at('created_at.gte'), at('created_at.gt'), at('created_at.lte'), at('created_at.lt')];
    const matching = items
      .filter((item) => {
        const time = item.createdAt.getTime();
        return (
          (gte === undefined || time >= gte) &&
          (gt === undefined || time > gt) &&
          (lte === undefined || time <= lte) &&
          (lt === undefined || time < lt) &&
          keep(item)
        );
      })
      .reverse();
    const after = query.cursor ? Buffer.from(query.cursor, 'base64url').toString('utf8') : undefined;
    const start = after ? matching.findIndex((item) => item.id === after) + 1 : 0;
    const limit = query.limit ?? 10;
    const page = matching.slice(start, start + limit);
    const more = start + limit < matching.length;
    return { page, next: more ? Buffer.from(page[page.length - 1]!.id).toString('base64url') : undefined };
  };

  api.get('/payments', (req, res) => {
    const query = parse(listQuerySchema, req.query, res);
    if (!query) return;
    const { page, next } = listOf(
      [...store.payments.values()],
      query,
      (p) => !query.status || p.status === query.status,
    );
    res.json({ type: 'list', items: page.map(view), ...(next && { next_cursor: next }) });
  });

  const paymentOr404 = (req: Request, res: Response): StoredPayment | undefined => {
    const payment = store.payments.get(String(req.params.id));
    if (!payment) apiError(res, 404, 'not_found', 'Payment not found or forbidden', 'payment_id');
    return payment;
  };

  api.get('/payments/:id', (req, res) => {
    const payment = paymentOr404(req, res);
    if (payment) res.json(view(payment));
  });

  api.post('/payments/:id/capture', (req, res) => {
    const body = parse(captureSchema, req.body, res);
    if (!body) return;
    const payment = paymentOr404(req, res);
    if (!payment) return;
    if (payment.status !== 'waiting_for_capture')
      return apiError(res, 400, 'invalid_request', `Payment in status ${payment.status} can't be captured`);
    if (body.amount) {
      if (body.amount.currency !== payment.amount.currency)
        return apiError(res, 400, 'invalid_request', 'Capture currency differs from the payment', 'amount.currency');
      if (toMinor(body.amount.value) > toMinor(payment.amount.value))
        return apiError(res, 400, 'invalid_request', 'Capture amount exceeds the payment', 'amount.value');
      payment.amount = { value: formatMinor(toMinor(body.amount.value)), currency: payment.amount.currency };
    }
    const before = { ...payment };
    payment.status = 'succeeded';
    payment.capturedAt = new Date();
    delete payment.expiresAt;
    log(`payment ${payment.id} captured`);
    res.json(view(payment));
    notifyPayment(payment, before);
  });

  api.post('/payments/:id/cancel', (req, res) => {
    const payment = paymentOr404(req, res);
    if (!payment) return;
    if (payment.status !== 'waiting_for_capture')
      return apiError(res, 400, 'invalid_request', `Payment in status ${payment.status} can't be canceled`);
    payment.status = 'canceled';
    payment.cancellation = { party: 'merchant', reason: 'canceled_by_merchant' };
    delete payment.expiresAt;
    log(`payment ${payment.id} canceled by the shop`);
    res.json(view(payment));
    notifyPayment(payment);
  });

  api.post('/refunds', (req, res) => {
    const body = parse(createRefundSchema, req.body, res);
    if (!body) return;
    const payment = store.payments.get(body.payment_id);
    if (!payment) return apiError(res, 404, 'not_found', 'Payment not found or forbidden', 'payment_id');
    if (payment.status !== 'succeeded')
      return apiError(
        res,
        400,
        'invalid_request',
        `Payment in status ${payment.status} can't be refunded`,
        'payment_id',
      );
    if (body.amount.currency !== payment.amount.currency)
      return apiError(res, 400, 'invalid_request', 'Refund currency differs from the payment', 'amount.currency');
    const minor = toMinor(body.amount.value);
    if (minor > toMinor(payment.amount.value) - payment.refundedMinor)
      return apiError(res, 400, 'invalid_request', 'Refund amount exceeds what is left of the payment', 'amount.value');
    const fault = faultFor(payment);
    const failed: Cancellation | undefined = fault.refund_fails
      ? { party: 'yoo_money', reason: 'rejected_by_payee' }
      : undefined;
    const refund: StoredRefund = {
      id: yookassaId(),
      paymentId: payment.id,
      status: failed ? 'canceled' : 'succeeded',
      amount: { value: formatMinor(minor), currency: payment.amount.currency },
      ...(body.description !== undefined && { description: body.description }),
      createdAt: new Date(),
      ...(failed && { cancellation: failed }),
    };
    store.refunds.set(refund.id, refund);
    if (!failed) payment.refundedMinor += minor;
    log(`refund ${refund.id} of payment ${payment.id} ${refund.status}`);
    res.json(refundView(refund));
    if (!failed) notify(payment.id, fault, notification('refund.succeeded', refundView(refund)));
  });

  api.get('/refunds', (req, res) => {
    const query = parse(listQuerySchema, req.query, res);
    if (!query) return;
    const { page, next } = listOf(
      [...store.refunds.values()],
      query,
      (r) => (!query.status || r.status === query.status) && (!query.payment_id || r.paymentId === query.payment_id),
    );
    res.json({ type: 'list', items: page.map(refundView), ...(next && { next_cursor: next }) });
  });

  api.get('/refunds/:id', (req, res) => {
    const refund = store.refunds.get(String(req.params.id));
    if (!refund) return apiError(res, 404, 'not_found', 'Refund not found or forbidden', 'refund_id');
    res.json(refundView(refund));
  });

  api.use((_req, res) => apiError(res, 404, 'not_found', 'No such method'));
  app.use('/v3', api);

  const sim = Router();
  sim.use(requireBasicAuth, express.json({ limit: '8kb' }));
  sim.post('/settings', (req, res) => {
    const body = parse(settingsSchema, req.body, res);
    if (!body) return;
    notificationUrl = body.notification_url;
    log(`notification URL: ${notificationUrl ?? 'none'}`);
    res.status(204).end();
  });
  sim.post('/faults', (req, res) => {
    const body = parse(faultSchema, req.body, res);
    if (!body) return;
    const { reference, lose_answers: lose, ...fault } = body;
    if (lose !== undefined) loseAnswers = lose;
    faults.set(reference, fault);
    if (reference !== undefined) faultReferences.add(reference);
    log(`faults for ${reference ?? 'all payments'}: ${JSON.stringify(body)}`);
    res.status(204).end();
  });
  sim.delete('/faults', (_req, res) => {
    faults.clear();
    faultReferences.clear();
    loseAnswers = 0;
    res.status(204).end();
  });
  app.use('/sim', sim);

  app.get('/checkout/:id', (req, res) => {
    const payment = store.payments.get(String(req.params.id));
    if (!payment) return sendPaymentNotFound(res);
    sendBuyerPage(res, payment);
  });

  app.post('/checkout/:id/approve', (req, res) => {
    const payment = store.payments.get(String(req.params.id));
    if (!payment) return sendPaymentNotFound(res);
    if (payment.status !== 'pending') return sendAlreadyDecided(res, payment);
    const fault = faultFor(payment);
    const minor = capturedAmount(toMinor(payment.amount.value).toString(), fault);
    const currency = fault.wrong_currency
      ? payment.amount.currency === 'RUB'
        ? 'USD'
        : 'RUB'
      : payment.amount.currency;
    payment.amount = { value: formatMinor(BigInt(minor)), currency };
    if (payment.capture) {
      payment.status = 'succeeded';
      payment.capturedAt = new Date();
    } else {
      payment.status = 'waiting_for_capture';
      payment.expiresAt = new Date(Date.now() + CAPTURE_WINDOW_MS);
    }
    log(`payment ${payment.id} paid by the buyer: ${payment.status}`);
    notifyPayment(payment);
    res.redirect(303, payment.returnUrl);
  });

  app.post('/checkout/:id/decline', (req, res) => {
    const payment = store.payments.get(String(req.params.id));
    if (!payment) return sendPaymentNotFound(res);
    if (payment.status !== 'pending') return sendAlreadyDecided(res, payment);
    payment.status = 'canceled';
    payment.cancellation = { party: 'payment_network', reason: 'general_decline' };
    log(`payment ${payment.id} declined`);
    notifyPayment(payment);
    res.redirect(303, payment.returnUrl);
  });

  return Object.assign(app, { stopCallbacks: () => sender.stop() });
}
