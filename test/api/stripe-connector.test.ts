import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStripeConnector } from '../../src/providers/stripe';
import type { PaymentConnector } from '../../src/providers/types';
import { startStripeMock, type StripeMock } from '../support/stripe-mock';

/** A local server answering every request with `answer` (which may never answer). */
async function listen(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<http.Server> {
  const server = http.createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
const urlOf = (server: http.Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const close = (server: http.Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

let mock: StripeMock;
let connector: PaymentConnector;
const others: http.Server[] = [];
const seen = () => mock.exchanges;

const credentials = (apiBase: string, secretKey = 'sk_test_kassa') => ({
  secret_key: secretKey,
  webhook_secret: 'whsec_kassa',
  api_base: apiBase,
});

beforeAll(async () => {
  mock = await startStripeMock();
  connector = createStripeConnector(credentials(mock.url), { mode: 'test' });
}, 30_000);

afterAll(async () => {
  await Promise.all(others.map(close));
  await mock?.stop();
});

beforeEach(() => {
  mock.exchanges.length = 0;
});

const input = {
  idempotencyKey: 'pay_stripe1-attempt-1',
  reference: 'pay_stripe1-attempt-1',
  paymentId: 'pay_stripe1',
  method: 'stripe_card',
  amountMinor: '1500',
  currency: 'JPY',
  description: 'Order 7',
  returnUrl: 'https://kassa.example/pay/pay_stripe1/return',
  callbackUrl: 'https://kassa.example/callbacks/stripe/conn_1',
};

describe('Stripe connector against stripe-mock', () => {
  test('creating a payment makes a Checkout Session under the attempt key and sends the buyer to its page', async () => {
    const created = await connector.createPayment(input);
    expect(created.providerPaymentId).toMatch(/^cs_/);
    expect(created.redirect).toEqual({
      method: 'GET',
      url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//),
    });
    expect(seen()).toHaveLength(1);
    const [post] = seen();
    expect(post).toMatchObject({ method: 'POST', path: '/v1/checkout/sessions', idempotencyKey: input.idempotencyKey });
    expect(Object.fromEntries(post!.params)).toMatchObject({
      mode: 'payment',
      client_reference_id: input.reference,
      'metadata[kassa_payment_id]': 'pay_stripe1',
      'metadata[kassa_attempt_key]': input.idempotencyKey,
      'payment_intent_data[metadata][kassa_attempt_key]': input.idempotencyKey,
      'line_items[0][price_data][currency]': 'jpy',
      'line_items[0][price_data][unit_amount]': '1500',
      success_url: input.returnUrl,
    });
  });

  test('the status of a session is read by its id, with its PaymentIntent', async () => {
    const status = await connector.getPaymentStatus({
      idempotencyKey: input.idempotencyKey,
      reference: input.reference,
      providerPaymentId: 'cs_test_known',
    });
    // stripe-mock's session is open and unpaid.
    expect(status).toMatchObject({ providerPaymentId: 'cs_test_known', state: 'pending' });
    expect(seen().map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /v1/checkout/sessions/cs_test_known?expand[0]=payment_intent',
    ]);
  });

  test('without a session id, the key is looked up by PaymentIntent search and the day’s sessions; none is null', async () => {
    const status = await connector.getPaymentStatus({
      idempotencyKey: 'pay_lost-attempt-1',
      reference: 'pay_lost-attempt-1',
      providerPaymentId: null,
    });
    expect(status).toBeNull();
    expect(seen()[0]!.path).toContain(
      `/v1/payment_intents/search?query=metadata['kassa_attempt_key']:'pay_lost-attempt-1'`,
    );
    expect(seen().at(-1)!.path).toMatch(/^\/v1\/checkout\/sessions\?limit=100&created\[gte\]=\d+$/);
  });

  test('cancel expires the open session under a key of its own', async () => {
    const canceled = await connector.cancelPayment!({
      idempotencyKey: input.idempotencyKey,
      reference: input.reference,
      providerPaymentId: 'cs_test_open',
    });
    expect(canceled).toMatchObject({ providerPaymentId: 'cs_test_open', state: 'canceled' });
    expect(seen()[0]).toMatchObject({
      method: 'GET',
      path: expect.stringContaining('/v1/checkout/sessions/cs_test_open'),
    });
    const expire = seen().find((request) => request.method === 'POST');
    expect(expire).toMatchObject({
      path: '/v1/checkout/sessions/cs_test_open/expire',
      idempotencyKey: `${input.idempotencyKey}-expire`,
    });
  });

  test('a refund goes to the session’s PaymentIntent under the refund key, and is read back', async () => {
    const refund = await connector.refundPayment!({
      idempotencyKey: 're_kassa7',
      refundId: 're_kassa7',
      providerPaymentId: 'cs_test_paid',
      amountMinor: '700',
      currency: 'USD',
    });
    expect(refund).toMatchObject({
      providerRefundId: expect.stringMatching(/^re_/),
      amountMinor: '700',
      currency: 'USD',
    });
    expect(['pending', 'succeeded']).toContain(refund.state);
    const post = seen().find((request) => request.method === 'POST');
    expect(post).toMatchObject({ path: '/v1/refunds', idempotencyKey: 're_kassa7' });
    expect(Object.fromEntries(post!.params)).toMatchObject({
      payment_intent: expect.stringMatching(/^pi_/),
      amount: '700',
      'metadata[kassa_refund_id]': 're_kassa7',
    });

    const again = await connector.getRefundStatus!({
      refundId: 're_kassa7',
      providerRefundId: refund.providerRefundId,
    });
    expect(again).toMatchObject({ providerRefundId: refund.providerRefundId });
    await expect(connector.getRefundStatus!({ refundId: 're_unknown', providerRefundId: null })).resolves.toBeNull();
  });

  test('stripe-mock refuses a live key: a live connector there fails definitely; through the live-key proxy it works', async () => {
    const direct = createStripeConnector(credentials(mock.directUrl, 'sk_live_kassa'), { mode: 'live' });
    await expect(direct.createPayment(input)).rejects.toMatchObject({ kind: 'definite' });
    const proxied = createStripeConnector(credentials(mock.url, 'sk_live_kassa'), { mode: 'live' });
    await expect(proxied.createPayment(input)).resolves.toMatchObject({
      providerPaymentId: expect.stringMatching(/^cs_/),
    });
  });
});

describe('Stripe failures over HTTP', () => {
  const stub = async (status: number, headers: Record<string, string>, error: object) => {
    const server = await listen((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ error }));
    });
    others.push(server);
    return createStripeConnector(credentials(urlOf(server)), { mode: 'test' });
  };

  test('429 is transient and carries Retry-After as the next retry delay', async () => {
    const limited = await stub(429, { 'retry-after': '2' }, { type: 'rate_limit_error', message: 'Too many requests' });
    await expect(limited.createPayment(input)).rejects.toMatchObject({
      kind: 'transient',
      code: 'rate_limited',
      retryAfterMs: 2000,
    });
  });

  test('a 500 after sending is indeterminate; a declined card is definite with its decline code', async () => {
    const broken = await stub(500, {}, { type: 'api_error', message: 'Something went wrong' });
    await expect(broken.createPayment(input)).rejects.toMatchObject({ kind: 'indeterminate' });
    const declined = await stub(402, {}, { type: 'card_error', code: 'card_declined', decline_code: 'stolen_card' });
    await expect(declined.createPayment(input)).rejects.toMatchObject({ kind: 'definite', code: 'stolen_card' });
  });

  test('a session Stripe does not know is null', async () => {
    const missing = await stub(
      404,
      {},
      { type: 'invalid_request_error', code: 'resource_missing', message: 'No such' },
    );
    await expect(
      missing.getPaymentStatus({ idempotencyKey: 'k', reference: 'k', providerPaymentId: 'cs_gone' }),
    ).resolves.toBeNull();
  });

  test('nobody listening is transient; no answer within the timeout is indeterminate', async () => {
    const closed = await listen(() => undefined);
    const closedUrl = urlOf(closed);
    await close(closed);
    const unreachable = createStripeConnector(credentials(closedUrl), { mode: 'test' });
    await expect(unreachable.createPayment(input)).rejects.toMatchObject({ kind: 'transient', code: 'unreachable' });

    const silent = await listen(() => undefined);
    others.push(silent);
    const slow = createStripeConnector(credentials(urlOf(silent)), { mode: 'test' }, { timeoutMs: 300 });
    await expect(slow.createPayment(input)).rejects.toMatchObject({ kind: 'indeterminate', code: 'timeout' });
  });
});

describe('Stripe lookups by key (a create whose answer was lost)', () => {
  /** A Stripe that knows the sessions and refunds given, answering the few calls a lookup makes. */
  async function stripeKnowing(state: { intents: object[]; sessions: object[]; refunds: object[] }) {
    const calls: string[] = [];
    const server = await listen((req, res) => {
      const url = new URL(req.url!, 'http://stripe.invalid');
      calls.push(`${req.method} ${decodeURIComponent(url.pathname + url.search)}`);
      const page = (items: { id: string }[]) => {
        const after = url.searchParams.get('starting_after');
        const from = after ? items.findIndex((item) => item.id === after) + 1 : 0;
        const data = items.slice(from, from + 2);
        return { object: 'list', data, has_more: from + 2 < items.length };
      };
      const sessions = state.sessions as { id: string; payment_intent: string }[];
      let body: unknown;
      if (url.pathname === '/v1/payment_intents/search')
        body = { object: 'search_result', data: state.intents, has_more: false };
      else if (url.pathname === '/v1/checkout/sessions' && url.searchParams.has('payment_intent'))
        body = page(sessions.filter((session) => session.payment_intent === url.searchParams.get('payment_intent')));
      else if (url.pathname === '/v1/checkout/sessions') body = page(sessions);
      else if (url.pathname.startsWith('/v1/checkout/sessions/'))
        body = sessions.find((session) => session.id === url.pathname.split('/').pop());
      else if (url.pathname === '/v1/refunds') body = page(state.refunds as { id: string }[]);
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { error: { type: 'invalid_request_error', code: 'resource_missing' } }));
    });
    others.push(server);
    return { calls, connector: createStripeConnector(credentials(urlOf(server)), { mode: 'test' }) };
  }
  const session = (id: string, key: string, over: object = {}) => ({
    id,
    object: 'checkout.session',
    status: 'open',
    payment_status: 'unpaid',
    amount_total: 1500,
    currency: 'jpy',
    client_reference_id: key,
    metadata: { kassa_payment_id: 'pay_x', kassa_attempt_key: key },
    payment_intent: null,
    ...over,
  });
  const ref = (key: string) => ({ idempotencyKey: key, reference: key, providerPaymentId: null });

  test('a paid session is found through its PaymentIntent’s metadata', async () => {
    const key = 'pay_x-attempt-1';
    const { connector: stripe } = await stripeKnowing({
      intents: [
        { id: 'pi_9', status: 'succeeded', amount: 1500, currency: 'jpy', metadata: { kassa_attempt_key: key } },
      ],
      sessions: [session('cs_9', key, { status: 'complete', payment_status: 'paid', payment_intent: 'pi_9' })],
      refunds: [],
    });
    await expect(stripe.getPaymentStatus(ref(key))).resolves.toEqual({
      providerPaymentId: 'cs_9',
      state: 'succeeded',
      amountMinor: '1500',
      currency: 'JPY',
    });
  });

  test('an unpaid session is found among the day’s sessions, page after page', async () => {
    const key = 'pay_y-attempt-2';
    const { connector: stripe, calls } = await stripeKnowing({
      intents: [],
      sessions: [session('cs_1', 'pay_a-attempt-1'), session('cs_2', 'pay_b-attempt-1'), session('cs_3', key)],
      refunds: [],
    });
    await expect(stripe.getPaymentStatus(ref(key))).resolves.toMatchObject({
      providerPaymentId: 'cs_3',
      state: 'pending',
    });
    expect(calls.some((call) => call.includes('starting_after=cs_2'))).toBe(true);
    await expect(stripe.getPaymentStatus(ref('pay_z-attempt-1'))).resolves.toBeNull();
  });

  test('a refund whose answer was lost is found by Kassa’s refund id in its metadata', async () => {
    const refund = (id: string, refundId: string) => ({
      id,
      object: 'refund',
      status: 'succeeded',
      amount: 300,
      currency: 'jpy',
      metadata: { kassa_refund_id: refundId },
    });
    const { connector: stripe } = await stripeKnowing({
      intents: [],
      sessions: [],
      refunds: [refund('re_s1', 're_k1'), refund('re_s2', 're_k2'), refund('re_s3', 're_k3')],
    });
    await expect(stripe.getRefundStatus!({ refundId: 're_k3', providerRefundId: null })).resolves.toEqual({
      providerRefundId: 're_s3',
      state: 'succeeded',
      amountMinor: '300',
      currency: 'JPY',
    });
  });
});

test('cancelling a session the buyer paid meanwhile answers it paid', async () => {
  let expired = false;
  const server = await listen((req, res) => {
    const answer = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST') {
      expired = true;
      return answer(400, { error: { type: 'invalid_request_error', message: 'Only open sessions can be expired.' } });
    }
    const paid = expired;
    answer(200, {
      id: 'cs_race',
      object: 'checkout.session',
      status: paid ? 'complete' : 'open',
      payment_status: paid ? 'paid' : 'unpaid',
      amount_total: 990,
      currency: 'usd',
      metadata: {},
      payment_intent: null,
    });
  });
  others.push(server);
  const stripe = createStripeConnector(credentials(urlOf(server)), { mode: 'test' });
  await expect(
    stripe.cancelPayment!({
      idempotencyKey: 'pay_r-attempt-1',
      reference: 'pay_r-attempt-1',
      providerPaymentId: 'cs_race',
    }),
  ).resolves.toMatchObject({ providerPaymentId: 'cs_race', state: 'succeeded', amountMinor: '990', currency: 'USD' });
});
