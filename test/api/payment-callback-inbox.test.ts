import { storePaymentCallback } from '../../src/db/callbacks';
import type { ProviderCallback } from '../../src/providers/types';
import { countingPool } from '../support/counting-pool';
import { type ApiHarness, startApiHarness } from '../support/merchant-api';

// A payment callback's inbox row and the check for other payments holding its provider payment,
// in one statement on a real PostgreSQL.
jest.setTimeout(120_000);

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
});
afterAll(async () => {
  await harness?.close();
});

const callbackFor = (paymentId: string, eventId: string, providerPaymentId: string): ProviderCallback => ({
  eventId,
  providerPaymentId,
  paymentId,
  state: 'succeeded',
  amountMinor: '1000',
  currency: 'USD',
  occurredAt: new Date().toISOString(),
});

test('stores a callback once, names the other payments holding its provider payment, in one statement', async () => {
  const merchant = await harness.merchant();
  const own = await harness.payment(merchant);
  const other = await harness.payment(merchant);
  const bystander = await harness.payment(merchant);
  await harness.db.query(`update payments set provider_payment_id = $2, method = 'sandbox_card' where id = $1`, [
    other.id,
    'sp_shared',
  ]);
  await harness.db.query(`update payments set provider_payment_id = $2 where id = $1`, [own.id, 'sp_shared']);
  await harness.db.query(`update payments set provider_payment_id = $2 where id = $1`, [bystander.id, 'sp_own']);
  const { db, statements } = countingPool(harness.db);

  const first = await storePaymentCallback(db, 'sandbox', callbackFor(own.id, 'evt_a', 'sp_shared'), '{"a":1}');
  expect(first).toEqual({ stored: true, others: [{ id: other.id, method: 'sandbox_card' }] });
  expect(statements).toHaveLength(1);

  const again = await storePaymentCallback(db, 'sandbox', callbackFor(own.id, 'evt_a', 'sp_shared'), '{"a":1}');
  expect(again.stored).toBe(false);

  const alone = await storePaymentCallback(db, 'sandbox', callbackFor(bystander.id, 'evt_b', 'sp_own'), '{"b":1}');
  expect(alone).toEqual({ stored: true, others: [] });

  const { rows } = await harness.db.query(
    `select payment_id, body from provider_callbacks where provider = 'sandbox' and event_id in ('evt_a', 'evt_b') order by event_id`,
  );
  expect(rows).toEqual([
    { payment_id: own.id, body: '{"a":1}' },
    { payment_id: bystander.id, body: '{"b":1}' },
  ]);
});
