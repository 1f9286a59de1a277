import type { Pool } from 'pg';
import { expectLedgerBalanced } from '../support/ledger';
import { balanceOf, paidPayment, sandboxCardToken, webhookTypes } from '../support/money';
import { api, eventually, shopsFor, stackForFile, type TestStack } from '../support/stack';

// The "done when": a test merchant takes payments, sees its balance grow by the net amounts,
// refunds one, withdraws the rest to a sandbox card, and the ledger sums to zero at every step.

jest.setTimeout(90_000);

let stack: TestStack;
let db: Pool;
const newShop = shopsFor(() => stack, 'all');
stackForFile((running) => ({ stack, db } = running));

/** Kassa's own accounts per kind in one currency (test mode), in minor units. */
async function kassaAccounts(currency: string) {
  const { rows } = await db.query<{ kind: string; total: string }>(
    `select a.kind, sum(e.amount_minor)::text as total from ledger_accounts a join ledger_entries e on e.account_id = a.id
     where a.owner = 'kassa' and a.currency = $1 and a.test_mode group by a.kind`,
    [currency],
  );
  return Object.fromEntries(rows.map((row) => [row.kind, BigInt(row.total)]));
}

test('a test merchant takes payments, refunds one, withdraws the rest to a sandbox card, and the ledger sums to zero at every step', async () => {
  const shop = await newShop();
  const { testKey, checkout, receiver } = shop;

  // 1. payments: the balance grows by each net amount (3 % commission paid by the merchant)
  const nets: string[] = [];
  for (const [amount, currency] of [
    ['100.00', 'RUB'],
    ['49.99', 'RUB'],
    ['1000', 'JPY'],
    ['2.500', 'KWD'],
  ] as const) {
    const paid = await paidPayment(stack, testKey, checkout.id, amount, currency);
    nets.push(`${paid.merchant_net} ${currency}`);
    await expectLedgerBalanced(db);
  }
  expect(nets).toEqual(['97.00 RUB', '48.49 RUB', '970 JPY', '2.425 KWD']);
  expect(await balanceOf(stack, testKey, 'RUB')).toEqual({
    currency: 'RUB',
    available: '145.49',
    pending: '0.00',
    reserved: '0.00',
  });
  expect(await balanceOf(stack, testKey, 'JPY')).toMatchObject({ available: '970' });
  expect(await balanceOf(stack, testKey, 'KWD')).toMatchObject({ available: '2.425' });
  expect(await kassaAccounts('RUB')).toEqual({ fee_revenue: 300n + 150n, provider_clearing: -(10000n + 4999n) });

  // 2. a refund of the second payment: the buyer gets 49.99, the balance gives back its 48.49
  const payments = (await api(stack.url, 'GET', '/v1/payments?limit=10', { token: testKey })).body.data as {
    id: string;
    amount: string;
  }[];
  const second = payments.find((payment) => payment.amount === '49.99')!;
  const refund = await api(stack.url, 'POST', `/v1/payments/${second.id}/refunds`, { token: testKey, body: {} });
  expect(refund.body).toMatchObject({ amount: '49.99', merchant_debit: '48.49', fee_returned: '1.50' });
  await expectLedgerBalanced(db);
  await eventually(
    () => api(stack.url, 'GET', `/v1/refunds/${refund.body.id}`, { token: testKey }).then((r) => r.body.status),
    (status) => status === 'succeeded',
  );
  await expectLedgerBalanced(db);
  expect(await balanceOf(stack, testKey, 'RUB')).toMatchObject({ available: '97.00', reserved: '0.00' });
  expect(await kassaAccounts('RUB')).toEqual({ fee_revenue: 300n, provider_clearing: -10000n });

  // 3. the rest withdrawn to a sandbox card, less the bank's 1 %
  const card = await sandboxCardToken(stack, '5555555555554444');
  const payout = await api(stack.url, 'POST', '/v1/payouts', {
    token: testKey,
    body: { amount: '97.00', currency: 'RUB', destination: { type: 'card', token: card.token } },
  });
  expect(payout.status).toBe(201);
  await expectLedgerBalanced(db);
  const paidOut = await eventually(
    () => api(stack.url, 'GET', `/v1/payouts/${payout.body.id}`, { token: testKey }).then((r) => r.body),
    (p) => p.status !== 'pending',
  );
  expect(paidOut).toMatchObject({
    status: 'paid',
    amount: '97.00',
    fee: '0.97',
    net: '96.03',
    destination: { type: 'card', last4: '4444' },
  });
  await expectLedgerBalanced(db);
  expect(await balanceOf(stack, testKey, 'RUB')).toEqual({
    currency: 'RUB',
    available: '0.00',
    pending: '0.00',
    reserved: '0.00',
  });
  // What the provider still holds for Kassa in RUB is exactly Kassa's commission.
  expect(await kassaAccounts('RUB')).toEqual({ fee_revenue: 300n, provider_clearing: -300n });

  await receiver.waitFor(6);
  expect(webhookTypes(receiver).sort()).toEqual([
    'payment.paid',
    'payment.paid',
    'payment.paid',
    'payment.paid',
    'payment.refunded',
    'payout.paid',
  ]);
});
