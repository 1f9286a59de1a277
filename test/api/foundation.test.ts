import { Pool } from 'pg';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { insertPayment } from '../../src/db/payments';
import { newId } from '../../src/domain/ids';
import { sweepUnstarted } from '../../src/temporal/outbox';
import { purchaseWorkflowId } from '../../src/workflows/shared';
import { api, eventually, onboardMerchant, startTestStack, type TestStack } from '../support/stack';
import { providersFromConfig } from '../../src/providers/registry';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const paymentBody = (checkoutId: string, orderId = `O-${Math.random().toString(36).slice(2)}`) => ({
  checkout_id: checkoutId,
  order_id: orderId,
  amount: '50.00',
  currency: 'RUB',
  description: 'Test product',
});

test('healthz is ok once the database and Temporal answer, and readyz names each dependency', async () => {
  expect(await api(stack.url, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
  expect(await api(stack.url, 'GET', '/readyz')).toMatchObject({
    status: 200,
    body: { status: 'ready', checks: { database: 'ok', temporal: 'ok' } },
  });
});

test('readyz says the database is down when it is', async () => {
  const deadDb = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
  const app = createApp({ ...stack.kassa, providers: {} as never, db: deadDb, config: stack.kassa.config });
  const response = await request(app).get('/readyz');
  expect(response.status).toBe(503);
  expect(response.body.checks.database).toMatch(/^down: /);
  expect(response.body.checks.temporal).toBe('ok');
  expect((await request(app).get('/healthz')).status).toBe(503);
  await deadDb.end();
});

test('the walking skeleton: operator makes a merchant, the merchant a checkout and a payment, Temporal runs it', async () => {
  const { merchantId, testKey, checkout } = await onboardMerchant(stack, 'https://shop.example/kassa/notify');
  expect(merchantId).toMatch(/^mer_/);
  expect(testKey).toMatch(/^sk_test_/);
  expect(checkout.id).toMatch(/^co_/);
  expect(checkout.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

  const created = await api(stack.url, 'POST', '/v1/payments', {
    token: testKey,
    body: paymentBody(checkout.id, 'A-1001'),
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({
    object: 'payment',
    status: 'awaiting_method',
    order_id: 'A-1001',
    amount: '50.00',
    paid_at: null,
  });

  const handle = stack.kassa.temporal.workflow.getHandle(purchaseWorkflowId(created.body.id));
  const described = await handle.describe();
  expect(described.workflowId).toBe(`payment-${created.body.id}`);
  expect(described.type).toBe('purchaseWorkflow');

  const query = `PaymentStatus="awaiting_method" AND MerchantId="${merchantId}"`;
  const found = await eventually(
    async () => {
      const ids: string[] = [];
      for await (const run of stack.kassa.temporal.workflow.list({ query })) ids.push(run.workflowId);
      return ids;
    },
    (ids) => ids.length > 0,
  );
  expect(found).toEqual([`payment-${created.body.id}`]);

  const fetched = await api(stack.url, 'GET', `/v1/payments/${created.body.id}`, { token: testKey });
  expect(fetched.body.id).toBe(created.body.id);
  const listed = await api(stack.url, 'GET', `/v1/payments?checkout_id=${checkout.id}&limit=1`, { token: testKey });
  expect(listed.body).toMatchObject({ has_more: false, data: [{ id: created.body.id }] });
});

test('the same order_id twice is a 409 naming the existing payment', async () => {
  const { testKey, checkout } = await onboardMerchant(stack, 'https://shop.example/kassa/notify');
  const first = await api(stack.url, 'POST', '/v1/payments', {
    token: testKey,
    body: paymentBody(checkout.id, 'DUP-1'),
  });
  const second = await api(stack.url, 'POST', '/v1/payments', {
    token: testKey,
    body: paymentBody(checkout.id, 'DUP-1'),
  });
  expect(second.status).toBe(409);
  expect(second.body.error).toMatchObject({
    type: 'conflict_error',
    code: 'order_exists',
    param: 'order_id',
    payment_id: first.body.id,
  });
});

test.each([
  [{ amount: '0.00' }, 'amount'],
  [{ amount: '1.001' }, 'amount'],
  [{ amount: 50 }, 'amount'],
  [{ currency: 'USD' }, 'currency'],
  [{ currency: 'rub' }, 'currency'],
  [{ status: 'paid' }, 'status'],
  [{ checkout_id: 'co_doesnotexist000' }, 'checkout_id'],
  [{ method: 'bitcoin' }, 'method'],
])('bad input %j is a 4xx naming %s, never a 5xx', async (override, param) => {
  const { testKey, checkout } = await onboardMerchant(stack, 'https://shop.example/kassa/notify');
  const response = await api(stack.url, 'POST', '/v1/payments', {
    token: testKey,
    body: { ...paymentBody(checkout.id), ...override },
  });
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(response.body.error).toMatchObject({
    param,
    type: expect.any(String),
    code: expect.any(String),
    message: expect.any(String),
  });
});

test('malformed JSON, a missing key and an unknown route answer in the contract error shape', async () => {
  const { testKey } = await onboardMerchant(stack, 'https://shop.example/kassa/notify');
  const malformed = await api(stack.url, 'POST', '/v1/payments', { token: testKey, body: '{"amount":' });
  expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'body_invalid' } } });
  expect(await api(stack.url, 'GET', '/v1/payments')).toMatchObject({
    status: 401,
    body: { error: { type: 'authentication_error' } },
  });
  expect(
    await api(stack.url, 'POST', '/admin/merchants', { token: 'wrong-token-wrong-token', body: {} }),
  ).toMatchObject({ status: 401 });
  expect(await api(stack.url, 'GET', '/v1/nothing', { token: testKey })).toMatchObject({
    status: 404,
    body: { error: { type: 'not_found_error' } },
  });
});

test("another merchant's payment and checkout answer 404", async () => {
  const owner = await onboardMerchant(stack, 'https://shop.example/kassa/notify');
  const stranger = await onboardMerchant(stack, 'https://shop.example/kassa/notify');
  const created = await api(stack.url, 'POST', '/v1/payments', {
    token: owner.testKey,
    body: paymentBody(owner.checkout.id),
  });
  expect((await api(stack.url, 'GET', `/v1/payments/${created.body.id}`, { token: stranger.testKey })).status).toBe(
    404,
  );
  expect((await api(stack.url, 'GET', `/v1/payments/${created.body.id}`, { token: owner.liveKey })).status).toBe(404);
  expect((await api(stack.url, 'GET', `/v1/checkouts/${owner.checkout.id}`, { token: stranger.testKey })).status).toBe(
    404,
  );
  expect(
    (await api(stack.url, 'POST', `/v1/payments/${created.body.id}/cancel`, { token: stranger.testKey })).status,
  ).toBe(404);
});

test('a payment stored without its workflow (a crash in between) gets its workflow from the sweep', async () => {
  const { merchantId, checkout } = await onboardMerchant(stack, 'https://shop.example/kassa/notify');
  const payment = await insertPayment(stack.kassa.db, {
    id: newId('pay'),
    merchantId,
    checkoutId: checkout.id,
    orderId: 'CRASH-1',
    testMode: true,
    amountMinor: 5000n,
    currency: 'RUB',
    description: 'Stored before a crash',
    method: null,
    delivery: null,
    metadata: {},
    expiresAt: new Date(Date.now() + 1800_000),
  });
  const deps = {
    db: stack.kassa.db,
    temporal: stack.kassa.temporal,
    providers: providersFromConfig(stack.kassa.config),
    config: stack.kassa.config,
  };
  expect(await sweepUnstarted(deps, 0, ['payments'])).toEqual({ payments: 1 });
  const described = await stack.kassa.temporal.workflow.getHandle(purchaseWorkflowId(payment.id)).describe();
  expect(described.status.name).toBe('RUNNING');
  expect(await sweepUnstarted(deps, 0, ['payments'])).toEqual({ payments: 0 });
});
