import request from 'supertest';
import { Client } from 'pg';
import { insertPayment } from '../../src/db/payments';
import { newId } from '../../src/domain/ids';
import { setupProgress } from '../../src/services/setup-checklist';
import { checkoutBody, principalOf, startApiHarness, type ApiHarness } from '../support/merchant-api';

// The cabinet's home asks for the checklist on every visit: its cost must not grow with the checkouts.
let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
}, 60_000);
afterAll(() => harness?.close());

/** A merchant whose test checkouts all send notifications to their own site (so only a channel sets that step). */
async function merchantWithCheckouts(count: number) {
  const site = 'https://shop.example/';
  const merchant = await harness.merchant({ site_url: site, notify_url: site });
  const ids = [merchant.testCheckout.id as string];
  for (let made = 1; made < count; made++) {
    const created = await request(harness.app)
      .post('/v1/checkouts')
      .set('authorization', `Bearer ${merchant.testKey}`)
      .send(checkoutBody({ name: `Shop ${made}`, site_url: site, notify_url: site }));
    expect(created.status).toBe(201);
    ids.push(created.body.id);
  }
  return { merchant, ids };
}

async function statementsOf(run: () => Promise<unknown>) {
  const spy = jest.spyOn(Client.prototype, 'query');
  try {
    await run();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

test('the checklist takes three statements however many checkouts there are', async () => {
  const { merchant, ids } = await merchantWithCheckouts(5);
  let progress!: Awaited<ReturnType<typeof setupProgress>>;
  const statements = await statementsOf(async () => {
    progress = await setupProgress(harness.deps, principalOf(merchant));
  });
  expect(statements).toBe(3);
  expect(progress.checkouts.map((checkout) => checkout.id).sort()).toEqual([...ids].sort());
  expect(progress).toMatchObject({ checkoutCreated: true, notificationsSet: false, testPaymentMade: false });
});

test('a channel on any checkout sets up notifications; a paid test payment, not a live one, counts', async () => {
  const { merchant, ids } = await merchantWithCheckouts(3);
  const progress = () => setupProgress(harness.deps, principalOf(merchant));
  await harness.db.query(
    `insert into notification_channels (checkout_id, kind, events, settings) values ($1, 'email', '{payment.paid}', '{}')`,
    [ids[2]],
  );
  expect((await progress()).notificationsSet).toBe(true);

  // a live payment, stored as a create stores one (a live checkout takes payments once its site is verified)
  const live = await insertPayment(harness.db, {
    id: newId('pay'),
    merchantId: merchant.id,
    checkoutId: merchant.liveCheckout.id,
    orderId: `LIVE-${Date.now()}`,
    testMode: false,
    amountMinor: 5000n,
    currency: 'RUB',
    description: 'Live',
    method: null,
    delivery: null,
    metadata: {},
    expiresAt: new Date(Date.now() + 1800_000),
  });
  await harness.db.query(`update payments set status = 'paid' where id = $1`, [live.id]);
  expect((await progress()).testPaymentMade).toBe(false);
  const test = await harness.payment(merchant);
  await harness.db.query(`update payments set status = 'refunded' where id = $1`, [test.id]);
  expect((await progress()).testPaymentMade).toBe(true);
});
