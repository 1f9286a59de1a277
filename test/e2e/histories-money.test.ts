import type { Pool } from 'pg';
import { recordHistory } from '../../scripts/record-histories';
import { forgedPaidPayment, paidPayment, sandboxCardToken, webhookTypes } from '../support/money';
import { api, eventually, sandboxFault, shopsFor, stackForFile, type TestStack } from '../support/stack';

// Representative runs of the refund, payout and reconciliation workflows on the real stack, each
// checked for its outcome; with RECORD_HISTORIES=1 their histories are added to test/histories
// (scripts/record-histories.ts) for test/workflows/replay.test.ts.
jest.setTimeout(60_000);

let stack: TestStack;
let db: Pool;
const newShop = shopsFor(() => stack, 'all');
stackForFile((running) => ({ stack, db } = running));

/** A merchant with one paid payment of `amount` (merchant pays the 3 %). */
async function fundedShop(amount = '100.00') {
  const shop = await newShop();
  const paid = await paidPayment(stack, shop.testKey, shop.checkout.id, amount);
  return { ...shop, paid };
}

/** Waits for workflow `workflowId` to finish, checks its type, and records its history as `name`. */
async function finished<T>(workflowId: string, type: string, name: string): Promise<T> {
  const handle = stack.kassa.temporal.workflow.getHandle(workflowId);
  const result = (await handle.result()) as T;
  expect((await handle.describe()).type).toBe(type);
  recordHistory(name, await handle.fetchHistory());
  return result;
}

const refund = (key: string, paymentId: string, body: Record<string, unknown> = {}) =>
  api(stack.url, 'POST', `/v1/payments/${paymentId}/refunds`, { token: key, body });
const payout = (key: string, body: Record<string, unknown>) =>
  api(stack.url, 'POST', '/v1/payouts', { token: key, body });

let reconciliations = 0;
/** The workflow the daily Schedule runs, now, over the last hour. */
function reconcileNow() {
  const workflowId = `reconciliation-histories-${++reconciliations}`;
  return stack.kassa.temporal.workflow.start('reconciliationWorkflow', {
    taskQueue: 'payments',
    workflowId,
    args: [{ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() }],
  });
}

interface MoneyResult {
  status: string;
  failureReason: string | null;
}

test('a refund the provider makes: succeeded, payment refunded, the shop told payment.refunded', async () => {
  const { testKey, paid, receiver } = await fundedShop('50.00');
  const created = await refund(testKey, paid.id);
  expect(created.status).toBe(201);
  const result = await finished<MoneyResult & { refundId: string }>(
    `refund-${created.body.id}`,
    'refundWorkflow',
    'refund-succeeded',
  );
  expect(result).toEqual({ refundId: created.body.id, status: 'succeeded', failureReason: null });
  expect((await api(stack.url, 'GET', `/v1/payments/${paid.id}`, { token: testKey })).body.status).toBe('refunded');
  await receiver.waitFor(2);
  expect(webhookTypes(receiver)).toEqual(['payment.paid', 'payment.refunded']);
});

test('a refund the provider refuses: failed with its reason, payment still paid, the shop told payment.refund_failed', async () => {
  const { testKey, paid, receiver } = await fundedShop('50.00');
  await sandboxFault(stack, paid.id, { refund_fails: true });
  const created = await refund(testKey, paid.id, { amount: '20.00' });
  expect(created.status).toBe(201);
  const result = await finished<MoneyResult>(`refund-${created.body.id}`, 'refundWorkflow', 'refund-failed');
  expect(result).toMatchObject({ status: 'failed', failureReason: 'refund_declined' });
  expect((await api(stack.url, 'GET', `/v1/payments/${paid.id}`, { token: testKey })).body.status).toBe('paid');
  await receiver.waitFor(2);
  expect(webhookTypes(receiver)).toEqual(['payment.paid', 'payment.refund_failed']);
});

test('a payout the bank pays: paid less its fee, the shop told payout.paid', async () => {
  const { testKey, receiver } = await fundedShop();
  const card = await sandboxCardToken(stack, '4242424242424242');
  const created = await payout(testKey, {
    amount: '50.00',
    currency: 'RUB',
    destination: { type: 'card', token: card.token },
  });
  expect(created.status).toBe(201);
  const result = await finished<MoneyResult>(`payout-${created.body.id}`, 'payoutWorkflow', 'payout-paid');
  expect(result).toMatchObject({ status: 'paid', failureReason: null });
  expect((await api(stack.url, 'GET', `/v1/payouts/${created.body.id}`, { token: testKey })).body).toMatchObject({
    status: 'paid',
    fee: '0.50',
  });
  await receiver.waitFor(2);
  expect(webhookTypes(receiver)).toEqual(['payment.paid', 'payout.paid']);
});

test('a payout the bank refuses: failed with its reason, the reserve released, the shop told payout.failed', async () => {
  const { testKey, receiver } = await fundedShop();
  const card = await sandboxCardToken(stack, '4000000000000002');
  const created = await payout(testKey, {
    amount: '60.00',
    currency: 'RUB',
    destination: { type: 'card', token: card.token },
  });
  expect(created.status).toBe(201);
  const result = await finished<MoneyResult>(`payout-${created.body.id}`, 'payoutWorkflow', 'payout-failed');
  expect(result).toMatchObject({ status: 'failed', failureReason: 'card_declined' });
  const balance = await api(stack.url, 'GET', '/v1/balance', { token: testKey });
  expect(balance.body.balances).toEqual([expect.objectContaining({ available: '97.00', reserved: '0.00' })]);
  await receiver.waitFor(2);
  expect(webhookTypes(receiver)).toEqual(['payment.paid', 'payout.failed']);
});

test('a reconciliation of payments, refunds and payouts that agree finds no mismatch', async () => {
  const handle = await reconcileNow();
  const result = await finished<{ mismatches: unknown[]; checked: Record<string, number> }>(
    handle.workflowId,
    'reconciliationWorkflow',
    'reconciliation-clean',
  );
  expect(result.mismatches).toEqual([]);
  expect(result.checked).toMatchObject({ payments: 4, refunds: 2, payouts: 2 });
});

test('a reconciliation after a payment was made paid behind Kassa’s back lists the mismatch', async () => {
  const { testKey, checkout } = await fundedShop('10.00');
  const forged = await forgedPaidPayment(stack, db, testKey, checkout.id);
  const handle = await reconcileNow();
  const result = await finished<{ mismatches: { paymentId?: string }[] }>(
    handle.workflowId,
    'reconciliationWorkflow',
    'reconciliation-mismatches',
  );
  expect(result.mismatches.length).toBeGreaterThan(0);
  expect(JSON.stringify(result.mismatches)).toContain(forged.id);
  const stored = await eventually(
    () => api(stack.url, 'GET', '/admin/reconciliation', { token: stack.adminToken }).then((r) => r.body),
    (body) => JSON.stringify(body).includes(forged.id),
  );
  expect(JSON.stringify(stored)).toContain(forged.id);
});
