import type { Pool } from 'pg';
import { chooseMethod } from '../support/money';
import { api, eventually, paymentOf, shopsFor, stackForFile, type TestStack } from '../support/stack';
import { type StripeSimulator, startStripeSimulator, stripeSimulatorKey } from '../support/stripe-simulator';

let stack: TestStack;
let db: Pool;
let sim: StripeSimulator;
stackForFile((running) => ({ stack, db } = running));
const newShop = shopsFor(() => stack, 'all');

beforeAll(async () => {
  sim = await startStripeSimulator();
  // As an operator does it at Stripe: an endpoint (its secret is Stripe's), the connector holding that
  // secret, then the endpoint pointed at the connector's callback URL.
  const endpoint = await sim.addEndpoint('http://127.0.0.1:9/not-yet');
  const connector = await api(stack.url, 'POST', '/admin/connectors', {
    token: stack.adminToken,
    body: {
      provider: 'stripe',
      mode: 'test',
      credentials: { secret_key: stripeSimulatorKey, webhook_secret: endpoint.secret, api_base: sim.url },
    },
  });
  if (connector.status !== 201) throw new Error(`connector: ${connector.status} ${JSON.stringify(connector.body)}`);
  const pointed = await sim.call('POST', `/v1/webhook_endpoints/${endpoint.id}`, {
    url: `${stack.url}/callbacks/stripe/${connector.body.id}`,
  });
  if (pointed.status !== 200) throw new Error(`endpoint: ${pointed.status}`);
}, 60_000);
afterAll(() => sim?.stop());

async function stripePayment(amount = '15.00') {
  const shop = await newShop([], { currencies: ['USD'] });
  const created = await api(stack.url, 'POST', '/v1/payments', {
    token: shop.testKey,
    body: { checkout_id: shop.checkout.id, order_id: `S-${Date.now()}`, amount, currency: 'USD', description: 'Tea' },
  });
  if (created.status !== 201) throw new Error(`payment: ${created.status} ${JSON.stringify(created.body)}`);
  const page = await chooseMethod(stack, created.body.id, 'stripe_card');
  return { shop, id: created.body.id as string, page };
}

const press = (page: string, action: 'approve' | 'decline') =>
  fetch(`${page}/${action}`, { method: 'POST', redirect: 'manual' });

const sessionIdOf = (page: string) => page.split('/').pop()!;

const storedEvents = (paymentId: string) =>
  db
    .query<{ event_id: string }>(
      `select event_id from provider_callbacks where provider = 'stripe' and payment_id = $1 order by event_id`,
      [paymentId],
    )
    .then((result) => result.rows.map((row) => row.event_id));

test("a buyer pays on the simulator's Checkout page: back at Kassa's return page, the payment paid by the signed webhook", async () => {
  const { shop, id, page } = await stripePayment();
  expect(page).toMatch(new RegExp(`^${sim.url}/c/pay/cs_test_`));
  const html = await (await fetch(page)).text();
  expect(html).toContain('15.00 USD');

  const paid = await press(page, 'approve');
  expect(paid.status).toBe(303);
  expect(paid.headers.get('location')).toContain(`/pay/${id}`);
  const payment = await eventually(
    () => paymentOf(stack, shop.testKey, id),
    (body) => body.status === 'paid',
  );
  expect(payment).toMatchObject({ status: 'paid', amount: '15.00', currency: 'USD', method: 'stripe_card' });
  expect(await storedEvents(id)).toHaveLength(1);
});

test('the same webhook three times, with the earlier events after it, pays once and is stored once', async () => {
  const { shop, id, page } = await stripePayment();
  await sim.fault({ reference: sessionIdOf(page), duplicate: 2, reorder: true });
  await press(page, 'approve');
  await eventually(
    () => paymentOf(stack, shop.testKey, id),
    (body) => body.status === 'paid',
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await storedEvents(id)).toHaveLength(1);
});

test('a declined card leaves the payment waiting at Stripe; paying again on the same page pays it', async () => {
  const { shop, id, page } = await stripePayment();
  const declined = await press(page, 'decline');
  expect(declined.status).toBe(303);
  expect(await (await fetch(page)).text()).toContain('Your card was declined.');
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await paymentOf(stack, shop.testKey, id)).status).toBe('awaiting_payment');
  await press(page, 'approve');
  await eventually(
    () => paymentOf(stack, shop.testKey, id),
    (body) => body.status === 'paid',
  );
});

test('Stripe capturing more than asked holds the payment for review', async () => {
  const { shop, id, page } = await stripePayment();
  await sim.fault({ reference: sessionIdOf(page), wrong_amount: true });
  await press(page, 'approve');
  const held = await eventually(
    () => paymentOf(stack, shop.testKey, id),
    (body) => body.status === 'under_review',
  );
  expect(held.status).toBe('under_review');
});

test('a refund of a payment paid through the simulator is made against its PaymentIntent and succeeds', async () => {
  const { shop, id, page } = await stripePayment();
  await press(page, 'approve');
  await eventually(
    () => paymentOf(stack, shop.testKey, id),
    (body) => body.status === 'paid',
  );
  const refund = await api(stack.url, 'POST', `/v1/payments/${id}/refunds`, {
    token: shop.testKey,
    body: { amount: '5.00' },
  });
  expect(refund.status).toBe(201);
  const settled = await eventually(
    () => api(stack.url, 'GET', `/v1/refunds/${refund.body.id}`, { token: shop.testKey }).then((r) => r.body),
    (body) => body.status !== 'pending',
  );
  expect(settled).toMatchObject({ status: 'succeeded', amount: '5.00' });
  const session = await sim.call('GET', `/v1/checkout/sessions/${sessionIdOf(page)}`);
  const refunds = await sim.call('GET', '/v1/refunds', { limit: '100' });
  expect(refunds.body.data).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ payment_intent: session.body.payment_intent, amount: 500, status: 'succeeded' }),
    ]),
  );
});
