import type { Pool } from 'pg';
import { createReviewActivities } from '../../src/activities/review';
import { insertDecision } from '../../src/db/exceptions';
import { type ProviderRegistry, providersFromConfig } from '../../src/providers/registry';
import { ProviderError } from '../../src/providers/types';
import {
  acceptedAmounts,
  acceptRefusal,
  capturesInReport,
  capturesToRefund,
  type ProviderCapture,
} from '../../src/domain/exceptions';
import { balancesOf, expectLedgerBalanced, postingsOf } from '../support/ledger';
import { chooseMethod, heldForReview, paidPayment } from '../support/money';
import {
  api,
  captureAtSandbox,
  createTestPayment,
  eventually,
  paymentOf,
  type Receiver,
  sandboxReport,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';

jest.setTimeout(90_000);

let stack: TestStack;
let db: Pool;
const shop = shopsFor(() => stack, 'all');
stackForFile((running) => ({ stack, db } = running), { MIN_EXPIRES_IN_SECONDS: '2' });

const exceptions = (query = '') => api(stack.url, 'GET', `/admin/exceptions${query}`, { token: stack.adminToken });
const decide = (id: string, action: 'accept' | 'refund', body: unknown = { operator: 'alice' }) =>
  api(stack.url, 'POST', `/admin/exceptions/${encodeURIComponent(id)}/${action}`, { token: stack.adminToken, body });
const decisionOf = (id: string) =>
  eventually(
    () =>
      api(stack.url, 'GET', `/admin/exceptions/${encodeURIComponent(id)}`, { token: stack.adminToken }).then(
        (r) => r.body,
      ),
    (body) => body.decision?.status === 'applied' || body.decision === null,
  );
const exceptionOf = (id: string) =>
  api(stack.url, 'GET', `/admin/exceptions/${encodeURIComponent(id)}`, { token: stack.adminToken }).then((r) => r.body);

const webhooksFor = (receiver: Receiver, paymentId: string) =>
  receiver.received.map((request) => JSON.parse(request.body)).filter((event) => event.data?.id === paymentId);

test('a payment held for review is listed; accepting it posts what the provider captured, makes it paid and tells the merchant', async () => {
  const { testKey, checkout, merchantId, receiver } = await shop();
  const held = await heldForReview(stack, testKey, checkout.id);

  expect((await api(stack.url, 'GET', '/admin/exceptions')).status).toBe(401);
  const listed = await exceptions(`?merchant_id=${merchantId}`);
  expect(listed.status).toBe(200);
  expect(listed.body.data).toEqual([
    expect.objectContaining({
      id: held.id,
      object: 'exception',
      kind: 'under_review',
      status: 'open',
      payment_id: held.id,
      merchant_id: merchantId,
      reason: 'amount_mismatch',
      amount: '50.00',
      expected_total: '50.00',
      provider_captured: [expect.objectContaining({ provider: 'sandbox', amount: '51.00', currency: 'RUB' })],
      decision: null,
    }),
  ]);
  expect(Date.parse(listed.body.data[0].since)).toBeGreaterThan(Date.now() - 60_000);

  const nameless = await decide(held.id, 'accept', {});
  expect([nameless.status, nameless.body.error.param]).toEqual([400, 'operator']);
  expect((await decide('pay_doesnotexist1', 'accept')).status).toBe(404);

  const accepted = await decide(held.id, 'accept');
  expect(accepted.status).toBe(202);
  expect(accepted.body).toMatchObject({
    object: 'exception_decision',
    exception_id: held.id,
    action: 'accept',
    operator: 'alice',
  });
  const retried = await decide(held.id, 'accept');
  expect([retried.status, retried.body.id]).toEqual([202, accepted.body.id]);
  const second = await decide(held.id, 'refund', { operator: 'bob' });
  expect([second.status, second.body.error.code, second.body.error.decision.operator]).toEqual([
    409,
    'exception_decided',
    'alice',
  ]);

  const paid = await eventually(
    () => paymentOf(stack, testKey, held.id),
    (body) => body.status === 'paid',
  );
  expect(paid).toMatchObject({ buyer_total: '51.00', fee: '1.50', merchant_net: '49.50', failure_reason: null });
  expect(await postingsOf(db, 'payment', held.id)).toEqual({ captured: 1 });
  expect(await balancesOf(db, merchantId, 'RUB')).toMatchObject({ available: 4950n });
  await expectLedgerBalanced(db);

  await eventually(
    async () => webhooksFor(receiver, held.id).map((event) => event.type),
    (types) => types.includes('payment.paid'),
  );
  const event = webhooksFor(receiver, held.id).find((candidate) => candidate.type === 'payment.paid');
  expect(event.data).toMatchObject({ status: 'paid', buyer_total: '51.00' });

  const decided = await decisionOf(held.id);
  expect(decided).toMatchObject({
    status: 'decided',
    decision: {
      action: 'accept',
      operator: 'alice',
      status: 'applied',
      outcome: { captured: { amount: '51.00', fee: '1.50', merchant_net: '49.50' } },
    },
  });
  expect(Date.parse(decided.decision.decided_at)).toBeGreaterThan(Date.now() - 120_000);
  expect((await exceptions(`?merchant_id=${merchantId}`)).body.data).toEqual([]);
  expect(
    (await exceptions(`?merchant_id=${merchantId}&status=decided`)).body.data.map((item: { id: string }) => item.id),
  ).toEqual([held.id]);
});

test('a payment held for review can be refunded instead: the sandbox shows the refund, the ledger is untouched', async () => {
  const { testKey, checkout, merchantId, receiver } = await shop();
  const held = await heldForReview(stack, testKey, checkout.id);

  // the operator's client retries while the first request is still running: one decision, one refund
  const attempts = await Promise.all([1, 2, 3].map(() => decide(held.id, 'refund', { operator: 'bob' })));
  expect(attempts.map((attempt) => attempt.status)).toEqual([202, 202, 202]);
  expect(new Set(attempts.map((attempt) => attempt.body.id)).size).toBe(1);
  const decided = await decisionOf(held.id);
  expect(decided.decision).toMatchObject({ action: 'refund', operator: 'bob', status: 'applied' });
  expect(decided.decision.outcome.refunds).toEqual([
    expect.objectContaining({ amount: '51.00', status: 'succeeded', provider_payment_id: expect.any(String) }),
  ]);

  const report = await sandboxReport(stack, 600_000);
  const atSandbox = report.refunds.filter(
    (refund: { reference: string }) => refund.reference === decided.decision.outcome.refunds[0].reference,
  );
  expect(atSandbox).toEqual([expect.objectContaining({ amount_minor: '5100', status: 'succeeded' })]);
  expect(
    report.refunds.filter(
      (refund: { payment_id: string }) => refund.payment_id === decided.decision.outcome.refunds[0].provider_payment_id,
    ),
  ).toHaveLength(1);

  expect(await postingsOf(db, 'payment', held.id)).toEqual({});
  expect(await balancesOf(db, merchantId, 'RUB')).toMatchObject({ available: 0n, reserved: 0n });
  expect((await paymentOf(stack, testKey, held.id)).status).toBe('refunded');
  await eventually(
    async () => webhooksFor(receiver, held.id).map((event) => event.type),
    (types) => types.includes('payment.refunded'),
  );

  const again = await decide(held.id, 'refund', { operator: 'carol' });
  expect(again.status).toBe(409);
  await expectLedgerBalanced(db);
});

test('successes after expiry and after cancel are listed as late successes: one accepted, the other refunded at the provider', async () => {
  const { testKey, checkout, merchantId, receiver } = await shop();
  const expiring = await createTestPayment(stack, testKey, checkout.id, { amount: '20.00', expires_in: 2 });
  const expiringRedirect = await chooseMethod(stack, expiring.id);
  const canceled = await createTestPayment(stack, testKey, checkout.id, { amount: '30.00' });
  const canceledRedirect = await chooseMethod(stack, canceled.id);
  expect(
    (await api(stack.url, 'POST', `/v1/payments/${canceled.id}/cancel`, { token: testKey, body: {} })).body.status,
  ).toBe('canceled');
  await eventually(
    () => paymentOf(stack, testKey, expiring.id),
    (body) => body.status === 'expired',
    20_000,
  );
  await fetch(`${expiringRedirect}/approve`, { method: 'POST', redirect: 'manual' });
  await fetch(`${canceledRedirect}/approve`, { method: 'POST', redirect: 'manual' });

  const listed = await eventually(
    () => exceptions(`?merchant_id=${merchantId}&kind=late_success`),
    (r) => r.body.data.length === 2,
  );
  const byId = Object.fromEntries(listed.body.data.map((item: { id: string }) => [item.id, item]));
  expect(byId[expiring.id]).toMatchObject({
    kind: 'late_success',
    payment_status: 'expired',
    provider_captured: [expect.objectContaining({ amount: '20.00' })],
    flags: [expect.objectContaining({ provider: 'sandbox', state: 'succeeded', flag: 'contradicts_expired' })],
  });
  expect(byId[canceled.id]).toMatchObject({
    payment_status: 'canceled',
    flags: [expect.objectContaining({ flag: 'contradicts_canceled' })],
  });

  expect((await decide(expiring.id, 'accept', { operator: 'dave' })).status).toBe(202);
  const paid = await eventually(
    () => paymentOf(stack, testKey, expiring.id),
    (body) => body.status === 'paid',
  );
  expect(paid).toMatchObject({ buyer_total: '20.00', merchant_net: '19.40' });
  expect(await postingsOf(db, 'payment', expiring.id)).toEqual({ captured: 1 });
  await eventually(
    async () => webhooksFor(receiver, expiring.id).map((event) => event.type),
    (types) => types.includes('payment.paid'),
  );
  expect((await decide(expiring.id, 'refund', { operator: 'dave' })).status).toBe(409);

  expect((await decide(canceled.id, 'refund', { operator: 'dave' })).status).toBe(202);
  const decided = await decisionOf(canceled.id);
  expect(decided.decision.outcome.refunds).toEqual([expect.objectContaining({ amount: '30.00', status: 'succeeded' })]);
  expect((await paymentOf(stack, testKey, canceled.id)).status).toBe('canceled');
  expect(await postingsOf(db, 'payment', canceled.id)).toEqual({});
  expect(await balancesOf(db, merchantId, 'RUB')).toMatchObject({ available: 1940n });
  await expectLedgerBalanced(db);
});

test('a refund the provider refuses fails the decision with its reason, and the operator may decide again', async () => {
  const { testKey, checkout } = await shop();
  const held = await heldForReview(stack, testKey, checkout.id, { refund_fails: true });
  expect((await decide(held.id, 'refund', { operator: 'frank' })).status).toBe(202);
  const failed = await eventually(
    () => api(stack.url, 'GET', `/admin/exceptions/${held.id}`, { token: stack.adminToken }).then((r) => r.body),
    (body) => body.decisions[0]?.status === 'failed',
  );
  expect(failed).toMatchObject({
    status: 'open',
    decision: null,
    decisions: [expect.objectContaining({ operator: 'frank', action: 'refund' })],
  });
  expect(failed.decisions[0].failure_reason).toContain('refund_declined');
  expect((await paymentOf(stack, testKey, held.id)).status).toBe('under_review');

  expect((await decide(held.id, 'accept', { operator: 'grace' })).status).toBe(202);
  await eventually(
    () => paymentOf(stack, testKey, held.id),
    (body) => body.status === 'paid',
  );
  const history = (await decisionOf(held.id)).decisions.map((decision: { operator: string; status: string }) => [
    decision.operator,
    decision.status,
  ]);
  expect(history).toEqual([
    ['frank', 'failed'],
    ['grace', 'applied'],
  ]);
});

test('a second capture of a paid payment is a flagged callback; refunding it gives back only that capture', async () => {
  const { testKey, checkout, merchantId } = await shop();
  const paid = await paidPayment(stack, testKey, checkout.id, '30.00');
  const before = await balancesOf(db, merchantId, 'RUB');

  // the provider takes the buyer's money a second time for the same payment
  const second = await captureAtSandbox(stack, paid.id, '3000', 'again');

  const listed = await eventually(
    () => exceptions(`?merchant_id=${merchantId}&kind=flagged_callback`),
    (r) => r.body.data.length > 0,
  );
  const [flagged] = listed.body.data;
  expect(flagged).toMatchObject({
    kind: 'flagged_callback',
    payment_id: paid.id,
    payment_status: 'paid',
    flags: [expect.objectContaining({ flag: expect.any(String), state: 'succeeded' })],
  });
  expect(flagged.id).toMatch(/^sandbox:/);
  const captured = flagged.provider_captured.map(
    (capture: { provider_payment_id: string }) => capture.provider_payment_id,
  );
  expect([captured.length, captured.includes(second)]).toEqual([2, true]);

  const page = await exceptions('?status=all&limit=1');
  expect([page.body.data.length, page.body.has_more]).toEqual([1, true]);
  const next = await exceptions(`?status=all&limit=1&starting_after=${encodeURIComponent(page.body.data[0].id)}`);
  expect(next.body.data[0].id).not.toBe(page.body.data[0].id);
  expect(Date.parse(next.body.data[0].since)).toBeLessThanOrEqual(Date.parse(page.body.data[0].since));

  expect((await decide(flagged.id, 'refund', { operator: 'erin' })).status).toBe(202);
  const decided = await decisionOf(flagged.id);
  expect(decided.decision).toMatchObject({ status: 'applied', operator: 'erin' });
  expect(decided.decision.outcome.refunds).toEqual([
    expect.objectContaining({ provider_payment_id: second, amount: '30.00', status: 'succeeded' }),
  ]);
  expect((await paymentOf(stack, testKey, paid.id)).status).toBe('paid');
  expect(await balancesOf(db, merchantId, 'RUB')).toEqual(before);
  await expectLedgerBalanced(db);
});

test('each step of a decision, retried after it took effect, changes nothing the second time', async () => {
  const { testKey, checkout, merchantId } = await shop();
  const activities = createReviewActivities({
    db,
    providers: providersFromConfig(stack.kassa.config),
    publicUrl: stack.url,
  });
  const decisionFor = async (paymentId: string, action: 'accept' | 'refund') =>
    (
      await insertDecision(db, {
        id: `dec_retry${action}${Date.now()}`,
        exceptionId: paymentId,
        kind: 'under_review',
        paymentId,
        action,
        operator: 'retry',
        workflowId: 'none',
      })
    ).decision;

  const accepted = await heldForReview(stack, testKey, checkout.id);
  const acceptance = await decisionFor(accepted.id, 'accept');
  const input = { decisionId: acceptance.id, seq: Date.now() * 1000, eventId: `evt_retry${Date.now()}` };
  expect(await activities.acceptException(input)).toEqual({ eventId: input.eventId });
  expect(await activities.acceptException(input)).toEqual({ eventId: input.eventId });
  expect(await postingsOf(db, 'payment', accepted.id)).toEqual({ captured: 1 });
  expect(
    (await db.query('select count(*)::int as n from payment_events where id = $1', [input.eventId])).rows[0].n,
  ).toBe(1);
  expect(await balancesOf(db, merchantId, 'RUB')).toMatchObject({ available: 4950n });

  const refunded = await heldForReview(stack, testKey, checkout.id);
  const refund = await decisionFor(refunded.id, 'refund');
  const first = await activities.refundException({ decisionId: refund.id });
  const again = await activities.refundException({ decisionId: refund.id });
  expect(again).toEqual(first);
  const record = { decisionId: refund.id, refunds: first, seq: Date.now() * 1000, eventId: `evt_retry${Date.now()}` };
  expect(await activities.recordExceptionRefund(record)).toEqual({ eventId: record.eventId });
  expect(await activities.recordExceptionRefund(record)).toEqual({ eventId: record.eventId });
  const report = await sandboxReport(stack, 600_000);
  expect(
    report.refunds.filter((entry: { payment_id: string }) => entry.payment_id === first[0]!.providerPaymentId),
  ).toHaveLength(1);
  expect((await paymentOf(stack, testKey, refunded.id)).status).toBe('refunded');
  await expectLedgerBalanced(db);
});

test('a decision recorded by a request that died before starting it is carried out when the exception is next decided', async () => {
  const { testKey, checkout } = await shop();
  const held = await heldForReview(stack, testKey, checkout.id);
  const decisionId = `dec_orphaned${Date.now()}`;
  await insertDecision(db, {
    id: decisionId,
    exceptionId: held.id,
    kind: 'under_review',
    paymentId: held.id,
    action: 'accept',
    operator: 'heidi',
    workflowId: `review-${held.id}-${decisionId}`,
  });

  const late = await decide(held.id, 'refund', { operator: 'ivan' });
  expect([late.status, late.body.error.decision.id]).toEqual([409, decisionId]);
  await eventually(
    () => paymentOf(stack, testKey, held.id),
    (body) => body.status === 'paid',
  );
  expect((await decisionOf(held.id)).decision).toMatchObject({ id: decisionId, operator: 'heidi', status: 'applied' });
});

test('after a refund decision gave back one capture and the provider refused the other, accepting refuses: the merchant is never credited money the buyer has back', async () => {
  const { testKey, checkout, merchantId } = await shop();
  const held = await heldForReview(stack, testKey, checkout.id);
  const second = await captureAtSandbox(stack, held.id, '3000');

  // the provider refunds the payment's own capture and refuses to refund the second one
  const sandboxProviders = providersFromConfig(stack.kassa.config);
  const refusing: ProviderRegistry = {
    ...sandboxProviders,
    byName: (name) => {
      const provider = sandboxProviders.byName(name);
      return (
        provider && {
          ...provider,
          refundPayment: async (input) => {
            if (input.providerPaymentId === second)
              throw new ProviderError('definite', 'refund_declined', 'the bank refused');
            return provider.refundPayment!(input);
          },
        }
      );
    },
  };
  const activities = createReviewActivities({ db, providers: refusing, publicUrl: stack.url });
  const { decision } = await insertDecision(db, {
    id: `dec_partial${Date.now()}`,
    exceptionId: held.id,
    kind: 'under_review',
    paymentId: held.id,
    action: 'refund',
    operator: 'judy',
    workflowId: 'none',
  });
  const refunds = await activities.refundException({ decisionId: decision.id });
  expect(
    refunds.map((refund) => [refund.providerPaymentId === second ? 'second' : 'own', refund.state]).sort(),
  ).toEqual([
    ['own', 'succeeded'],
    ['second', 'failed'],
  ]);
  await activities.recordExceptionRefund({
    decisionId: decision.id,
    refunds,
    seq: Date.now() * 1000,
    eventId: `evt_partial${Date.now()}`,
  });
  expect(await exceptionOf(held.id)).toMatchObject({
    status: 'open',
    decisions: [expect.objectContaining({ operator: 'judy', status: 'failed' })],
  });

  expect((await decide(held.id, 'accept', { operator: 'kim' })).status).toBe(202);
  const afterAccept = await eventually(
    () => exceptionOf(held.id),
    (body) => body.decisions.length === 2 && body.decisions[1].status !== 'pending',
  );
  expect(afterAccept.decisions[1]).toMatchObject({
    operator: 'kim',
    action: 'accept',
    status: 'failed',
    failure_reason: expect.stringContaining('already_refunded'),
  });
  expect((await paymentOf(stack, testKey, held.id)).status).toBe('under_review');
  expect(await postingsOf(db, 'payment', held.id)).toEqual({});
  expect(await balancesOf(db, merchantId, 'RUB')).toMatchObject({ available: 0n });

  // refunding the rest settles it: the refund made already is asked for again under its key, the other one is made now
  expect((await decide(held.id, 'refund', { operator: 'kim' })).status).toBe(202);
  const refunded = await decisionOf(held.id);
  expect(refunded.decision.outcome.refunds.map((refund: { status: string }) => refund.status)).toEqual([
    'succeeded',
    'succeeded',
  ]);
  const atSandbox = (await sandboxReport(stack, 600_000)).refunds.filter((refund: { reference: string }) =>
    refund.reference.startsWith('re_review_'),
  );
  const own = refunded.decision.outcome.refunds.find(
    (refund: { provider_payment_id: string }) => refund.provider_payment_id !== second,
  ).provider_payment_id;
  for (const capture of [own, second]) {
    expect(
      atSandbox.filter(
        (refund: { payment_id: string; status: string }) =>
          refund.payment_id === capture && refund.status === 'succeeded',
      ),
    ).toHaveLength(1);
  }
  expect((await paymentOf(stack, testKey, held.id)).status).toBe('refunded');
  await expectLedgerBalanced(db);
});

test('a flagged callback of a payment still open is not decided: 409 payment_open, its purchase workflow owns it', async () => {
  const { testKey, checkout, merchantId } = await shop();
  const open = await createTestPayment(stack, testKey, checkout.id, { amount: '12.00' });
  const foreign = await captureAtSandbox(stack, open.id, '1200');

  const listed = await eventually(
    () => exceptions(`?merchant_id=${merchantId}&kind=flagged_callback`),
    (r) => r.body.data.length > 0,
  );
  const [flagged] = listed.body.data;
  expect(flagged).toMatchObject({
    payment_id: open.id,
    payment_status: 'awaiting_method',
    provider_captured: [expect.objectContaining({ provider_payment_id: foreign })],
  });
  for (const action of ['refund', 'accept'] as const) {
    const answer = await decide(flagged.id, action, { operator: 'leo' });
    expect([answer.status, answer.body.error?.code, answer.body.error?.type]).toEqual([
      409,
      'payment_open',
      'conflict_error',
    ]);
  }
  expect(await exceptionOf(flagged.id)).toMatchObject({ status: 'open', decisions: [] });
  expect(
    (await sandboxReport(stack, 600_000)).refunds.filter(
      (refund: { payment_id: string }) => refund.payment_id === foreign,
    ),
  ).toEqual([]);
  expect((await paymentOf(stack, testKey, open.id)).status).toBe('awaiting_method');
});

describe('what a decision settles', () => {
  const capture = (
    providerPaymentId: string,
    amountMinor: bigint,
    refundedMinor = 0n,
    reviewRefundedMinor = 0n,
  ): ProviderCapture => ({
    provider: 'sandbox',
    providerPaymentId,
    paymentId: 'pay_x',
    amountMinor,
    currency: 'RUB',
    capturedAt: '2026-01-01T00:00:00Z',
    refundedMinor,
    reviewRefundedMinor,
  });

  test('an accepted capture keeps the commission fixed at pricing, never more than was captured', () => {
    expect(acceptedAmounts(150n, 5100n)).toEqual({ feeMinor: 150n, buyerTotalMinor: 5100n, merchantNetMinor: 4950n });
    expect(acceptedAmounts(150n, 100n)).toEqual({ feeMinor: 100n, buyerTotalMinor: 100n, merchantNetMinor: 0n });
  });

  test('a refund gives back what the ledger does not hold, never the capture a payment stands on, less what was refunded already', () => {
    const captures = [capture('sp_own', 3000n), capture('sp_second', 3000n, 1000n), capture('sp_gone', 500n, 500n)];
    const paid = { status: 'paid' as const, providerPaymentId: 'sp_own' };
    expect(
      capturesToRefund('flagged_callback', paid, captures).map(({ capture: c, amountMinor }) => [
        c.providerPaymentId,
        amountMinor,
      ]),
    ).toEqual([['sp_second', 2000n]]);
    const held = { status: 'under_review' as const, providerPaymentId: 'sp_own' };
    expect(capturesToRefund('under_review', held, captures).map(({ capture: c }) => c.providerPaymentId)).toEqual([
      'sp_own',
      'sp_second',
    ]);
    const waiting = { status: 'awaiting_payment' as const, providerPaymentId: 'sp_own' };
    expect(
      capturesToRefund('flagged_callback', waiting, captures).map(({ capture: c }) => c.providerPaymentId),
    ).toEqual(['sp_second']);
    expect(capturesToRefund('flagged_callback', null, captures).map(({ capture: c }) => c.providerPaymentId)).toEqual([
      'sp_own',
      'sp_second',
    ]);
  });

  test("a provider's report counts a decision's refunds apart from others, and a capture refunded in any way is not accepted", () => {
    const refund = (
      refundId: string,
      providerPaymentId: string,
      amountMinor: string,
      state: 'succeeded' | 'failed' = 'succeeded',
    ) => ({
      providerRefundId: `sr_${refundId}`,
      refundId,
      providerPaymentId,
      amountMinor,
      currency: 'RUB',
      state,
      createdAt: '2026-01-01T00:00:00Z',
    });
    const report = {
      payments: [
        {
          providerPaymentId: 'sp_a',
          paymentId: 'pay_x',
          amountMinor: '3000',
          currency: 'RUB',
          capturedAt: '2026-01-01T00:00:00Z',
        },
        {
          providerPaymentId: 'sp_b',
          paymentId: 'pay_x',
          amountMinor: '2000',
          currency: 'RUB',
          capturedAt: '2026-01-01T00:00:00Z',
        },
        {
          providerPaymentId: 'sp_c',
          paymentId: 'pay_other',
          amountMinor: '100',
          currency: 'RUB',
          capturedAt: '2026-01-01T00:00:00Z',
        },
      ],
      refunds: [
        refund('re_review_sp_a', 'sp_a', '3000'),
        refund('re_outside', 'sp_b', '500'),
        refund('re_review_sp_b', 'sp_b', '1500', 'failed'),
      ],
      payouts: [],
    };
    const captures = capturesInReport('sandbox', report, ['pay_x']);
    expect(captures.map((c) => [c.providerPaymentId, c.refundedMinor, c.reviewRefundedMinor])).toEqual([
      ['sp_a', 0n, 3000n],
      ['sp_b', 500n, 0n],
    ]);
    expect(acceptRefusal(captures[0]!, [])).toMatch(/^already_refunded: sandbox has refunded 30\.00 RUB of sp_a/);
    expect(acceptRefusal(captures[1]!, [])).toMatch(/^already_refunded: sandbox has refunded 5\.00 RUB of sp_b/);
    expect(acceptRefusal(capture('sp_d', 1000n), ['re_review_sp_d'])).toMatch(
      /^already_refunded: .*\(re_review_sp_d\)/,
    );
    expect(acceptRefusal(capture('sp_d', 1000n), [])).toBeNull();
  });
});
