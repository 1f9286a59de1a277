import type { Pool } from 'pg';
import { type PaymentFact, reconcile } from '../../src/domain/reconciliation';
import type { ReconciliationResult } from '../../src/domain/reconciliation';
import { reconciliationScheduleId } from '../../src/workflows/money-shared';
import type { reconciliationWorkflow } from '../../src/workflows/reconciliation';
import { taskQueue } from '../../src/workflows/shared';
import { expectLedgerBalanced } from '../support/ledger';
import { forgedPaidPayment, heldForReview, paidPayment, sandboxCardToken } from '../support/money';
import { api, captureAtSandbox, eventually, shopsFor, stackForFile, type TestStack } from '../support/stack';

jest.setTimeout(90_000);

let stack: TestStack;
let db: Pool;
const shop = shopsFor(() => stack, 'all');
stackForFile((running) => ({ stack, db } = running));

let runs = 0;
/** Runs the workflow the daily Schedule runs, now, over the last hour (no waiting a day). */
async function reconcileNow(): Promise<ReconciliationResult> {
  return stack.kassa.temporal.workflow.execute<typeof reconciliationWorkflow>('reconciliationWorkflow', {
    taskQueue,
    workflowId: `reconciliation-test-${++runs}`,
    args: [{ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() }],
  });
}

/** Payments, a refund and a payout that all agree: the ground truth that must reconcile cleanly. */
async function cleanActivity() {
  const { testKey, checkout } = await shop();
  const first = await paidPayment(stack, testKey, checkout.id, '100.00');
  await paidPayment(stack, testKey, checkout.id, '20.00');
  const refund = await api(stack.url, 'POST', `/v1/payments/${first.id}/refunds`, {
    token: testKey,
    body: { amount: '10.00' },
  });
  const card = await sandboxCardToken(stack);
  const payout = await api(stack.url, 'POST', '/v1/payouts', {
    token: testKey,
    body: { amount: '50.00', currency: 'RUB', destination: { type: 'card', token: card.token } },
  });
  await eventually(
    () => api(stack.url, 'GET', `/v1/refunds/${refund.body.id}`, { token: testKey }).then((r) => r.body.status),
    (status) => status === 'succeeded',
  );
  await eventually(
    () => api(stack.url, 'GET', `/v1/payouts/${payout.body.id}`, { token: testKey }).then((r) => r.body.status),
    (status) => status === 'paid',
  );
  return { testKey, checkout };
}

test('the daily Schedule runs reconciliationWorkflow at 00:30 UTC', async () => {
  const described = await stack.kassa.temporal.schedule.getHandle(reconciliationScheduleId).describe();
  expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconciliationWorkflow', taskQueue });
  expect(described.spec.calendars).toEqual([
    expect.objectContaining({ hour: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] }),
  ]);
});

test('payments, refunds and payouts that agree with the sandbox and the ledger reconcile with no mismatch', async () => {
  await cleanActivity();
  const result = await reconcileNow();
  expect(result.mismatches).toEqual([]);
  expect(result.checked).toMatchObject({
    payments: 2,
    refunds: 1,
    payouts: 1,
    provider_payments: 2,
    provider_refunds: 1,
    provider_payouts: 1,
  });
  await expectLedgerBalanced(db);
});

test('planted mismatches are each listed in the workflow result and at GET /admin/reconciliation', async () => {
  const { testKey, checkout } = await cleanActivity();

  // 1. the provider captures 1.00 more than asked: Kassa holds the payment under review, the provider reports a capture
  const held = await heldForReview(stack, testKey, checkout.id);

  // 2. a payment made paid behind Kassa's back: neither the ledger nor the provider know of it
  const forged = await forgedPaidPayment(stack, db, testKey, checkout.id);

  // 3. a capture in the ledger for a payment that was canceled
  const canceled = await api(stack.url, 'POST', '/v1/payments', {
    token: testKey,
    body: { checkout_id: checkout.id, order_id: `C-${Date.now()}`, amount: '7.00', currency: 'RUB', description: 'x' },
  });
  await api(stack.url, 'POST', `/v1/payments/${canceled.body.id}/cancel`, { token: testKey, body: {} });
  const client = await db.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query(
      `insert into ledger_transactions (source_type, source_id, event, test_mode, description) values ('payment', $1, 'captured', true, 'planted') returning id`,
      [canceled.body.id],
    );
    const accounts = await client.query(
      `select id, kind from ledger_accounts where test_mode and currency = 'RUB' and kind in ('provider_clearing', 'fee_revenue')`,
    );
    const idOf = (kind: string) => accounts.rows.find((row) => row.kind === kind).id;
    await client.query(
      'insert into ledger_entries (transaction_id, account_id, amount_minor) values ($1, $2, -700), ($1, $3, 700)',
      [rows[0].id, idOf('provider_clearing'), idOf('fee_revenue')],
    );
    await client.query('commit');
  } finally {
    client.release();
  }

  const result = await reconcileNow();
  const listed = result.mismatches.map((mismatch) => [mismatch.kind, mismatch.source, mismatch.id]).sort();
  expect(listed).toEqual(
    [
      ['amount_mismatch', 'payment', held.id],
      ['not_in_ledger', 'payment', forged.id],
      ['missing_at_provider', 'payment', forged.id],
      ['ledger_without_payment', 'payment', canceled.body.id],
    ].sort(),
  );
  expect(result.mismatches.find((mismatch) => mismatch.kind === 'amount_mismatch')!.message).toMatch(
    /captured 51\.00 RUB as sp_\w+, Kassa expects 50\.00 RUB; the payment is held for review/,
  );
  expect(result.mismatchCount).toBe(4);

  const unauthorized = await api(stack.url, 'GET', '/admin/reconciliation');
  expect(unauthorized.status).toBe(401);
  const seen = await api(stack.url, 'GET', '/admin/reconciliation', { token: stack.adminToken });
  expect(seen.status).toBe(200);
  expect(seen.body).toMatchObject({
    id: result.id,
    object: 'reconciliation_run',
    mismatch_count: 4,
    window: result.window,
  });
  expect(
    seen.body.mismatches
      .map((mismatch: { kind: string; id: string }) => [mismatch.kind, 'payment', mismatch.id])
      .sort(),
  ).toEqual(listed);
  expect(seen.body.earlier_runs).toEqual([expect.objectContaining({ mismatch_count: 0 })]);

  const byOperator = await api(stack.url, 'POST', '/admin/reconciliation/runs', {
    token: stack.adminToken,
    body: { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() },
  });
  expect([byOperator.status, byOperator.body.mismatchCount]).toEqual([200, 4]);
  const badPeriod = await api(stack.url, 'POST', '/admin/reconciliation/runs', {
    token: stack.adminToken,
    body: { from: 'yesterday' },
  });
  expect([badPeriod.status, badPeriod.body.error.param]).toEqual([400, 'from']);
  await expectLedgerBalanced(db);
});

test('a second capture of one payment, a capture with no payment and a capture of another amount are each reported, until operators settle them', async () => {
  const { testKey, checkout } = await shop();
  const twice = await paidPayment(stack, testKey, checkout.id, '40.00');
  const secondCapture = await captureAtSandbox(stack, twice.id, '4000', 'planted');
  const orphan = `pay_planted${Date.now()}`;
  const orphanCapture = await captureAtSandbox(stack, orphan, '1500', 'planted');

  const held = await heldForReview(stack, testKey, checkout.id, {}, { amount: '25.00' });

  const ours = new Set([twice.id, orphan, held.id]);
  const linesOf = (result: ReconciliationResult) =>
    result.mismatches
      .filter((mismatch) => ours.has(mismatch.id!))
      .map((mismatch) => [mismatch.kind, mismatch.id])
      .sort();
  const result = await reconcileNow();
  expect(linesOf(result)).toEqual(
    [
      ['duplicate_capture', twice.id],
      ['capture_without_payment', orphan],
      ['amount_mismatch', held.id],
    ].sort(),
  );
  const messageOf = (kind: string) =>
    result.mismatches.find((mismatch) => mismatch.kind === kind && ours.has(mismatch.id!))!.message;
  expect(messageOf('duplicate_capture')).toContain(`captured 40.00 RUB as ${secondCapture}`);
  expect(messageOf('capture_without_payment')).toContain(
    `captured 15.00 RUB as ${orphanCapture} for ${orphan}, which Kassa does not know`,
  );
  const shown = await api(stack.url, 'GET', '/admin/reconciliation', { token: stack.adminToken });
  expect(
    shown.body.mismatches
      .filter((mismatch: { id: string }) => ours.has(mismatch.id))
      .map((mismatch: { kind: string; id: string }) => [mismatch.kind, mismatch.id])
      .sort(),
  ).toEqual(linesOf(result));

  // the operator accepts the payment held for review and refunds the second capture
  const accepted = await api(stack.url, 'POST', `/admin/exceptions/${held.id}/accept`, {
    token: stack.adminToken,
    body: { operator: 'alice' },
  });
  expect(accepted.status).toBe(202);
  const flagged = await eventually(
    () =>
      api(stack.url, 'GET', '/admin/exceptions?kind=flagged_callback', { token: stack.adminToken }).then(
        (r) => r.body.data as { id: string; payment_id: string }[],
      ),
    (data) => data.some((exception) => exception.payment_id === twice.id),
  );
  const refund = await api(
    stack.url,
    'POST',
    `/admin/exceptions/${encodeURIComponent(flagged.find((exception) => exception.payment_id === twice.id)!.id)}/refund`,
    {
      token: stack.adminToken,
      body: { operator: 'bob' },
    },
  );
  expect(refund.status).toBe(202);
  await eventually(
    () =>
      api(stack.url, 'GET', '/admin/exceptions?status=decided', { token: stack.adminToken }).then(
        (r) => r.body.data as { decision: { status: string } }[],
      ),
    (data) => data.length === 2 && data.every((exception) => exception.decision.status === 'applied'),
  );
  expect(linesOf(await reconcileNow())).toEqual([['capture_without_payment', orphan]]);
  await expectLedgerBalanced(db);
});

test('a capture for a payment Kassa does not know, refunded by an operator through its flagged callback, reconciles cleanly', async () => {
  const stray = `pay_stray${Date.now()}`;
  const capture = await captureAtSandbox(stack, stray, '2500', 'planted');
  const before = await reconcileNow();
  const linesOf = (result: ReconciliationResult) =>
    result.mismatches
      .filter((mismatch) => mismatch.id === stray || mismatch.message.includes(capture))
      .map((mismatch) => [mismatch.kind, mismatch.source]);
  expect(linesOf(before)).toEqual([['capture_without_payment', 'payment']]);

  const flagged = await eventually(
    () =>
      api(stack.url, 'GET', '/admin/exceptions?kind=flagged_callback', { token: stack.adminToken }).then(
        (r) => r.body.data as { id: string; payment_id: string }[],
      ),
    (data) => data.some((exception) => exception.payment_id === stray),
  );
  const id = encodeURIComponent(flagged.find((exception) => exception.payment_id === stray)!.id);
  expect(
    (
      await api(stack.url, 'POST', `/admin/exceptions/${id}/refund`, {
        token: stack.adminToken,
        body: { operator: 'carol' },
      })
    ).status,
  ).toBe(202);
  const decided = await eventually(
    () => api(stack.url, 'GET', `/admin/exceptions/${id}`, { token: stack.adminToken }).then((r) => r.body),
    (body) => body.decision?.status === 'applied',
  );
  expect(decided.decision.outcome.refunds).toEqual([
    expect.objectContaining({ provider_payment_id: capture, amount: '25.00', status: 'succeeded' }),
  ]);

  // neither the capture given back nor the refund that gave it back is a mismatch
  expect(linesOf(await reconcileNow())).toEqual([]);
});

describe('reconcile, on facts alone', () => {
  const day = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-02T00:00:00Z') };
  const at = '2026-01-01T12:00:00.000Z';
  const paid = (id: string, providerPaymentId: string, status = 'paid'): PaymentFact => ({
    id,
    status,
    testMode: true,
    currency: 'RUB',
    provider: 'sandbox',
    providerPaymentId,
    buyerTotalMinor: 1000n,
    merchantNetMinor: 970n,
    feeMinor: 30n,
    paidAt: new Date(at),
  });
  const captured = (paymentId: string, providerPaymentId: string, amountMinor: string) => ({
    providerPaymentId,
    paymentId,
    amountMinor,
    currency: 'RUB',
    capturedAt: at,
  });
  const postingOf = (paymentId: string) => ({
    sourceType: 'payment',
    sourceId: paymentId,
    event: 'captured',
    createdAt: new Date(at),
    entries: [
      { kind: 'provider_clearing', owner: 'kassa', provider: 'sandbox', currency: 'RUB', amountMinor: -1000n },
      { kind: 'available', owner: 'mer_x', provider: '', currency: 'RUB', amountMinor: 970n },
      { kind: 'fee_revenue', owner: 'kassa', provider: '', currency: 'RUB', amountMinor: 30n },
    ],
  });

  test('captures are matched by provider payment id: a paid payment captured at another amount, a second capture and an unknown reference are each a line', () => {
    const mismatches = reconcile({
      ...day,
      payments: [
        paid('pay_short', 'sp_1'),
        paid('pay_twice', 'sp_2'),
        paid('pay_refunded_on_review', 'sp_4', 'refunded'),
      ],
      refunds: [],
      payouts: [],
      postings: [postingOf('pay_short'), postingOf('pay_twice')],
      reports: [
        {
          provider: 'sandbox',
          report: {
            payments: [
              captured('pay_short', 'sp_1', '900'),
              captured('pay_twice', 'sp_2', '1000'),
              captured('pay_twice', 'sp_3', '1000'),
              captured('pay_nobody', 'sp_9', '500'),
              captured('pay_refunded_on_review', 'sp_4', '1000'),
            ],
            refunds: [
              {
                providerRefundId: 'sr_1',
                refundId: 're_review_sp_4',
                providerPaymentId: 'sp_4',
                amountMinor: '1000',
                currency: 'RUB',
                state: 'succeeded',
                createdAt: at,
              },
            ],
            payouts: [],
          },
        },
      ],
      imbalances: [],
      reviews: [
        {
          paymentId: 'pay_refunded_on_review',
          kind: 'under_review',
          action: 'refund',
          applied: true,
          refunds: [{ refundId: 're_review_sp_4', providerPaymentId: 'sp_4', amountMinor: '1000', currency: 'RUB' }],
        },
      ],
    });
    expect(mismatches.map((mismatch) => [mismatch.kind, mismatch.id]).sort()).toEqual(
      [
        ['amount_mismatch', 'pay_short'],
        ['duplicate_capture', 'pay_twice'],
        ['capture_without_payment', 'pay_nobody'],
      ].sort(),
    );
    expect(mismatches.find((mismatch) => mismatch.kind === 'duplicate_capture')!.message).toContain('as sp_3');
  });
});
