import type { Pool } from 'pg';
import { buyerActs, chooseMethod } from '../support/money';
import {
  api,
  createTestPayment,
  eventually,
  paymentOf,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';
import {
  createYooKassaConnector,
  startYooKassaSimulator,
  type YooKassaSimulator,
  yookassaSecretKey,
  yookassaShopId,
} from '../support/yookassa-simulator';

let stack: TestStack;
let db: Pool;
let sim: YooKassaSimulator;
let connectorId: string;
stackForFile((running) => ({ stack, db } = running), { STATUS_POLL_SECONDS: '1' });
const newShop = shopsFor(() => stack);

beforeAll(async () => {
  sim = await startYooKassaSimulator();
  connectorId = await createYooKassaConnector(stack, sim);
  await sim.setNotificationUrl(`${stack.url}/callbacks/yookassa/${connectorId}`);
}, 60_000);
afterAll(() => sim?.stop());
afterEach(async () => {
  await sim?.call('DELETE', '/sim/faults');
});

const yookassaIdOf = (redirect: string) => new URL(redirect).pathname.split('/').pop()!;
const simPayment = async (id: string) => (await sim.call('GET', `/v3/payments/${id}`)).json();

/** The simulator's payments whose metadata names this Kassa payment. */
async function simPaymentsFor(paymentId: string): Promise<any[]> {
  const list = await (await sim.call('GET', '/v3/payments?limit=100')).json();
  return list.items.filter((item: any) => item.metadata?.kassa_payment_id === paymentId);
}

const notify = (body: unknown, connector = connectorId) =>
  fetch(`${stack.url}/callbacks/yookassa/${connector}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('paid: a two-stage YooKassa payment confirmed on its page is captured by Kassa and paid; a partial refund goes to YooKassa', async () => {
  const { testKey, checkout } = await newShop();
  const payment = await createTestPayment(stack, testKey, checkout.id, { amount: '50.00', description: 'Tea' });
  const redirect = await chooseMethod(stack, payment.id, 'yookassa_card');
  expect(redirect).toMatch(new RegExp(`^${sim.url}/checkout/[0-9a-f-]{36}$`));
  const created = await simPayment(yookassaIdOf(redirect));
  expect(created).toMatchObject({
    status: 'pending',
    amount: { value: '50.00', currency: 'RUB' },
    test: true,
    metadata: { kassa_payment_id: payment.id, kassa_attempt_key: expect.stringMatching(/-attempt-\d+$/) },
  });

  const back = await buyerActs(redirect, 'approve');
  expect(back).toBe(`${stack.url}/pay/${payment.id}/return`);
  const paid = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (body) => body.status === 'paid',
  );
  expect(paid).toMatchObject({ amount: '50.00', currency: 'RUB', method: 'yookassa_card' });
  expect(await simPayment(created.id)).toMatchObject({ status: 'succeeded', paid: true });
  // It came by notification (waiting_for_capture, then succeeded after Kassa's capture: one event).
  const events = await db.query('select event_id, state from provider_callbacks where payment_id = $1', [payment.id]);
  expect(events.rows).toEqual([{ event_id: `${created.id}.succeeded`, state: 'succeeded' }]);

  const refund = await api(stack.url, 'POST', `/v1/payments/${payment.id}/refunds`, {
    token: testKey,
    body: { amount: '20.00' },
  });
  expect(refund.status).toBe(201);
  const settled = await eventually(
    () => api(stack.url, 'GET', `/v1/refunds/${refund.body.id}`, { token: testKey }).then((r) => r.body),
    (body) => body.status !== 'pending',
  );
  expect(settled).toMatchObject({ status: 'succeeded', amount: '20.00' });
  const refunds = await (await sim.call('GET', `/v3/refunds?payment_id=${created.id}`)).json();
  expect(refunds.items).toEqual([
    expect.objectContaining({
      status: 'succeeded',
      amount: { value: '20.00', currency: 'RUB' },
      description: `Kassa refund ${refund.body.id}`,
    }),
  ]);
  expect(await simPayment(created.id)).toMatchObject({ refunded_amount: { value: '20.00', currency: 'RUB' } });
});

test('declined at YooKassa, then paid with another method at another connector', async () => {
  const { testKey, checkout } = await newShop();
  const payment = await createTestPayment(stack, testKey, checkout.id);
  await buyerActs(await chooseMethod(stack, payment.id, 'yookassa_card'), 'decline');
  const declined = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (body) => body.failure_reason === 'general_decline',
  );
  expect(declined).toMatchObject({ status: 'awaiting_method', paid_at: null });

  await buyerActs(await chooseMethod(stack, payment.id, 'sandbox_card'), 'approve');
  const paid = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (body) => body.status === 'paid',
  );
  expect(paid.method).toBe('sandbox_card');
});

test("notifications: forged ones (outside YooKassa's networks, a status the API denies, an unknown payment) are refused and change nothing; a replay changes nothing; the reply is exactly an empty 200", async () => {
  const { testKey, checkout } = await newShop();
  const payment = await createTestPayment(stack, testKey, checkout.id);
  const redirect = await chooseMethod(stack, payment.id, 'yookassa_card');
  const yookassaId = yookassaIdOf(redirect);
  const pending = await simPayment(yookassaId);
  const claim = {
    type: 'notification',
    event: 'payment.succeeded',
    object: { ...pending, status: 'succeeded', paid: true },
  };

  // A connector that keeps YooKassa's own networks: a notification from 127.0.0.1 is not YooKassa's.
  const strict = await api(stack.url, 'POST', '/admin/connectors', {
    token: stack.adminToken,
    body: {
      provider: 'yookassa',
      mode: 'test',
      methods: ['yookassa_sbp'],
      priority: 90,
      credentials: { shop_id: yookassaShopId, secret_key: yookassaSecretKey, api_base: sim.apiBase },
    },
  });
  expect(strict.status).toBe(201);
  const refused = [
    await notify(claim, strict.body.id),
    // From a trusted network, but YooKassa's API says the payment is pending.
    await notify(claim),
    // A payment YooKassa does not know.
    await notify({ ...claim, object: { ...claim.object, id: '00000000-000f-5000-8000-000000000000' } }),
    // Not a notification at all.
    await notify('{"type":"notification"'),
  ];
  for (const answer of refused) {
    expect(answer.status).toBe(403);
    expect(await answer.text()).toBe('');
  }
  expect((await paymentOf(stack, testKey, payment.id)).status).toBe('awaiting_payment');
  expect((await simPayment(yookassaId)).status).toBe('pending');
  const stored = await db.query('select count(*)::int as n from provider_callbacks where payment_id = $1', [
    payment.id,
  ]);
  expect(stored.rows[0].n).toBe(0);

  await buyerActs(redirect, 'approve');
  await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (body) => body.status === 'paid',
  );
  const captured = await simPayment(yookassaId);
  expect(captured.status).toBe('succeeded');
  const before = await db.query('select count(*)::int as n from provider_callbacks where payment_id = $1', [
    payment.id,
  ]);

  // YooKassa resends until it gets a 200: the same notifications again, answered exactly so, change nothing.
  for (const event of ['payment.succeeded', 'payment.waiting_for_capture']) {
    const again = await notify({
      type: 'notification',
      event,
      object: { ...captured, status: event.split('.')[1] },
    });
    expect(again.status).toBe(200);
    expect(again.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await again.text()).toBe('');
  }
  expect(await paymentOf(stack, testKey, payment.id)).toMatchObject({ status: 'paid', amount: '50.00' });
  const after = await db.query('select count(*)::int as n from provider_callbacks where payment_id = $1', [payment.id]);
  expect(after.rows[0].n).toBe(before.rows[0].n);
  expect((await simPaymentsFor(payment.id)).map((item) => item.status)).toEqual(['succeeded']);
});

test('a lost notification: the status check finds the paid payment, captures it, and the payment is paid', async () => {
  const { testKey, checkout } = await newShop();
  const payment = await createTestPayment(stack, testKey, checkout.id);
  await sim.fault({ reference: payment.id, drop: true });
  const redirect = await chooseMethod(stack, payment.id, 'yookassa_wallet');
  await buyerActs(redirect, 'approve');
  await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (body) => body.status === 'paid',
    30_000,
  );
  expect(await simPayment(yookassaIdOf(redirect))).toMatchObject({ status: 'succeeded' });
  const events = await db.query('select count(*)::int as n from provider_callbacks where payment_id = $1', [
    payment.id,
  ]);
  expect(events.rows[0].n).toBe(0);
});

test('a refund YooKassa refuses is failed in Kassa', async () => {
  const { testKey, checkout } = await newShop();
  const payment = await createTestPayment(stack, testKey, checkout.id);
  await sim.fault({ reference: payment.id, refund_fails: true });
  await buyerActs(await chooseMethod(stack, payment.id, 'yookassa_card'), 'approve');
  await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (body) => body.status === 'paid',
  );
  const refund = await api(stack.url, 'POST', `/v1/payments/${payment.id}/refunds`, {
    token: testKey,
    body: { amount: '50.00' },
  });
  expect(refund.status).toBe(201);
  const settled = await eventually(
    () => api(stack.url, 'GET', `/v1/refunds/${refund.body.id}`, { token: testKey }).then((r) => r.body),
    (body) => body.status !== 'pending',
  );
  expect(settled.status).toBe('failed');
});

test('an unknown outcome: a create whose answer was lost is asked again under the same key and makes one YooKassa payment', async () => {
  const { testKey, checkout } = await newShop();
  const payment = await createTestPayment(stack, testKey, checkout.id);
  await sim.fault({ lose_answers: 1 });
  const redirect = await chooseMethod(stack, payment.id, 'yookassa_card');
  const made = await simPaymentsFor(payment.id);
  expect(made).toHaveLength(1);
  expect(yookassaIdOf(redirect)).toBe(made[0].id);
  await buyerActs(redirect, 'approve');
  await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (body) => body.status === 'paid',
  );
  expect(await simPaymentsFor(payment.id)).toHaveLength(1);
});

test.each([
  ['amount', { wrong_amount: true }],
  ['currency', { wrong_currency: true }],
])('a YooKassa payment paid with another %s is held for review', async (_what, fault) => {
  const { testKey, checkout } = await newShop();
  const payment = await createTestPayment(stack, testKey, checkout.id);
  await sim.fault({ reference: payment.id, ...fault });
  await buyerActs(await chooseMethod(stack, payment.id, 'yookassa_card'), 'approve');
  const held = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (body) => body.status === 'under_review',
  );
  expect(held.paid_at).toBeNull();
});
