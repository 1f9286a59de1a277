import type { Pool } from 'pg';
import { payoutWorkflowId } from '../../src/workflows/money-shared';
import { expectLedgerBalanced, postingsOf } from '../support/ledger';
import { balanceOf, paidPayment, sandboxCardToken, webhookTypes } from '../support/money';
import { checkoutBody, markVerified } from '../support/merchant-api';
import {
  api,
  eventually,
  sandboxApiKey,
  sandboxWebhookSecret,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';

jest.setTimeout(60_000);

let stack: TestStack;
let db: Pool;
const newShop = shopsFor(() => stack, 'all');
stackForFile((running) => ({ stack, db } = running));
afterEach(async () => {
  await expectLedgerBalanced(db);
});

/** A merchant with 97.00 RUB available: one 100.00 payment, 3 % paid by the merchant. */
async function fundedShop() {
  const created = await newShop();
  const paid = await paidPayment(stack, created.testKey, created.checkout.id, '100.00');
  expect(await balanceOf(stack, created.testKey)).toMatchObject({ available: '97.00', reserved: '0.00' });
  return { ...created, paid };
}

const payout = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  api(stack.url, 'POST', '/v1/payouts', { token: key, body, headers });
const payoutDone = (key: string, id: string) =>
  eventually(
    () => api(stack.url, 'GET', `/v1/payouts/${id}`, { token: key }).then((r) => r.body),
    (p) => p.status !== 'pending',
  );

test('a payout to a sandbox card pays out less only the 1 % bank fee, and the card is kept only as a token and its last four digits', async () => {
  const { testKey, receiver } = await fundedShop();
  const card = await sandboxCardToken(stack, '4242424242424242');
  const created = await payout(testKey, {
    amount: '50.00',
    currency: 'RUB',
    destination: { type: 'card', token: card.token },
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({
    object: 'payout',
    status: 'pending',
    amount: '50.00',
    currency: 'RUB',
    fee: null,
    destination: { type: 'card', last4: '4242' },
  });
  expect(created.body.id).toMatch(/^po_/);

  const paid = await payoutDone(testKey, created.body.id);
  expect(paid).toMatchObject({ status: 'paid', amount: '50.00', fee: '0.50', net: '49.50', failure_reason: null });
  expect(await balanceOf(stack, testKey)).toEqual({
    currency: 'RUB',
    available: '47.00',
    pending: '0.00',
    reserved: '0.00',
  });
  expect(await postingsOf(db, 'payout', created.body.id)).toEqual({ reserved: 1, settled: 1 });

  await receiver.waitFor(2);
  expect(webhookTypes(receiver)).toEqual(['payment.paid', 'payout.paid']);
  expect(JSON.parse(receiver.received[1]!.body).data).toMatchObject({
    id: created.body.id,
    status: 'paid',
    fee: '0.50',
    destination: { type: 'card', last4: '4242' },
  });

  const { rows } = await db.query('select row_to_json(p)::text as row from payouts p where id = $1', [created.body.id]);
  expect(rows[0].row).toContain(card.token);
  expect(rows[0].row).not.toContain('4242424242424242');
  const described = await stack.kassa.temporal.workflow.getHandle(payoutWorkflowId(created.body.id)).describe();
  expect(described.type).toBe('payoutWorkflow');
});

test('a payout above the available balance is a 400 saying so, and nothing is reserved', async () => {
  const { testKey } = await fundedShop();
  const answer = await payout(testKey, {
    amount: '97.01',
    currency: 'RUB',
    destination: { type: 'wallet', wallet_id: 'w_123456' },
  });
  expect(answer.status).toBe(400);
  expect(answer.body.error).toMatchObject({
    type: 'invalid_request_error',
    code: 'balance_insufficient',
    param: 'amount',
  });
  expect(answer.body.error.message).toContain('97.00');
  const none = await payout(testKey, {
    amount: '1',
    currency: 'JPY',
    destination: { type: 'wallet', wallet_id: 'w_123456' },
  });
  expect(none.body.error).toMatchObject({ code: 'balance_insufficient' });
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '97.00', reserved: '0.00' });

  const all = await payout(testKey, {
    amount: '97.00',
    currency: 'RUB',
    destination: { type: 'wallet', wallet_id: 'w_123456' },
  });
  expect(await payoutDone(testKey, all.body.id)).toMatchObject({ status: 'paid', fee: '0.00', net: '97.00' });
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '0.00', reserved: '0.00' });
});

test('a payout the bank refuses releases its reserve and tells the shop payout.failed', async () => {
  const { testKey, receiver } = await fundedShop();
  const failingCard = await sandboxCardToken(stack, '4000000000000002');
  const toCard = await payout(testKey, {
    amount: '60.00',
    currency: 'RUB',
    destination: { type: 'card', token: failingCard.token },
  });
  expect(await payoutDone(testKey, toCard.body.id)).toMatchObject({
    status: 'failed',
    failure_reason: 'card_declined',
    fee: null,
  });
  const toWallet = await payout(testKey, {
    amount: '40.00',
    currency: 'RUB',
    destination: { type: 'wallet', wallet_id: 'fail_closed' },
  });
  expect(await payoutDone(testKey, toWallet.body.id)).toMatchObject({
    status: 'failed',
    failure_reason: 'wallet_closed',
  });
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '97.00', reserved: '0.00' });
  expect(await postingsOf(db, 'payout', toCard.body.id)).toEqual({ reserved: 1, released: 1 });
  await receiver.waitFor(3);
  expect(webhookTypes(receiver).sort()).toEqual(['payment.paid', 'payout.failed', 'payout.failed']);
});

test('concurrent payouts and a refund cannot overdraw the balance', async () => {
  const { testKey, paid } = await fundedShop();
  const card = await sandboxCardToken(stack);
  const answers = await Promise.all([
    ...Array.from({ length: 5 }, () =>
      payout(testKey, { amount: '30.00', currency: 'RUB', destination: { type: 'card', token: card.token } }),
    ),
    api(stack.url, 'POST', `/v1/payments/${paid.id}/refunds`, { token: testKey, body: {} }),
  ]);
  const accepted = answers.filter((answer) => answer.status === 201);
  const refused = answers.filter((answer) => answer.status !== 201);
  for (const answer of refused) expect([answer.status, answer.body.error.code]).toEqual([400, 'balance_insufficient']);
  // 97.00 covers three payouts of 30.00, or the full refund (97.00 from the balance), never more.
  const taken = accepted.reduce(
    (sum, answer) => sum + Math.round(Number(answer.body.merchant_debit ?? answer.body.amount) * 100),
    0,
  );
  expect(taken).toBeLessThanOrEqual(9700);
  expect(accepted.length).toBeGreaterThanOrEqual(1);
  for (const answer of accepted) {
    const path = answer.body.object === 'refund' ? `/v1/refunds/${answer.body.id}` : `/v1/payouts/${answer.body.id}`;
    await eventually(
      () => api(stack.url, 'GET', path, { token: testKey }).then((r) => r.body),
      (r) => r.status !== 'pending',
    );
  }
  const balance = await balanceOf(stack, testKey);
  expect(balance).toMatchObject({ available: ((9700 - taken) / 100).toFixed(2), reserved: '0.00' });
});

test('the same Idempotency-Key pays out once', async () => {
  const { testKey } = await fundedShop();
  const body = { amount: '10.00', currency: 'RUB', destination: { type: 'wallet', wallet_id: 'w_idem01' } };
  const first = await payout(testKey, body, { 'idempotency-key': 'payout-key-1' });
  const second = await payout(testKey, body, { 'idempotency-key': 'payout-key-1' });
  expect(first.status).toBe(201);
  expect(second.status).toBe(201);
  expect(second.body.id).toBe(first.body.id);
  await payoutDone(testKey, first.body.id);
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '87.00' });
});

test('bad payouts are 4xx naming the field; a card number is refused; another merchant’s payout is 404', async () => {
  const { testKey, liveKey } = await fundedShop();
  const stranger = await newShop();
  for (const [body, param] of [
    [{ currency: 'RUB', destination: { type: 'wallet', wallet_id: 'w_1234' } }, 'amount'],
    [{ amount: '1.001', currency: 'RUB', destination: { type: 'wallet', wallet_id: 'w_1234' } }, 'amount'],
    [{ amount: '0', currency: 'RUB', destination: { type: 'wallet', wallet_id: 'w_1234' } }, 'amount'],
    [{ amount: '1.00', currency: 'XXX', destination: { type: 'wallet', wallet_id: 'w_1234' } }, 'currency'],
    [
      { amount: '1.00', currency: 'RUB', destination: { type: 'card', token: '4242 4242 4242 4242' } },
      'destination.token',
    ],
    [
      { amount: '1.00', currency: 'RUB', destination: { type: 'card', token: 'ctok_0000deadbeef' } },
      'destination.token',
    ],
    [{ amount: '1.00', currency: 'RUB', destination: { type: 'iban' } }, 'destination.type'],
    [
      {
        amount: '1.00',
        currency: 'RUB',
        destination: { type: 'wallet', wallet_id: 'w_1234' },
        checkout_id: 'co_unknown123',
      },
      'checkout_id',
    ],
  ] as const) {
    const answer = await payout(testKey, body);
    expect([JSON.stringify(body), answer.status < 500 && answer.status >= 400, answer.body.error?.param]).toEqual([
      JSON.stringify(body),
      true,
      param,
    ]);
  }
  const made = await payout(testKey, {
    amount: '1.00',
    currency: 'RUB',
    destination: { type: 'wallet', wallet_id: 'w_1234' },
  });
  expect((await api(stack.url, 'GET', `/v1/payouts/${made.body.id}`, { token: stranger.testKey })).status).toBe(404);
  expect((await api(stack.url, 'GET', `/v1/payouts/${made.body.id}`, { token: liveKey })).status).toBe(404);
  await payoutDone(testKey, made.body.id);
  const list = await api(stack.url, 'GET', '/v1/payouts?limit=5', { token: testKey });
  expect(list.body.data.map((entry: { id: string }) => entry.id)).toEqual([made.body.id]);
});

test('live payouts go through the live connector that can pay out; while it is paused, live payouts are unavailable', async () => {
  const { liveKey } = await newShop();
  const connector = await api(stack.url, 'POST', '/admin/connectors', {
    token: stack.adminToken,
    body: {
      provider: 'sandbox',
      mode: 'live',
      credentials: { base_url: stack.sandboxUrl, api_key: sandboxApiKey, webhook_secret: sandboxWebhookSecret },
      methods: ['sandbox_card'],
    },
  });
  expect(connector.status).toBe(201);
  const checkout = await api(stack.url, 'POST', '/v1/checkouts', { token: liveKey, body: checkoutBody() });
  await markVerified(db, checkout.body.id);
  await paidPayment(stack, liveKey, checkout.body.id, '100.00');
  expect(await balanceOf(stack, liveKey)).toMatchObject({ available: '97.00' });

  const wallet = { amount: '40.00', currency: 'RUB', destination: { type: 'wallet', wallet_id: 'w_live_42' } };
  const admin = (action: string) =>
    api(stack.url, 'POST', `/admin/connectors/${connector.body.id}/${action}`, { token: stack.adminToken, body: {} });
  expect((await admin('pause')).body.status).toBe('paused');
  const refused = await payout(liveKey, wallet);
  expect([refused.status, refused.body.error.code]).toEqual([400, 'payouts_unavailable']);
  expect((await admin('resume')).body.status).toBe('active');

  const created = await payout(liveKey, wallet);
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ test_mode: false, status: 'pending' });
  expect(await payoutDone(liveKey, created.body.id)).toMatchObject({ status: 'paid', amount: '40.00', fee: '0.00' });
  expect(await balanceOf(stack, liveKey)).toMatchObject({ available: '57.00', reserved: '0.00' });
  const { rows } = await db.query('select provider, connector_id from payouts where id = $1', [created.body.id]);
  expect(rows[0]).toEqual({ provider: 'sandbox', connector_id: connector.body.id });
});
