import fc from 'fast-check';
import request from 'supertest';
import { amount, currency, fuzzBodies, stopServing, fuzzQuery, nonBlank } from '../support/fuzz';
import { type ApiHarness, type Merchant, startApiHarness } from '../support/merchant-api';

let harness: ApiHarness;
let merchant: Merchant;
beforeAll(async () => {
  harness = await startApiHarness();
  merchant = await harness.merchant();
}, 60_000);
afterAll(async () => {
  if (harness) await stopServing(harness.app);
  await harness?.close();
});

const feeSchedule = fc.record(
  {
    percent: fc.stringMatching(/^(0?[0-9]{1,2}(\.[0-9]{1,2})?|100(\.0{1,2})?)$/),
    fixed: fc.dictionary(currency, amount, { maxKeys: 3 }),
  },
  { requiredKeys: ['percent'] },
);

test('POST /admin/merchants: any body is answered without a 5xx, bad input naming its field', async () => {
  await fuzzBodies(harness.app, {
    method: 'post',
    path: '/admin/merchants',
    token: harness.adminToken,
    valid: fc.record({ name: nonBlank(200), email: fc.constantFrom('me@shop.example', 'a.b+c@mail.example') }),
    fields: ['name', 'email'],
  });
}, 120_000);

test('POST /admin/merchants/:id/keys: any body is answered without a 5xx, bad input naming its field', async () => {
  await fuzzBodies(harness.app, {
    method: 'post',
    path: `/admin/merchants/${merchant.id}/keys`,
    token: harness.adminToken,
    valid: fc.record({ mode: fc.constantFrom('test', 'live') }),
    fields: ['mode'],
  });
}, 120_000);

test('POST /admin/merchants/:id/keys/:key_id/rotate and /revoke: any body is answered without a 5xx', async () => {
  const other = await harness.merchant();
  const { body } = await request(harness.app)
    .get(`/admin/merchants/${other.id}/keys`)
    .set('authorization', `Bearer ${harness.adminToken}`);
  const [first, second] = body.data;
  for (const [key, action] of [
    [first.id, 'rotate'],
    [second.id, 'revoke'],
  ]) {
    await fuzzBodies(harness.app, {
      method: 'post',
      path: `/admin/merchants/${other.id}/keys/${key}/${action}`,
      token: harness.adminToken,
      valid: fc.constant({}),
      fields: [],
    });
  }
}, 120_000);

test('PATCH /admin/checkouts/:id (commissions): any body is answered without a 5xx, bad input naming its field', async () => {
  await fuzzBodies(harness.app, {
    method: 'patch',
    path: `/admin/checkouts/${merchant.testCheckout.id}`,
    token: harness.adminToken,
    valid: fc.record(
      {
        fee: feeSchedule,
        method_fees: fc.dictionary(fc.constantFrom('sandbox_card', 'sandbox_wallet', 'live_card', 'x'), feeSchedule, {
          maxKeys: 3,
        }),
      },
      { requiredKeys: [] },
    ),
    fields: ['fee', 'method_fees'],
  });
}, 120_000);

test('GET /v1/checkouts/:id/methods and GET /v1/payments: any query is answered without a 5xx, bad input naming its field', async () => {
  await fuzzQuery(
    harness.app,
    `/v1/checkouts/${merchant.testCheckout.id}/methods`,
    merchant.testKey,
    fc.record({ amount, currency }),
    ['amount', 'currency'],
  );
  await fuzzQuery(
    harness.app,
    '/v1/payments',
    merchant.testKey,
    fc.record(
      {
        checkout_id: fc.constantFrom(merchant.testCheckout.id, 'co_nothing000000'),
        status: fc.constantFrom('paid', 'awaiting_method', 'nope'),
        limit: fc.integer({ min: -5, max: 200 }).map(String),
        starting_after: fc.constantFrom('pay_nothing00000', 'x'),
      },
      { requiredKeys: [] },
    ),
    ['checkout_id', 'status', 'limit', 'starting_after'],
  );
}, 120_000);
