import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { randomToken } from '../../src/domain/ids';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { searchAttributeDefinitions, searchAttributes, statusQuery } from '../../src/workflows/shared';
import { buyerActs, chooseMethod } from '../support/money';
import { newPayment, paidPayment } from '../support/operations';
import { temporalCli } from '../support/processes';
import {
  api,
  createTestNamespace,
  eventually,
  paymentOf,
  purchaseHandle,
  sandboxFault,
  shopsFor,
  startTestStack,
  type TestStack,
} from '../support/stack';

// Operator actions (docs/operations.md) against a real Temporal server. Status checks are an hour
// apart here, so a payment whose callback is lost waits until someone re-checks it.
jest.setTimeout(60_000);

let stack: TestStack;
const shop = shopsFor(() => stack, 'all');
beforeAll(async () => {
  stack = await startTestStack({ STATUS_POLL_SECONDS: '3600' });
}, 90_000);
afterAll(async () => {
  await stack?.close();
});

const admin = (method: string, pathname: string) => api(stack.url, method, pathname, { token: stack.adminToken });

test('search attributes are registered on a namespace that lacks them, and registering again changes nothing', async () => {
  const address = process.env.TEST_TEMPORAL_ADDRESS!;
  const namespace = await createTestNamespace(address);
  const connection = await Connection.connect({ address });
  try {
    // A new namespace takes a moment to reach the frontend's cache.
    const first = await eventually(
      () => ensureSearchAttributes(connection, namespace).catch((error: Error) => error),
      (result) => Array.isArray(result),
      20_000,
    );
    expect((first as string[]).sort()).toEqual(Object.keys(searchAttributeDefinitions).sort());
    expect(await ensureSearchAttributes(connection, namespace)).toEqual([]);

    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    for (const name of Object.keys(searchAttributeDefinitions))
      expect(Object.keys(listed.customAttributes ?? {})).toContain(name);

    // They work there: a workflow started with them is found by the operators' query.
    const client = new Client({ connection, namespace });
    const merchantId = `mer_${randomToken(12)}`;
    const handle = await client.workflow.start('purchaseWorkflow', {
      taskQueue: 'nobody-polls-this',
      workflowId: `payment-pay_${randomToken(12)}`,
      args: [],
      typedSearchAttributes: [
        { key: searchAttributes.paymentStatus, value: 'awaiting_method' },
        { key: searchAttributes.merchantId, value: merchantId },
        { key: searchAttributes.amountMinor, value: 5000 },
        { key: searchAttributes.testMode, value: true },
      ],
    });
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const execution of client.workflow.list({
          query: `PaymentStatus="awaiting_method" AND MerchantId="${merchantId}" AND AmountMinor=5000`,
        })) {
          ids.push(execution.workflowId);
        }
        return ids;
      },
      (ids) => ids.length > 0,
      20_000,
    );
    expect(found).toEqual([handle.workflowId]);
    await handle.terminate('test over');
  } finally {
    await connection.close();
  }
});

test('GET /admin/payments/:id shows the payment as Temporal sees it and says what it waits for', async () => {
  const merchant = await shop();
  const payment = await newPayment(stack, merchant, { order_id: 'INV-7', amount: '1250.00' });
  expect((await api(stack.url, 'GET', `/admin/payments/${payment.id}`)).status).toBe(401);
  expect((await api(stack.url, 'GET', `/admin/payments/${payment.id}`, { token: merchant.testKey })).status).toBe(401);

  const seen = await admin('GET', `/admin/payments/${payment.id}`);
  expect(seen.status).toBe(200);
  expect(seen.body).toMatchObject({
    payment: { id: payment.id, status: 'awaiting_method', order_id: 'INV-7', amount: '1250.00' },
    merchant_id: merchant.merchantId,
    workflow: {
      id: `payment-${payment.id}`,
      type: 'purchaseWorkflow',
      status: 'RUNNING',
      task_queue: 'payments',
      summary: `My shop (${merchant.merchantId}) · order INV-7 · 1250.00 RUB · test`,
      search_attributes: {
        PaymentStatus: 'awaiting_method',
        MerchantId: merchant.merchantId,
        OrderId: 'INV-7',
        AmountMinor: 125000,
        Currency: 'RUB',
        TestMode: true,
      },
    },
    state: { status: 'awaiting_method', method: null },
    pending_activities: [],
  });
  expect(seen.body.waiting_for).toMatch(/^the buyer to choose a method .* until \d{4}-\d\d-\d\dT/);
  const namespace = stack.kassa.config.temporal.namespace;
  expect(seen.body.workflow.temporal_ui_path).toBe(
    `/namespaces/${namespace}/workflows/payment-${payment.id}/${seen.body.workflow.run_id}/history`,
  );
  expect((await admin('GET', '/admin/payments/pay_doesnotexist1')).status).toBe(404);
});

test('an operator cancels an open payment of any merchant; the merchant is told; a second cancel is a 409', async () => {
  const merchant = await shop();
  const payment = await newPayment(stack, merchant);
  const canceled = await admin('POST', `/admin/payments/${payment.id}/cancel`);
  expect(canceled.status).toBe(200);
  expect(canceled.body).toMatchObject({ id: payment.id, status: 'canceled' });
  const [webhook] = await merchant.receiver.waitFor(1);
  expect(JSON.parse(webhook!.body)).toMatchObject({
    type: 'payment.canceled',
    data: { id: payment.id, status: 'canceled' },
  });
  expect(await purchaseHandle(stack, payment.id).query(statusQuery)).toMatchObject({ status: 'canceled' });

  const again = await admin('POST', `/admin/payments/${payment.id}/cancel`);
  expect(again.status).toBe(409);
  expect(again.body.error).toMatchObject({ type: 'conflict_error', code: 'payment_state' });
});

test('when the merchant endpoint fails, the operator sees the failing webhook and re-sends it once the endpoint is back', async () => {
  const merchant = await shop([500]);
  const payment = await paidPayment(stack, merchant);
  await merchant.receiver.waitFor(1);

  const seen = await eventually(
    () => admin('GET', `/admin/payments/${payment.id}`).then((response) => response.body),
    (body) => body.pending_activities.some((activity: { last_failure: string | null }) => activity.last_failure),
  );
  expect(seen.pending_activities[0]).toMatchObject({ activity_type: 'notifyMerchant', attempt: 2 });
  expect(seen.pending_activities[0].last_failure).toMatch(/HTTP 500/);
  expect(seen.waiting_for).toMatch(/^the merchant's endpoint to accept the webhook: attempt 2 failed \(.*HTTP 500\)/);
  const [event] = seen.events;
  expect(event).toMatchObject({
    type: 'payment.paid',
    delivered_at: null,
    attempts: [{ attempt: 1, status_code: 500 }],
  });

  const resent = await admin('POST', `/admin/payments/${payment.id}/events/${event.id}/resend`);
  expect(resent.status).toBe(200);
  expect(resent.body).toMatchObject({ event_id: event.id, type: 'payment.paid', delivered: true, status_code: 200 });
  expect(resent.body.attempt).toBeGreaterThanOrEqual(2);
  const received = [...(await merchant.receiver.waitFor(2))];
  expect(new Set(received.map((request) => request.headers['webhook-id']))).toEqual(new Set([event.id]));

  // The workflow's own retry finds the event delivered and finishes.
  await purchaseHandle(stack, payment.id).result();
  const events = await api(stack.url, 'GET', `/v1/payments/${payment.id}/events`, { token: merchant.testKey });
  expect(events.body.data[0].delivered_at).not.toBeNull();
  expect(events.body.data[0].attempts.map((attempt: { status_code: number }) => attempt.status_code)).toContain(200);

  // A delivered event can be sent again (the merchant lost it): a new attempt, same id and body.
  const again = await admin('POST', `/admin/payments/${payment.id}/events/${event.id}/resend`);
  expect(again.body).toMatchObject({ delivered: true, attempt: resent.body.attempt + 1 });
  const last = (await merchant.receiver.waitFor(received.length + 1)).at(-1)!;
  expect(last.headers['webhook-id']).toBe(event.id);
  expect(last.body).toBe(received[0]!.body);
  expect((await admin('POST', `/admin/payments/${payment.id}/events/evt_nosuchevent/resend`)).status).toBe(404);
});

test('re-checking the provider is refused unless the payment awaits the provider, and reaches the workflow when it does', async () => {
  const merchant = await shop();
  const waiting = await newPayment(stack, merchant);
  const refused = await admin('POST', `/admin/payments/${waiting.id}/recheck`);
  expect(refused.status).toBe(409);
  expect(refused.body.error.message).toMatch(/awaiting_method/);

  // The buyer pays but the provider's callback is lost: the payment waits for the next status check, an hour away.
  const payment = await newPayment(stack, merchant);
  const redirectUrl = await chooseMethod(stack, payment.id);
  await sandboxFault(stack, payment.id, { drop: true });
  await buyerActs(redirectUrl, 'approve');
  const seen = await admin('GET', `/admin/payments/${payment.id}`);
  expect(seen.body.state).toMatchObject({ status: 'awaiting_payment', method: 'sandbox_card' });
  expect(seen.body.waiting_for).toMatch(
    /^the provider's callback for sandbox_card payment sp_\w+ \(attempt 1\); meanwhile it asks the provider after 3600 s/,
  );

  const recheck = await admin('POST', `/admin/payments/${payment.id}/recheck`);
  expect(recheck.status).toBe(202);
  expect(recheck.body).toEqual({ payment_id: payment.id, status: 'awaiting_payment', recheck_requested: true });
  const history = await purchaseHandle(stack, payment.id).fetchHistory();
  const signals = history.events!.flatMap((event) => event.workflowExecutionSignaledEventAttributes?.signalName ?? []);
  expect(signals).toContain('recheckProvider');
});

test('a re-check makes a payment whose callback was lost paid at once', async () => {
  const merchant = await shop();
  const payment = await newPayment(stack, merchant);
  const redirectUrl = await chooseMethod(stack, payment.id);
  await sandboxFault(stack, payment.id, { drop: true });
  await buyerActs(redirectUrl, 'approve');
  expect((await paymentOf(stack, merchant.testKey, payment.id)).status).toBe('awaiting_payment');
  expect((await admin('POST', `/admin/payments/${payment.id}/recheck`)).status).toBe(202);
  const paid = await eventually(
    () => paymentOf(stack, merchant.testKey, payment.id),
    (current) => current.status === 'paid',
    15_000,
  );
  expect(paid).toMatchObject({ status: 'paid', method: 'sandbox_card' });
  await merchant.receiver.waitFor(1);
});

// Asynchronously: the worker answering the query runs in this process.
const run = promisify(execFile);

test('the runbook commands find a merchant payment by search attributes and read its status query', async () => {
  const merchant = await shop();
  const payment = await paidPayment(stack, merchant);
  const cli = temporalCli();
  const address = process.env.TEST_TEMPORAL_ADDRESS!;
  const namespace = stack.kassa.config.temporal.namespace;
  const query = `PaymentStatus="paid" AND MerchantId="${merchant.merchantId}"`;
  const listed = await eventually(
    async () =>
      JSON.parse(
        (
          await run(cli, [
            'workflow',
            'list',
            '--address',
            address,
            '--namespace',
            namespace,
            '--query',
            query,
            '--output',
            'json',
          ])
        ).stdout || '[]',
      ),
    (rows: { execution: { workflowId: string } }[]) => rows.length > 0,
  );
  expect(listed.map((row: { execution: { workflowId: string } }) => row.execution.workflowId)).toEqual([
    `payment-${payment.id}`,
  ]);

  const answered = JSON.parse(
    (
      await run(cli, [
        'workflow',
        'query',
        '--address',
        address,
        '--namespace',
        namespace,
        '--workflow-id',
        `payment-${payment.id}`,
        '--type',
        'status',
        '--output',
        'json',
      ])
    ).stdout,
  );
  expect(JSON.stringify(answered)).toContain('"status":"paid"');
});
