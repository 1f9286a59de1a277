import type { Pool } from 'pg';
import Stripe from 'stripe';
import { markVerified } from '../support/merchant-api';
import { chooseMethod } from '../support/money';
import { api, createMerchant, eventually, paymentOf, stackForFile, type TestStack } from '../support/stack';
import { startStripeMock, type StripeMock } from '../support/stripe-mock';

const webhookSecret = 'whsec_kassa_live_e2e';
let stack: TestStack;
let db: Pool;
let mock: StripeMock;

beforeAll(async () => {
  mock = await startStripeMock();
}, 30_000);
afterAll(() => mock?.stop());
stackForFile((running) => ({ stack, db } = running));

/** A Stripe event about the session Kassa created, as Stripe would sign and send it. */
function sessionEvent(type: string, session: Record<string, unknown>, id: string, livemode = true) {
  const payload = JSON.stringify({
    id,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    livemode,
    data: { object: { object: 'checkout.session', ...session } },
  });
  return { payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret }) };
}

const deliver = (connectorId: string, event: { payload: string; signature: string }) =>
  fetch(`${stack.url}/callbacks/stripe/${connectorId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
    body: event.payload,
  });

test('a live-mode payment is paid end to end through a live Stripe connector against stripe-mock', async () => {
  const admin = (method: string, path: string, body?: unknown) =>
    api(stack.url, method, path, { token: stack.adminToken, ...(body !== undefined && { body }) });
  const connector = await admin('POST', '/admin/connectors', {
    provider: 'stripe',
    mode: 'live',
    credentials: { secret_key: 'sk_live_kassae2e', webhook_secret: webhookSecret, api_base: mock.url },
    methods: ['stripe_card'],
    priority: 0,
  });
  expect(connector).toMatchObject({ status: 201, body: { provider: 'stripe', mode: 'live', status: 'active' } });
  expect(JSON.stringify(connector.body)).not.toContain('sk_live_kassae2e');
  expect(JSON.stringify(connector.body)).not.toContain(webhookSecret);
  const connectorId: string = connector.body.id;

  const merchant = await createMerchant(stack);
  const checkout = await api(stack.url, 'POST', '/v1/checkouts', {
    token: merchant.liveKey,
    body: {
      name: 'Live shop',
      site_url: 'https://shop.example',
      currencies: ['USD'],
      notify_url: 'https://shop.example/notify',
      success_url: 'https://shop.example/ok',
      fail_url: 'https://shop.example/fail',
      pending_url: 'https://shop.example/wait',
    },
  });
  expect(checkout.status).toBe(201);
  await markVerified(db, checkout.body.id);
  const methods = await api(stack.url, 'GET', `/v1/checkouts/${checkout.body.id}/methods?amount=15.00&currency=USD`, {
    token: merchant.liveKey,
  });
  expect(methods.body.data.map((method: { method: string }) => method.method)).toEqual(['stripe_card']);

  const created = await api(stack.url, 'POST', '/v1/payments', {
    token: merchant.liveKey,
    body: { checkout_id: checkout.body.id, order_id: 'L-1', amount: '15.00', currency: 'USD', description: 'Tea' },
  });
  expect(created).toMatchObject({ status: 201, body: { test_mode: false } });
  const paymentId: string = created.body.id;

  mock.exchanges.length = 0;
  const redirect = await chooseMethod(stack, paymentId, 'stripe_card');
  expect(redirect).toMatch(/^https:\/\/checkout\.stripe\.com\//);
  const create = mock.exchanges.find(
    (exchange) => exchange.method === 'POST' && exchange.path === '/v1/checkout/sessions',
  );
  expect(create).toBeDefined();
  const sent = Object.fromEntries(create!.params);
  expect(sent).toMatchObject({
    'metadata[kassa_payment_id]': paymentId,
    'line_items[0][price_data][currency]': 'usd',
    'line_items[0][price_data][unit_amount]': '1500',
  });
  expect(create!.idempotencyKey).toBe(sent['metadata[kassa_attempt_key]']);

  // What Stripe would send once the buyer paid on its page: the session, complete and paid.
  const session = {
    id: create!.answer.id,
    status: 'complete',
    payment_status: 'paid',
    amount_total: 1500,
    currency: 'usd',
    client_reference_id: sent.client_reference_id,
    metadata: {
      kassa_payment_id: paymentId,
      kassa_attempt_key: sent['metadata[kassa_attempt_key]'],
    },
    payment_intent: 'pi_live_e2e',
  };
  const forged = sessionEvent('checkout.session.completed', session, 'evt_forged');
  forged.signature = Stripe.webhooks.generateTestHeaderString({ payload: forged.payload, secret: 'whsec_other' });
  expect((await deliver(connectorId, forged)).status).toBe(401);
  expect((await paymentOf(stack, merchant.liveKey, paymentId)).status).not.toBe('paid');

  const completed = sessionEvent('checkout.session.completed', session, 'evt_live_e2e_1');
  expect((await deliver(connectorId, completed)).status).toBe(200);
  const paid = await eventually(
    () => paymentOf(stack, merchant.liveKey, paymentId),
    (payment) => payment.status === 'paid',
  );
  expect(paid).toMatchObject({ status: 'paid', amount: '15.00', currency: 'USD', test_mode: false });

  // Stripe retries for days: the same event again changes nothing.
  expect((await deliver(connectorId, completed)).status).toBe(200);
  expect((await paymentOf(stack, merchant.liveKey, paymentId)).status).toBe('paid');

  // A partial refund goes to Stripe against the session's PaymentIntent (stripe-mock's refunds are in dollars).
  const refund = await api(stack.url, 'POST', `/v1/payments/${paymentId}/refunds`, {
    token: merchant.liveKey,
    body: { amount: '5.00' },
  });
  expect(refund.status).toBe(201);
  const settled = await eventually(
    () => api(stack.url, 'GET', `/v1/refunds/${refund.body.id}`, { token: merchant.liveKey }).then((r) => r.body),
    (body) => body.status !== 'pending',
  );
  expect(settled).toMatchObject({ status: 'succeeded', amount: '5.00' });
  const refundCall = mock.exchanges.find((exchange) => exchange.method === 'POST' && exchange.path === '/v1/refunds');
  expect(Object.fromEntries(refundCall!.params)).toMatchObject({
    payment_intent: expect.stringMatching(/^pi_/),
    amount: '500',
    'metadata[kassa_refund_id]': refund.body.id,
  });
});

test('Stripe test mode is a test connector with a test key: a test payment is paid through it; a live-mode event there is ignored', async () => {
  const connector = await api(stack.url, 'POST', '/admin/connectors', {
    token: stack.adminToken,
    body: {
      provider: 'stripe',
      mode: 'test',
      credentials: { secret_key: 'sk_test_kassae2e', webhook_secret: webhookSecret, api_base: mock.url },
    },
  });
  expect(connector).toMatchObject({ status: 201, body: { mode: 'test', methods: ['stripe_card'] } });
  const merchant = await createMerchant(stack);
  const checkout = await api(stack.url, 'POST', '/v1/checkouts', {
    token: merchant.testKey,
    body: {
      name: 'Test shop',
      site_url: 'https://shop.example',
      currencies: ['USD'],
      notify_url: 'https://shop.example/notify',
      success_url: 'https://shop.example/ok',
      fail_url: 'https://shop.example/fail',
      pending_url: 'https://shop.example/wait',
    },
  });
  const created = await api(stack.url, 'POST', '/v1/payments', {
    token: merchant.testKey,
    body: { checkout_id: checkout.body.id, order_id: 'T-1', amount: '9.90', currency: 'USD', description: 'Cup' },
  });
  expect(created).toMatchObject({ status: 201, body: { test_mode: true } });
  const paymentId: string = created.body.id;

  mock.exchanges.length = 0;
  await chooseMethod(stack, paymentId, 'stripe_card');
  const create = mock.exchanges.find(
    (exchange) => exchange.method === 'POST' && exchange.path === '/v1/checkout/sessions',
  );
  const sent = Object.fromEntries(create!.params);
  const session = {
    id: create!.answer.id,
    status: 'complete',
    payment_status: 'paid',
    amount_total: 990,
    currency: 'usd',
    metadata: { kassa_payment_id: paymentId, kassa_attempt_key: sent['metadata[kassa_attempt_key]'] },
  };

  const live = sessionEvent('checkout.session.completed', session, 'evt_test_e2e_live', true);
  expect((await deliver(connector.body.id, live)).status).toBe(200);
  expect((await paymentOf(stack, merchant.testKey, paymentId)).status).not.toBe('paid');

  const completed = sessionEvent('checkout.session.completed', session, 'evt_test_e2e_1', false);
  expect((await deliver(connector.body.id, completed)).status).toBe(200);
  await eventually(
    () => paymentOf(stack, merchant.testKey, paymentId),
    (payment) => payment.status === 'paid',
  );
  const stored = await db.query<{ event_id: string }>(
    `select event_id from provider_callbacks where provider = 'stripe' and payment_id = $1`,
    [paymentId],
  );
  expect(stored.rows.map((row) => row.event_id)).toEqual(['evt_test_e2e_1']);
});
