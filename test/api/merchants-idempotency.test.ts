import type { Client } from '@temporalio/client';
import { Pool } from 'pg';
import request from 'supertest';
import { checkoutBody, startApiHarness } from '../support/merchant-api';
import { api, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let db: Pool;
beforeAll(async () => {
  stack = await startTestStack();
  db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
}, 120_000);
afterAll(async () => {
  await db?.end();
  await stack?.close();
});

async function newMerchant() {
  const created = await api(stack.url, 'POST', '/admin/merchants', {
    token: stack.adminToken,
    body: { name: 'Shop', email: 'shop@example.com' },
  });
  return {
    id: created.body.id as string,
    testKey: created.body.api_keys.test as string,
    liveKey: created.body.api_keys.live as string,
  };
}

const post = (key: string, pathname: string, body: unknown, idempotencyKey?: string) =>
  api(stack.url, 'POST', pathname, {
    token: key,
    body,
    headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
  });

const countRows = async (table: 'checkouts' | 'payments', merchantId: string) =>
  Number((await db.query(`select count(*) from ${table} where merchant_id = $1`, [merchantId])).rows[0].count);

async function fiftyAtOnce(key: string, pathname: string, body: unknown) {
  const responses = await Promise.all(Array.from({ length: 50 }, () => post(key, pathname, body, 'same-key-50')));
  const created = responses.filter((response) => response.status === 201);
  const busy = responses.filter((response) => response.status === 409);
  expect(created.length + busy.length).toBe(50);
  expect(created.length).toBeGreaterThanOrEqual(1);
  expect(new Set(created.map((response) => response.body.id)).size).toBe(1);
  for (const response of busy)
    expect(response.body.error).toMatchObject({
      type: 'conflict_error',
      code: 'idempotency_key_in_use',
      param: 'Idempotency-Key',
    });
  return created[0]!.body;
}

test('50 concurrent identical POST /v1/checkouts with one Idempotency-Key make one checkout; later the same request replays it', async () => {
  const merchant = await newMerchant();
  const first = await fiftyAtOnce(merchant.testKey, '/v1/checkouts', checkoutBody());
  expect(await countRows('checkouts', merchant.id)).toBe(1);
  const replay = await fetch(`${stack.url}/v1/checkouts`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${merchant.testKey}`,
      'content-type': 'application/json',
      'idempotency-key': 'same-key-50',
    },
    body: JSON.stringify(checkoutBody()),
  });
  expect(replay.status).toBe(201);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(await replay.json()).toEqual(first);
  expect(await countRows('checkouts', merchant.id)).toBe(1);
  const stored = await db.query(
    'select test_mode, state, response_status from idempotency_keys where merchant_id = $1',
    [merchant.id],
  );
  expect(stored.rows).toEqual([{ test_mode: true, state: 'done', response_status: 201 }]);
});

test('50 concurrent identical POST /v1/payments with one Idempotency-Key make one payment and one workflow', async () => {
  const merchant = await newMerchant();
  const checkout = (await post(merchant.testKey, '/v1/checkouts', checkoutBody())).body;
  const body = { checkout_id: checkout.id, order_id: 'IDEM-1', amount: '50.00', currency: 'RUB', description: 'x' };
  const payment = await fiftyAtOnce(merchant.testKey, '/v1/payments', body);
  expect(await countRows('payments', merchant.id)).toBe(1);
  expect((await post(merchant.testKey, '/v1/payments', body, 'same-key-50')).body).toEqual(payment);
  expect((await stack.kassa.temporal.workflow.getHandle(`payment-${payment.id}`).describe()).status.name).toBe(
    'RUNNING',
  );
});

test('the same key with another body, or on another endpoint, is a 422 and creates nothing', async () => {
  const merchant = await newMerchant();
  expect((await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'k-422')).status).toBe(201);
  const other = await post(merchant.testKey, '/v1/checkouts', checkoutBody({ name: 'Another shop' }), 'k-422');
  expect(other).toMatchObject({
    status: 422,
    body: { error: { type: 'invalid_request_error', code: 'idempotency_key_reused', param: 'Idempotency-Key' } },
  });
  const elsewhere = await post(
    merchant.testKey,
    '/v1/payments',
    { checkout_id: 'co_x0000000', order_id: '1', amount: '1', currency: 'RUB', description: 'x' },
    'k-422',
  );
  expect(elsewhere.status).toBe(422);
  const reordered = { ...checkoutBody() };
  const sameContentOtherOrder = Object.fromEntries(Object.entries(reordered).reverse());
  expect((await post(merchant.testKey, '/v1/checkouts', sameContentOtherOrder, 'k-422')).status).toBe(201);
  expect(await countRows('checkouts', merchant.id)).toBe(1);
});

test('keys are scoped per merchant and per mode: the same key elsewhere is another key', async () => {
  const [one, two] = [await newMerchant(), await newMerchant()];
  const ids = [
    (await post(one.testKey, '/v1/checkouts', checkoutBody(), 'shared')).body.id,
    (await post(one.liveKey, '/v1/checkouts', checkoutBody(), 'shared')).body.id,
    (await post(two.testKey, '/v1/checkouts', checkoutBody(), 'shared')).body.id,
  ];
  expect(new Set(ids).size).toBe(3);
  expect(ids.every((id) => /^co_/.test(id))).toBe(true);
});

test('a 400 is not stored: the same key works once the body is fixed', async () => {
  const merchant = await newMerchant();
  const bad = await post(merchant.testKey, '/v1/checkouts', checkoutBody({ currencies: ['XXX'] }), 'fix-me');
  expect(bad).toMatchObject({ status: 400, body: { error: { param: 'currencies.0' } } });
  expect((await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'fix-me')).status).toBe(201);
  expect((await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'fix-me')).status).toBe(201);
  expect(await countRows('checkouts', merchant.id)).toBe(1);
});

test('a 404 is stored and replayed like any answer', async () => {
  const merchant = await newMerchant();
  const body = { checkout_id: 'co_doesnotexist00', order_id: 'N-1', amount: '1.00', currency: 'RUB', description: 'x' };
  const first = await post(merchant.testKey, '/v1/payments', body, 'gone');
  expect(first.status).toBe(404);
  const again = await post(merchant.testKey, '/v1/payments', body, 'gone');
  expect(again).toMatchObject({ status: 404, body: first.body });
  expect(again.headers.get('idempotent-replayed')).toBe('true');
});

test('a key is kept 24 hours; after that the same key is new again', async () => {
  const merchant = await newMerchant();
  const first = await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'day-old');
  await db.query(
    `update idempotency_keys set created_at = now() - interval '23 hours 59 minutes' where merchant_id = $1`,
    [merchant.id],
  );
  expect((await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'day-old')).body.id).toBe(first.body.id);
  await db.query(
    `update idempotency_keys set created_at = now() - interval '24 hours 1 minute' where merchant_id = $1`,
    [merchant.id],
  );
  const later = await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'day-old');
  expect(later.status).toBe(201);
  expect(later.body.id).not.toBe(first.body.id);
});

test('Idempotency-Key must be 1 to 255 characters', async () => {
  const merchant = await newMerchant();
  expect(await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'k'.repeat(256))).toMatchObject({
    status: 400,
    body: { error: { code: 'idempotency_key_invalid', param: 'Idempotency-Key' } },
  });
  expect((await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'k'.repeat(255))).status).toBe(201);
  expect(await countRows('checkouts', merchant.id)).toBe(1);
});

test("a stored answer holds no secret in clear: the checkout's webhook_secret is encrypted at rest and replayed as it was", async () => {
  const merchant = await newMerchant();
  const first = await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'secret-answer');
  expect(first.status).toBe(201);
  const secret: string = first.body.webhook_secret;
  expect(secret).toMatch(/^whsec_/);
  const { rows } = await db.query(
    `select row_to_json(k)::text as row, response_body from idempotency_keys k where merchant_id = $1`,
    [merchant.id],
  );
  expect(rows).toHaveLength(1);
  expect(rows[0].row).not.toContain(secret);
  expect(rows[0].row).not.toContain('whsec_');
  expect(rows[0].row).not.toContain(first.body.id);
  expect(rows[0].response_body).toMatch(/^v1\./);
  const replay = await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'secret-answer');
  expect(replay).toMatchObject({ status: 201, body: first.body });
  expect(replay.headers.get('idempotent-replayed')).toBe('true');

  // A stored answer is bound to its merchant, mode and key: copied onto another key, it does not decrypt.
  await post(merchant.testKey, '/v1/checkouts', checkoutBody({ name: 'Other' }), 'other-key');
  await db.query(`update idempotency_keys set response_body = $2 where merchant_id = $1 and key = 'other-key'`, [
    merchant.id,
    rows[0].response_body,
  ]);
  const copied = await post(merchant.testKey, '/v1/checkouts', checkoutBody({ name: 'Other' }), 'other-key');
  expect(copied.status).toBe(500);
  expect(JSON.stringify(copied.body)).not.toContain(secret);
});

test('answers stored in clear before encryption still replay', async () => {
  const merchant = await newMerchant();
  const first = await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'legacy');
  await db.query(`update idempotency_keys set response_body = $2 where merchant_id = $1 and key = 'legacy'`, [
    merchant.id,
    JSON.stringify(first.body),
  ]);
  expect(await post(merchant.testKey, '/v1/checkouts', checkoutBody(), 'legacy')).toMatchObject({
    status: 201,
    body: first.body,
  });
});

describe('while the first request runs', () => {
  let release: () => void = () => undefined;
  const blockingTemporal = {
    workflow: {
      start: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      getHandle: () => ({}),
    },
  } as unknown as Client;

  test('the same key answers 409 however long the first runs, and its answer, once there, is replayed', async () => {
    const harness = await startApiHarness({}, blockingTemporal);
    try {
      const merchant = await harness.merchant();
      const body = {
        checkout_id: merchant.testCheckout.id,
        order_id: 'SLOW-1',
        amount: '5.00',
        currency: 'RUB',
        description: 'x',
      };
      const send = () =>
        request(harness.app)
          .post('/v1/payments')
          .set('authorization', `Bearer ${merchant.testKey}`)
          .set('idempotency-key', 'slow')
          .send(body);
      const first = send().then((response) => response);
      const deadline = Date.now() + 5000;
      while (
        (await harness.db.query(`select 1 from payments where order_id = 'SLOW-1'`)).rowCount === 0 &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const busy = await send();
      expect(busy.status).toBe(409);
      expect(busy.body.error.code).toBe('idempotency_key_in_use');

      // Slow is not dead: however old the claim, its holder lives, so nobody takes it over.
      await harness.db.query(
        `update idempotency_keys set locked_at = now() - interval '3 hours', created_at = now() - interval '23 hours'`,
      );
      const stillBusy = await send();
      expect(stillBusy.status).toBe(409);
      expect(stillBusy.body.error.code).toBe('idempotency_key_in_use');
      release();
      const answered = await first;
      expect(answered.status).toBe(201);
      const replay = await send();
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(answered.body);
      expect(
        (await harness.db.query(`select count(*)::int as n from payments where order_id = 'SLOW-1'`)).rows[0].n,
      ).toBe(1);
    } finally {
      release();
      await harness.close();
    }
  });
});
