import { findCheckoutById } from '../../src/db/checkouts';
import { insertPayment, markWorkflowStarted } from '../../src/db/payments';
import { type Checkout, checkoutQuotes } from '../../src/domain/checkout';
import { DomainError } from '../../src/domain/errors';
import { newId, randomToken } from '../../src/domain/ids';
import type { StoredPayment } from '../../src/domain/payment';
import { purchase, type PurchaseSubject, siteVerification } from '../../src/temporal/definitions';
import { startPurchase, sweepUnstarted } from '../../src/temporal/outbox';
import { startWorkflow } from '../../src/temporal/start';
import { signalPurchase, updatePurchase } from '../../src/temporal/messages';
import { cancelUpdate, purchaseWorkflowId, recheckProviderSignal, searchAttributes } from '../../src/workflows/shared';
import { type ApiHarness, type Merchant, startApiHarness } from '../support/merchant-api';
import { paymentBody, startTestTemporal, type TestTemporal } from '../support/stack';

jest.setTimeout(60_000);

// No worker polls the namespace: started workflows stay running with their first task pending,
// which is all the starter decides about.
let temporal: TestTemporal;
let harness: ApiHarness;
let merchant: Merchant;
let checkout: Checkout;
beforeAll(async () => {
  temporal = await startTestTemporal();
  harness = await startApiHarness({}, temporal.client);
  merchant = await harness.merchant();
  checkout = (await findCheckoutById(harness.db, merchant.testCheckout.id))!;
}, 60_000);
afterAll(async () => {
  await harness?.close();
  await temporal?.close();
});

/** A payment stored as createPayment stores it; `started` marks its workflow started as the API would. */
async function storedPayment(options: { started?: boolean } = {}): Promise<StoredPayment> {
  const payment = await insertPayment(harness.db, {
    id: newId('pay'),
    merchantId: merchant.id,
    checkoutId: checkout.id,
    orderId: `ST-${randomToken(10)}`,
    testMode: true,
    amountMinor: 5000n,
    currency: 'RUB',
    description: 'Starter test',
    method: null,
    delivery: null,
    metadata: {},
    expiresAt: new Date(Date.now() + 1800_000),
  });
  if (options.started ?? true) await markWorkflowStarted(harness.db, payment.id);
  return payment;
}

const subjectOf = (payment: StoredPayment): PurchaseSubject => ({
  payment,
  checkout,
  quotes: checkoutQuotes(harness.deps.providers.methods(true), checkout, payment.amountMinor, payment.currency),
  statusPollSeconds: [5],
});

const describe_ = (paymentId: string) => temporal.client.workflow.getHandle(purchaseWorkflowId(paymentId)).describe();

const workflowStarted = async (paymentId: string) =>
  (await harness.db.query('select workflow_started from payments where id = $1', [paymentId])).rows[0]
    .workflow_started as boolean;

test('a purchase starts under its definition: id, task queue, search attributes, summary and details', async () => {
  const payment = await storedPayment({ started: false });
  await startPurchase(harness.deps, payment, checkout);

  const described = await describe_(payment.id);
  expect(described.workflowId).toBe(`payment-${payment.id}`);
  expect(described.type).toBe('purchaseWorkflow');
  expect(described.taskQueue).toBe('payments');
  expect(described.status.name).toBe('RUNNING');
  const attributes = described.typedSearchAttributes;
  expect(attributes.get(searchAttributes.paymentStatus)).toBe('awaiting_method');
  expect(attributes.get(searchAttributes.merchantId)).toBe(merchant.id);
  expect(attributes.get(searchAttributes.checkoutId)).toBe(checkout.id);
  expect(attributes.get(searchAttributes.orderId)).toBe(payment.orderId);
  expect(attributes.get(searchAttributes.amountMinor)).toBe(5000);
  expect(attributes.get(searchAttributes.currency)).toBe('RUB');
  expect(attributes.get(searchAttributes.testMode)).toBe(true);
  expect(await described.staticSummary()).toBe(
    `My shop (${merchant.id}) · order ${payment.orderId} · 50.00 RUB · test`,
  );
  expect(await described.staticDetails()).toContain(`**Payment** ${payment.id} (test mode)`);
  expect(await workflowStarted(payment.id)).toBe(true);
});

test('starting a running purchase again reuses it: the same run, no error', async () => {
  const payment = await storedPayment();
  const first = await startWorkflow(harness.deps, purchase, subjectOf(payment));
  const second = await startWorkflow(harness.deps, purchase, subjectOf(payment));
  expect(first).not.toBeNull();
  expect(second?.firstExecutionRunId).toBe(first!.firstExecutionRunId);
  expect((await describe_(payment.id)).runId).toBe(first!.firstExecutionRunId);
});

test('a closed purchase is never started again: the second start answers null and the closed run stays', async () => {
  const payment = await storedPayment();
  const first = await startWorkflow(harness.deps, purchase, subjectOf(payment));
  await first!.terminate('closed for the test');

  expect(await startWorkflow(harness.deps, purchase, subjectOf(payment))).toBeNull();
  const described = await describe_(payment.id);
  expect(described.runId).toBe(first!.firstExecutionRunId);
  expect(described.status.name).toBe('TERMINATED');
});

test('verifying a site again replaces the running verification with a new run', async () => {
  const first = await startWorkflow(harness.deps, siteVerification, checkout);
  const second = await startWorkflow(harness.deps, siteVerification, checkout);
  expect(second!.firstExecutionRunId).not.toBe(first!.firstExecutionRunId);
  const run = (runId: string) => temporal.client.workflow.getHandle(first!.workflowId, runId).describe();
  expect((await run(first!.firstExecutionRunId)).status.name).toBe('TERMINATED');
  expect((await run(second!.firstExecutionRunId)).status.name).toBe('RUNNING');
});

test('the outbox sweep starts a payment stored but never started, once', async () => {
  const payment = await storedPayment({ started: false });
  expect(await sweepUnstarted(harness.deps, 0, ['payments'])).toEqual({ payments: 1 });
  const described = await describe_(payment.id);
  expect(described.status.name).toBe('RUNNING');
  expect(await workflowStarted(payment.id)).toBe(true);

  expect(await sweepUnstarted(harness.deps, 0)).toEqual({ payments: 0, refunds: 0, payouts: 0 });
  expect((await describe_(payment.id)).runId).toBe(described.runId);
});

test('the sweep leaves a payment younger than its grace period to the request that stores it', async () => {
  const payment = await storedPayment({ started: false });
  expect(await sweepUnstarted(harness.deps, 60, ['payments'])).toEqual({ payments: 0 });
  expect(await workflowStarted(payment.id)).toBe(false);
  await sweepUnstarted(harness.deps, 0, ['payments']);
});

test('an update to a payment whose workflow has closed, or never started, is a conflict with its state', async () => {
  const closed = await storedPayment();
  const handle = await startWorkflow(harness.deps, purchase, subjectOf(closed));
  await handle!.terminate('closed for the test');
  const rejection = (paymentId: string) =>
    updatePurchase(temporal.client, paymentId, (workflow) => workflow.executeUpdate(cancelUpdate)).catch(
      (error: unknown) => error,
    );

  const onClosed = await rejection(closed.id);
  expect(onClosed).toBeInstanceOf(DomainError);
  expect(onClosed).toMatchObject({ kind: 'conflict', code: 'payment_state', message: expect.stringMatching(/closed/) });

  const neverStarted = await rejection(newId('pay'));
  expect(neverStarted).toBeInstanceOf(DomainError);
  expect(neverStarted).toMatchObject({ kind: 'conflict', code: 'payment_state' });
});

test('a signal reaches a running purchase, and says so; to a closed or missing one it answers false', async () => {
  const running = await storedPayment();
  await startWorkflow(harness.deps, purchase, subjectOf(running));
  expect(await signalPurchase(temporal.client, running.id, recheckProviderSignal)).toBe(true);
  const history = await temporal.client.workflow.getHandle(purchaseWorkflowId(running.id)).fetchHistory();
  expect(
    history.events?.some((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'recheckProvider'),
  ).toBe(true);

  await temporal.client.workflow.getHandle(purchaseWorkflowId(running.id)).terminate('closed for the test');
  expect(await signalPurchase(temporal.client, running.id, recheckProviderSignal)).toBe(false);
  expect(await signalPurchase(temporal.client, newId('pay'), recheckProviderSignal)).toBe(false);
});

test('a payment made through the API has its workflow started and marked; a second request for the same order starts nothing more', async () => {
  const body = { order_id: `ST-${randomToken(10)}` };
  const created = await harness.payment(merchant, body);
  const described = await describe_(created.id);
  expect(described.status.name).toBe('RUNNING');
  expect(await workflowStarted(created.id)).toBe(true);

  const again = await harness
    .call(
      merchant.testKey,
      'post',
      '/v1/payments',
      { ...paymentBody(checkout.id), ...body },
      { 'idempotency-key': 'k1' },
    )
    .expect(409);
  expect(again.body.error).toMatchObject({ code: 'order_exists' });
  expect((await describe_(created.id)).runId).toBe(described.runId);
});
