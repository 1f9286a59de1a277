import fc from 'fast-check';
import request from 'supertest';
import { amount, currency, fuzzBodies, stopServing, httpUrl, nonBlank } from '../support/fuzz';
import { type ApiHarness, type Merchant, startApiHarness } from '../support/merchant-api';

let harness: ApiHarness;
let merchant: Merchant;
let paymentId: string;
beforeAll(async () => {
  harness = await startApiHarness();
  merchant = await harness.merchant();
  const created = await request(harness.app)
    .post('/v1/payments')
    .set('authorization', `Bearer ${merchant.testKey}`)
    .send({
      checkout_id: merchant.testCheckout.id,
      order_id: 'FUZZ-0',
      amount: '50.00',
      currency: 'RUB',
      description: 'x',
    });
  paymentId = created.body.id;
}, 60_000);
afterAll(async () => {
  if (harness) await stopServing(harness.app);
  await harness?.close();
});

const amounts = fc.dictionary(currency, amount, { maxKeys: 3 });
const feePayer = fc.oneof(
  fc.constantFrom('merchant', 'buyer'),
  fc.record({ type: fc.constant('split'), buyer_percent: fc.integer({ min: 0, max: 100 }) }),
);
const methods = fc.option(
  fc.array(
    fc.record(
      {
        method: fc.constantFrom('sandbox_card', 'sandbox_wallet', 'live_card', 'bitcoin'),
        currencies: fc.option(fc.array(currency, { minLength: 1, maxLength: 3 }), { nil: null }),
        min_amount: amounts,
        max_amount: amounts,
      },
      { requiredKeys: ['method'] },
    ),
    { maxLength: 4 },
  ),
  { nil: null },
);
const checkoutFields = {
  name: nonBlank(200),
  site_url: httpUrl,
  currencies: fc.array(currency, { minLength: 1, maxLength: 4 }),
  notify_url: httpUrl,
  success_url: httpUrl,
  fail_url: httpUrl,
  pending_url: httpUrl,
  fee_payer: feePayer,
  methods,
};
const checkoutFieldNames = Object.keys(checkoutFields);

test('POST /v1/checkouts: any body is answered without a 5xx, bad input naming its field', async () => {
  await fuzzBodies(harness.app, {
    method: 'post',
    path: '/v1/checkouts',
    token: merchant.testKey,
    valid: fc.record(checkoutFields, {
      requiredKeys: ['name', 'site_url', 'currencies', 'notify_url', 'success_url', 'fail_url', 'pending_url'],
    }),
    fields: checkoutFieldNames,
    idempotent: true,
  });
}, 120_000);

test('PATCH /v1/checkouts/:id: any body is answered without a 5xx, bad input naming its field', async () => {
  await fuzzBodies(harness.app, {
    method: 'patch',
    path: `/v1/checkouts/${merchant.liveCheckout.id}`,
    token: merchant.liveKey,
    valid: fc.record(checkoutFields, { requiredKeys: [] }),
    fields: checkoutFieldNames,
  });
}, 120_000);

test('POST /v1/checkouts/:id/rotate_secret, /verify and /v1/payments/:id/cancel: any body is answered without a 5xx', async () => {
  for (const path of [
    `/v1/checkouts/${merchant.testCheckout.id}/rotate_secret`,
    `/v1/checkouts/${merchant.testCheckout.id}/verify`,
    `/v1/payments/${paymentId}/cancel`,
  ]) {
    await fuzzBodies(harness.app, {
      method: 'post',
      path,
      token: merchant.testKey,
      valid: fc.constant({}),
      fields: [],
      idempotent: true,
    });
  }
}, 120_000);

test('POST /v1/payments: any body is answered without a 5xx, bad input naming its field', async () => {
  const delivery = fc.oneof(
    fc.record({ type: fc.constant('digital'), download_url: httpUrl }),
    fc.record({ type: fc.constant('physical'), method: nonBlank(100), eta_days: fc.integer({ min: 0, max: 365 }) }),
  );
  await fuzzBodies(harness.app, {
    method: 'post',
    path: '/v1/payments',
    token: merchant.testKey,
    valid: fc.record(
      {
        checkout_id: fc.constantFrom(merchant.testCheckout.id, merchant.liveCheckout.id, 'co_nothing000000'),
        order_id: nonBlank(128),
        amount,
        currency,
        description: nonBlank(500),
        method: fc.option(fc.constantFrom('sandbox_card', 'sandbox_wallet', 'bitcoin'), { nil: null }),
        expires_in: fc.integer({ min: 60, max: 30 * 24 * 3600 }),
        delivery: fc.option(delivery, { nil: null }),
        metadata: fc.dictionary(fc.string({ maxLength: 40 }), fc.string({ maxLength: 100 }), { maxKeys: 5 }),
      },
      { requiredKeys: ['checkout_id', 'order_id', 'amount', 'currency', 'description'] },
    ),
    fields: [
      'checkout_id',
      'order_id',
      'amount',
      'currency',
      'description',
      'method',
      'expires_in',
      'delivery',
      'metadata',
    ],
    idempotent: true,
  });
}, 120_000);

test("POST /pay/:id/method (the buyer's JSON): any body is answered without a 5xx, bad input naming its field", async () => {
  await fuzzBodies(harness.app, {
    method: 'post',
    path: `/pay/${paymentId}/method`,
    token: 'none',
    valid: fc.record({ method: fc.constantFrom('sandbox_card', 'sandbox_wallet', 'bitcoin') }),
    fields: ['method'],
  });
}, 120_000);
