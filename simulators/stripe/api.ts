import express, { type Request, Router } from 'express';
import { faultOf, type StripeContext } from './context';
import { type FormObject, list, metadataOf, parseForm, record, text } from './form';
import { endpointObject, errorBody, intentObject, listObject, refundObject, sessionObject } from './objects';
import type { Refund, Session, WebhookEndpoint } from './store';
import { stripeId } from './store';
import { askStripeMock } from './upstream';
import { publish, stripeEvent, underFault, unixSeconds } from './webhooks';

/** An answer other than success, in Stripe's error shape. */
class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ReturnType<typeof errorBody>,
  ) {
    super(body.error.message);
  }
}

const invalid = (message: string, param?: string, code?: string) =>
  new StripeApiError(400, errorBody('invalid_request_error', message, code, param));

const missing = (what: string, id: string, param = 'id') =>
  new StripeApiError(404, errorBody('invalid_request_error', `No such ${what}: '${id}'`, 'resource_missing', param));

interface Answer {
  status?: number;
  body: unknown;
}

type Handler = (params: FormObject, ids: string[], req: Request) => Answer;

/** Newest first, `limit` (default 10, at most 100) after `starting_after`, `created[gte]` honoured. */
function page<T extends { id: string; created: number }>(items: Iterable<T>, params: FormObject) {
  const limit = Math.min(Math.max(Number(text(params, 'limit') ?? 10) || 10, 1), 100);
  const gte = Number(text(record(params, 'created'), 'gte') ?? 0);
  const sorted = [...items].filter((item) => item.created >= gte).reverse();
  const after = text(params, 'starting_after');
  const start = after ? sorted.findIndex((item) => item.id === after) + 1 : 0;
  const slice = sorted.slice(start, start + limit);
  return { slice, hasMore: start + limit < sorted.length };
}

/** `metadata['key']:'value'`, the one search query form a Checkout integration uses to find its PaymentIntents. */
function metadataQuery(query: string): { key: string; value: string } {
  const match = /^metadata\['((?:[^'\\]|\\.)*)'\]:'((?:[^'\\]|\\.)*)'$/.exec(query.trim());
  if (!match) throw invalid("the simulator searches PaymentIntents by metadata['key']:'value' only", 'query');
  const unquote = (value: string) => value.replace(/\\(.)/g, '$1');
  return { key: unquote(match[1]!), value: unquote(match[2]!) };
}

/**
 * Stripe's API under `/v1`, for what a Checkout integration uses: Checkout Sessions (create,
 * retrieve with `expand[]=payment_intent`, list, expire), PaymentIntents (retrieve, search by
 * metadata), Refunds (create, retrieve, list) and webhook endpoints (create with a fresh `whsec_`
 * secret, retrieve, update). Every request goes to stripe-mock first; what it refuses is answered
 * with its refusal, what it accepts from this simulator's objects. Any other route stripe-mock
 * accepts is answered with stripe-mock's fixture. POSTs honour `Idempotency-Key`.
 */
export function apiRoutes(context: StripeContext): Router {
  const { store, log } = context;
  const router = Router();

  const session = (id: string, param = 'session'): Session => {
    const found = store.sessions.get(id);
    if (!found) throw missing('checkout.session', id, param);
    return found;
  };

  const expandsIntent = (params: FormObject) => {
    const expand = params.expand;
    const values = Array.isArray(expand) ? expand : expand && typeof expand === 'object' ? Object.values(expand) : [];
    return values.includes('payment_intent');
  };

  const sessionAnswer = (found: Session, params: FormObject) => {
    const intent = found.paymentIntentId ? store.intents.get(found.paymentIntentId) : undefined;
    return sessionObject(found, expandsIntent(params) ? intent : undefined);
  };

  const routes: [string, RegExp, Handler][] = [
    [
      'POST',
      /^\/checkout\/sessions$/,
      (params, _ids, req) => {
        const items = list(params, 'line_items').map((item) => {
          const price = record(item, 'price_data');
          const unitAmount = Number(text(price, 'unit_amount'));
          if (!price || !Number.isSafeInteger(unitAmount))
            throw invalid('the simulator takes line items with price_data and unit_amount only', 'line_items');
          return {
            name: text(record(price, 'product_data'), 'name') ?? '',
            unitAmount,
            quantity: Number(text(item, 'quantity') ?? 1),
            currency: (text(price, 'currency') ?? '').toLowerCase(),
          };
        });
        if (items.length === 0) throw invalid('line_items is required in payment mode', 'line_items');
        const currency = items[0]!.currency;
        if (items.some((item) => item.currency !== currency))
          throw invalid('all line items must be in one currency', 'line_items');
        const subtotal = items.reduce((sum, item) => sum + item.unitAmount * item.quantity, 0);
        const created = unixSeconds();
        const id = stripeId('cs_test');
        const made: Session = {
          id,
          created,
          expiresAt: Number(text(params, 'expires_at') ?? created + 24 * 60 * 60),
          status: 'open',
          paymentStatus: 'unpaid',
          mode: text(params, 'mode') ?? 'payment',
          currency,
          amountSubtotal: subtotal,
          amountTotal: subtotal,
          lineItems: items.map(({ name, unitAmount, quantity }) => ({ name, unitAmount, quantity })),
          clientReferenceId: text(params, 'client_reference_id') ?? null,
          metadata: metadataOf(record(params, 'metadata')),
          paymentIntentMetadata: metadataOf(record(record(params, 'payment_intent_data'), 'metadata')),
          paymentMethodTypes: (Array.isArray(params.payment_method_types)
            ? params.payment_method_types
            : ['card']
          ).filter((type): type is string => typeof type === 'string'),
          successUrl: text(params, 'success_url') ?? null,
          cancelUrl: text(params, 'cancel_url') ?? null,
          url: `http://${req.headers.host ?? 'localhost'}/c/pay/${id}`,
          paymentIntentId: null,
        };
        store.sessions.set(id, made);
        log(`checkout session ${id} created: ${subtotal} ${currency} (${made.clientReferenceId ?? 'no reference'})`);
        return { body: sessionObject(made) };
      },
    ],
    [
      'GET',
      /^\/checkout\/sessions$/,
      (params) => {
        const intentId = text(params, 'payment_intent');
        const all = [...store.sessions.values()].filter(
          (candidate) => intentId === undefined || candidate.paymentIntentId === intentId,
        );
        const { slice, hasMore } = page(all, params);
        return {
          body: listObject(
            '/v1/checkout/sessions',
            slice.map((found) => sessionAnswer(found, params)),
            hasMore,
          ),
        };
      },
    ],
    ['GET', /^\/checkout\/sessions\/([^/]+)$/, (params, [id]) => ({ body: sessionAnswer(session(id!), params) })],
    [
      'POST',
      /^\/checkout\/sessions\/([^/]+)\/expire$/,
      (params, [id]) => {
        const found = session(id!);
        if (found.status !== 'open')
          throw invalid(
            `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${found.status}".`,
          );
        found.status = 'expired';
        log(`checkout session ${found.id} expired`);
        publish(store, context.sender, found.id, faultOf(context, found), [
          stripeEvent('checkout.session.expired', sessionObject(found)),
        ]);
        return { body: sessionAnswer(found, params) };
      },
    ],
    [
      'GET',
      /^\/payment_intents\/search$/,
      (params) => {
        const { key, value } = metadataQuery(text(params, 'query') ?? '');
        const found = [...store.intents.values()].filter((intent) => intent.metadata[key] === value).reverse();
        return {
          body: {
            object: 'search_result',
            data: found.slice(0, Number(text(params, 'limit') ?? 10)).map(intentObject),
            has_more: false,
            next_page: null,
            url: '/v1/payment_intents/search',
          },
        };
      },
    ],
    [
      'GET',
      /^\/payment_intents\/([^/]+)$/,
      (_params, [id]) => {
        const intent = store.intents.get(id!);
        if (!intent) throw missing('payment_intent', id!, 'intent');
        return { body: intentObject(intent) };
      },
    ],
    [
      'POST',
      /^\/refunds$/,
      (params) => {
        const intentId = text(params, 'payment_intent');
        if (!intentId) throw invalid('the simulator refunds by payment_intent only', 'payment_intent');
        const intent = store.intents.get(intentId);
        if (!intent) throw missing('payment_intent', intentId, 'payment_intent');
        if (intent.status !== 'succeeded')
          throw invalid(
            `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
            'payment_intent',
            'charge_not_refundable',
          );
        const left = intent.amountReceived - store.refunded(intent.id);
        const amount = Number(text(params, 'amount') ?? left);
        if (!Number.isSafeInteger(amount) || amount <= 0) throw invalid('Invalid positive integer', 'amount');
        if (amount > left)
          throw invalid(
            `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
            'amount',
            'amount_too_large',
          );
        const owner = [...store.sessions.values()].find((candidate) => candidate.paymentIntentId === intent.id);
        const fault = owner ? faultOf(context, owner) : context.faults.for(intent.id);
        const refund: Refund = {
          id: stripeId('re'),
          created: unixSeconds(),
          amount,
          currency: intent.currency,
          paymentIntentId: intent.id,
          chargeId: intent.latestCharge,
          status: fault.refund_fails ? 'pending' : 'succeeded',
          failureReason: null,
          metadata: metadataOf(record(params, 'metadata')),
        };
        store.refunds.set(refund.id, refund);
        log(`refund ${refund.id} of ${intent.id}: ${amount} ${refund.currency} ${refund.status}`);
        const created = stripeEvent('refund.created', refundObject(refund));
        const events = [created];
        if (fault.refund_fails) {
          // The bank refuses it afterwards: Stripe tells with refund.failed.
          refund.status = 'failed';
          refund.failureReason = 'declined';
          events.push(stripeEvent('refund.failed', refundObject(refund)));
        }
        publish(store, context.sender, refund.id, fault, underFault(events, fault));
        return { body: created.data.object };
      },
    ],
    [
      'GET',
      /^\/refunds$/,
      (params) => {
        const { slice, hasMore } = page(store.refunds.values(), params);
        return { body: listObject('/v1/refunds', slice.map(refundObject), hasMore) };
      },
    ],
    [
      'GET',
      /^\/refunds\/([^/]+)$/,
      (_params, [id]) => {
        const refund = store.refunds.get(id!);
        if (!refund) throw missing('refund', id!, 'refund');
        return { body: refundObject(refund) };
      },
    ],
    [
      'POST',
      /^\/webhook_endpoints$/,
      (params) => {
        const url = text(params, 'url');
        if (!url) throw invalid('Missing required param: url.', 'url', 'parameter_missing');
        const events = Array.isArray(params.enabled_events)
          ? params.enabled_events.filter((event): event is string => typeof event === 'string')
          : [];
        if (events.length === 0)
          throw invalid('Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
        const endpoint: WebhookEndpoint = {
          id: stripeId('we'),
          created: unixSeconds(),
          url,
          enabledEvents: events,
          secret: stripeId('whsec'),
          status: 'enabled',
          description: text(params, 'description') ?? null,
          metadata: metadataOf(record(params, 'metadata')),
        };
        store.endpoints.set(endpoint.id, endpoint);
        log(`webhook endpoint ${endpoint.id} for ${url}: ${events.join(', ')}`);
        return { body: endpointObject(endpoint, true) };
      },
    ],
    [
      'GET',
      /^\/webhook_endpoints\/([^/]+)$/,
      (_params, [id]) => {
        const endpoint = store.endpoints.get(id!);
        if (!endpoint) throw missing('webhook_endpoint', id!, 'webhook_endpoint');
        return { body: endpointObject(endpoint, false) };
      },
    ],
    [
      'POST',
      /^\/webhook_endpoints\/([^/]+)$/,
      (params, [id]) => {
        const endpoint = store.endpoints.get(id!);
        if (!endpoint) throw missing('webhook_endpoint', id!, 'webhook_endpoint');
        endpoint.url = text(params, 'url') ?? endpoint.url;
        if (Array.isArray(params.enabled_events))
          endpoint.enabledEvents = params.enabled_events.filter((event): event is string => typeof event === 'string');
        const disabled = text(params, 'disabled');
        if (disabled !== undefined) endpoint.status = disabled === 'true' ? 'disabled' : 'enabled';
        log(`webhook endpoint ${endpoint.id} now for ${endpoint.url} (${endpoint.status})`);
        return { body: endpointObject(endpoint, false) };
      },
    ],
  ];

  router.use('/v1', express.text({ type: () => true, limit: '256kb' }), async (req, res) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const [pathname = '', query = ''] = req.url.split('?');
    const route = routes.find(([method, pattern]) => method === req.method && pattern.test(pathname));
    const key = req.method === 'POST' ? req.get('idempotency-key') : undefined;
    const fingerprint = `${req.method} ${pathname} ${raw}`;
    const replay = key !== undefined ? store.idempotency.get(key) : undefined;
    if (replay) {
      if (replay.request !== fingerprint) {
        const message = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`;
        res.status(400).json(errorBody('idempotency_error', message));
        return;
      }
      res.status(replay.status).set('idempotent-replayed', 'true').json(replay.body);
      return;
    }
    const judged = await askStripeMock(context.stripeMockUrl, req.method, req.originalUrl, req.headers, raw);
    if (judged.status < 200 || judged.status >= 300 || !route) {
      res.status(judged.status).type(judged.contentType).send(judged.text);
      return;
    }
    const ids = route[1].exec(pathname)!.slice(1).map(decodeURIComponent);
    let answer: Answer;
    try {
      answer = route[2](parseForm(req.method === 'GET' ? query : raw), ids, req);
    } catch (err) {
      if (!(err instanceof StripeApiError)) throw err;
      answer = { status: err.status, body: err.body };
    }
    const status = answer.status ?? 200;
    if (key !== undefined && status < 500)
      store.idempotency.set(key, { request: fingerprint, status, body: answer.body });
    res.status(status).set('request-id', stripeId('req')).json(answer.body);
  });

  return router;
}
