import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { verifyWebhook } from '../../src/domain/signatures';
import { createPayout } from '../../src/services/payouts';
import { createRefund } from '../../src/services/refunds';
import { sweepUnstarted } from '../../src/temporal/outbox';
import { refundWorkflowId } from '../../src/workflows/money-shared';
import { expectLedgerBalanced, postingsOf } from '../support/ledger';
import { balanceOf, paidPayment, webhookTypes } from '../support/money';
import {
  api,
  eventually,
  paymentOf,
  sandboxFault,
  sandboxReport,
  serviceDeps,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';

jest.setTimeout(60_000);

let stack: TestStack;
let db: Pool;
const shop = shopsFor(() => stack, 'all');
stackForFile((running) => ({ stack, db } = running));
afterEach(async () => {
  await expectLedgerBalanced(db);
});

const refund = (key: string, paymentId: string, body: Record<string, unknown> = {}) =>
  api(stack.url, 'POST', `/v1/payments/${paymentId}/refunds`, { token: key, body });
const refundDone = (key: string, refundId: string) =>
  eventually(
    () => api(stack.url, 'GET', `/v1/refunds/${refundId}`, { token: key }).then((r) => r.body),
    (r) => r.status !== 'pending',
  );

test('a full refund gives the buyer back what they paid, takes back exactly the net credited, and the shop gets one signed payment.refunded', async () => {
  const { testKey, checkout, receiver } = await shop();
  const paid = await paidPayment(stack, testKey, checkout.id, '50.00');
  expect(paid).toMatchObject({ buyer_total: '50.00', merchant_net: '48.50', fee: '1.50' });
  expect(await balanceOf(stack, testKey)).toEqual({
    currency: 'RUB',
    available: '48.50',
    pending: '0.00',
    reserved: '0.00',
  });

  const created = await refund(testKey, paid.id);
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({
    object: 'refund',
    payment_id: paid.id,
    status: 'pending',
    amount: '50.00',
    currency: 'RUB',
    fee_returned: '1.50',
    merchant_debit: '48.50',
  });
  expect(created.body.id).toMatch(/^re_/);

  expect(await refundDone(testKey, created.body.id)).toMatchObject({
    status: 'succeeded',
    completed_at: expect.any(String),
  });
  expect(await paymentOf(stack, testKey, paid.id)).toMatchObject({ status: 'refunded' });
  expect(await balanceOf(stack, testKey)).toEqual({
    currency: 'RUB',
    available: '0.00',
    pending: '0.00',
    reserved: '0.00',
  });
  expect(await postingsOf(db, 'refund', created.body.id)).toEqual({ reserved: 1, settled: 1 });

  const webhooks = await receiver.waitFor(2);
  expect(webhookTypes(receiver)).toEqual(['payment.paid', 'payment.refunded']);
  const event = JSON.parse(webhooks[1]!.body);
  expect(event.data).toMatchObject({
    id: paid.id,
    status: 'refunded',
    amount_refunded: '50.00',
    refund: { id: created.body.id, status: 'succeeded' },
  });
  const headers = webhooks[1]!.headers;
  expect(
    verifyWebhook(
      checkout.webhook_secret,
      {
        id: String(headers['webhook-id']),
        timestamp: String(headers['webhook-timestamp']),
        signature: String(headers['webhook-signature']),
      },
      webhooks[1]!.body,
    ),
  ).toBe(true);
  const events = await api(stack.url, 'GET', `/v1/payments/${paid.id}/events`, { token: testKey });
  expect(events.body.data.map((entry: { type: string }) => entry.type)).toEqual(['payment.paid', 'payment.refunded']);

  expect((await sandboxReport(stack)).refunds).toContainEqual(
    expect.objectContaining({ reference: created.body.id, amount_minor: '5000', status: 'succeeded' }),
  );
  const described = await stack.kassa.temporal.workflow.getHandle(refundWorkflowId(created.body.id)).describe();
  expect(described.type).toBe('refundWorkflow');
});

test('refunds in parts: partially_refunded, then refunded; asking for more than is left is a 400 naming amount', async () => {
  // The buyer pays the commission: 100.00 + 3.00; the merchant is credited 100.00.
  const { testKey, checkout } = await shop([], { fee_payer: 'buyer' });
  const paid = await paidPayment(stack, testKey, checkout.id, '100.00');
  expect(paid).toMatchObject({ buyer_total: '103.00', merchant_net: '100.00' });

  const first = await refund(testKey, paid.id, { amount: '30.00' });
  expect(first.body).toMatchObject({ amount: '30.00', fee_returned: '0.87', merchant_debit: '29.13' });
  await refundDone(testKey, first.body.id);
  expect(await paymentOf(stack, testKey, paid.id)).toMatchObject({ status: 'partially_refunded' });
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '70.87', reserved: '0.00' });

  const tooMuch = await refund(testKey, paid.id, { amount: '73.01' });
  expect(tooMuch.status).toBe(400);
  expect(tooMuch.body.error).toMatchObject({
    type: 'invalid_request_error',
    code: 'amount_too_large',
    param: 'amount',
  });
  expect(tooMuch.body.error.message).toContain('at most 73.00');

  const rest = await refund(testKey, paid.id);
  expect(rest.body).toMatchObject({ amount: '73.00', fee_returned: '2.13', merchant_debit: '70.87' });
  await refundDone(testKey, rest.body.id);
  expect(await paymentOf(stack, testKey, paid.id)).toMatchObject({ status: 'refunded' });
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '0.00', reserved: '0.00' });

  const again = await refund(testKey, paid.id, { amount: '0.01' });
  expect(again.status).toBe(409);
  expect(again.body.error).toMatchObject({ code: 'payment_state' });
  const list = await api(stack.url, 'GET', `/v1/payments/${paid.id}/refunds`, { token: testKey });
  expect(list.body.data.map((entry: { amount: string; status: string }) => [entry.amount, entry.status])).toEqual([
    ['30.00', 'succeeded'],
    ['73.00', 'succeeded'],
  ]);
});

test('concurrent refunds of one payment never add up to more than the buyer paid', async () => {
  const { testKey, checkout } = await shop();
  const other = await paidPayment(stack, testKey, checkout.id, '500.00');
  const paid = await paidPayment(stack, testKey, checkout.id, '50.00');
  const answers = await Promise.all(Array.from({ length: 8 }, () => refund(testKey, paid.id, { amount: '10.00' })));
  const accepted = answers.filter((answer) => answer.status === 201);
  expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 201, 201, 201, 400, 400, 400]);
  for (const answer of answers.filter((candidate) => candidate.status === 400))
    expect(answer.body.error).toMatchObject({ code: 'amount_too_large', param: 'amount' });
  for (const answer of accepted) await refundDone(testKey, answer.body.id);
  expect(await paymentOf(stack, testKey, paid.id)).toMatchObject({ status: 'refunded' });
  const { rows } = await db.query(
    `select sum(amount_minor)::text as total from refunds where payment_id = $1 and status <> 'failed'`,
    [paid.id],
  );
  expect(rows[0].total).toBe('5000');
  // What is left is the other payment's net: 485.00.
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '485.00', reserved: '0.00' });
  expect(other.status).toBe('paid');
});

test('a refund the provider refuses releases its reserve, leaves the payment paid, and tells the shop', async () => {
  const { testKey, checkout, receiver } = await shop();
  const paid = await paidPayment(stack, testKey, checkout.id, '20.00');
  await sandboxFault(stack, paid.id, { refund_fails: true });
  const created = await refund(testKey, paid.id, { amount: '5.00' });
  expect(created.status).toBe(201);
  expect(await refundDone(testKey, created.body.id)).toMatchObject({
    status: 'failed',
    failure_reason: 'refund_declined',
  });
  expect(await paymentOf(stack, testKey, paid.id)).toMatchObject({ status: 'paid' });
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '19.40', reserved: '0.00' });
  expect(await postingsOf(db, 'refund', created.body.id)).toEqual({ reserved: 1, released: 1 });
  await receiver.waitFor(2);
  expect(webhookTypes(receiver)).toEqual(['payment.paid', 'payment.refund_failed']);
});

test('bad refunds are 4xx naming the field; an unpaid or another merchant’s payment cannot be refunded', async () => {
  const { testKey, checkout } = await shop();
  const stranger = await shop();
  const paid = await paidPayment(stack, testKey, checkout.id, '10.00');
  for (const [body, param] of [
    [{ amount: 'ten' }, 'amount'],
    [{ amount: '1.001' }, 'amount'],
    [{ amount: '0.00' }, 'amount'],
    [{ amount: 5 }, 'amount'],
    [{ reason: 'x' }, 'reason'],
  ] as const) {
    const answer = await refund(testKey, paid.id, body);
    expect([JSON.stringify(body), answer.status, answer.body.error?.param]).toEqual([JSON.stringify(body), 400, param]);
  }
  expect((await refund(stranger.testKey, paid.id)).status).toBe(404);
  expect((await api(stack.url, 'GET', `/v1/payments/${paid.id}/refunds`, { token: stranger.testKey })).status).toBe(
    404,
  );
  const unpaid = await api(stack.url, 'POST', '/v1/payments', {
    token: testKey,
    body: { checkout_id: checkout.id, order_id: `U-${Date.now()}`, amount: '10.00', currency: 'RUB', description: 'x' },
  });
  const early = await refund(testKey, unpaid.body.id);
  expect(early.status).toBe(409);
  expect(early.body.error).toMatchObject({ type: 'conflict_error', code: 'payment_state' });
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '9.70', reserved: '0.00' });
});

test('a refund asked for in a body that is not JSON is a 415 and refunds nothing (never the whole rest, as a missing body would)', async () => {
  const { testKey, checkout } = await shop();
  const paid = await paidPayment(stack, testKey, checkout.id, '10.00');
  const form = new FormData();
  form.set('amount', '1.00');
  for (const [label, body, type] of [
    ['form', 'amount=1.00', 'application/x-www-form-urlencoded'],
    ['text', '{"amount":"1.00"}', 'text/plain'],
    ['untyped', '{"amount":"1.00"}', undefined],
    ['multipart', form, undefined],
  ] as const) {
    const headers: Record<string, string> = {
      authorization: `Bearer ${testKey}`,
      'idempotency-key': `${label}-${paid.id}`,
    };
    if (type) headers['content-type'] = type;
    const answer = await fetch(`${stack.url}/v1/payments/${paid.id}/refunds`, { method: 'POST', headers, body });
    expect([label, answer.status, (await answer.json()).error]).toEqual([
      label,
      415,
      expect.objectContaining({ code: 'content_type_unsupported', param: 'Content-Type' }),
    ]);
  }
  const operatorForm = await fetch(`${stack.url}/admin/merchants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'name=Form',
  });
  expect(operatorForm.status).toBe(415);
  const stored = await db.query(
    `select (select count(*) from refunds where payment_id = $1)::int as refunds,
       (select count(*) from idempotency_keys where key like '%-' || $1)::int as claims`,
    [paid.id],
  );
  expect(stored.rows[0]).toEqual({ refunds: 0, claims: 0 });
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '9.70', reserved: '0.00' });
  const rest = await fetch(`${stack.url}/v1/payments/${paid.id}/refunds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${testKey}` },
  });
  const restRefund = await rest.json();
  expect([rest.status, restRefund.amount]).toEqual([201, '10.00']);
  await refundDone(testKey, restRefund.id);
});

test('a refund and a payout stored just before a crash (their workflows never started) are started by the API’s sweep', async () => {
  const { testKey, checkout, merchantId } = await shop();
  const paid = await paidPayment(stack, testKey, checkout.id, '30.00');
  const deps = serviceDeps(stack);
  const crashing = {
    ...deps,
    temporal: {
      workflow: {
        start: async () => {
          throw new Error('the process died here');
        },
      },
    } as unknown as Client,
  };
  const principal = { merchantId, testMode: true, keyId: 'key_test' };
  await expect(createRefund(crashing, principal, paid.id, { amount: '10.00' })).rejects.toThrow(
    'the process died here',
  );
  await expect(
    createPayout(crashing, principal, {
      amount: '5.00',
      currency: 'RUB',
      destination: { type: 'wallet', walletId: 'w_sweep1' },
    }),
  ).rejects.toThrow('the process died here');
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '14.40', reserved: '14.70' });

  expect(await sweepUnstarted(deps, 0, ['refunds', 'payouts'])).toEqual({ refunds: 1, payouts: 1 });
  await eventually(
    () => balanceOf(stack, testKey),
    (balance) => balance.reserved === '0.00',
  );
  expect(await balanceOf(stack, testKey)).toMatchObject({ available: '14.40', reserved: '0.00' });
  expect(await paymentOf(stack, testKey, paid.id)).toMatchObject({ status: 'partially_refunded' });
  expect(await sweepUnstarted(deps, 0, ['refunds'])).toEqual({ refunds: 0 });
});
