import { createHmac, randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type Long from 'long';
import type { Pool } from 'pg';
import { recordHistory } from '../../scripts/record-histories';
import { loadConfig } from '../../src/config';
import { verifyWebhook } from '../../src/domain/signatures';
import { translator } from '../../src/i18n';
import { signSandboxPayload } from '../../src/providers/sandbox';
import { purchaseWorkflowId, statusQuery } from '../../src/workflows/shared';
import { buyerActs, chooseMethod } from '../support/money';
import {
  api,
  createTestPayment,
  eventually,
  paymentOf,
  purchaseHandle,
  type ReceivedRequest,
  sandboxFault,
  sandboxWebhookSecret,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';

jest.setTimeout(60_000);

/** `RECORD_HISTORIES=1` writes the histories of representative runs to test/histories for test/workflows/replay.test.ts. */
const recordHistories = process.env.RECORD_HISTORIES === '1';

let stack: TestStack;
let db: Pool;
// Expiry in seconds rather than minutes, so a payment can be watched expiring.
stackForFile((running) => ({ stack, db } = running), { MIN_EXPIRES_IN_SECONDS: '1' });

const newShop = shopsFor(() => stack);

/** A payment of 50.00 RUB with a digital delivery; `extra` overrides any field. */
const newPayment = (testKey: string, checkoutId: string, extra: Record<string, unknown> = {}) =>
  createTestPayment(stack, testKey, checkoutId, {
    delivery: { type: 'digital', download_url: 'https://shop.example/files/1.zip' },
    ...extra,
  });

const paymentEvents = (key: string, id: string) =>
  api(stack.url, 'GET', `/v1/payments/${id}/events`, { token: key }).then((r) => r.body.data as any[]);
const providerPaymentIdOf = (redirectUrl: string) => new URL(redirectUrl).pathname.split('/').pop()!;
const webhookTypes = (received: ReceivedRequest[]) => received.map((request) => JSON.parse(request.body).type);

async function inbox(paymentId: string) {
  const { rows } = await db.query<{
    provider: string;
    event_id: string;
    state: string;
    body: string;
    flag: string | null;
  }>(
    'select provider, event_id, state, body, flag from provider_callbacks where payment_id = $1 order by received_at',
    [paymentId],
  );
  return rows;
}

/** The payments among `ids` that the ledger holds a capture for, once per capture. */
async function capturedPayments(ids: string[]) {
  const { rows } = await db.query<{ source_id: string }>(
    `select source_id from ledger_transactions where source_type = 'payment' and event = 'captured' and source_id = any($1) order by source_id`,
    [ids],
  );
  return rows.map((row) => row.source_id);
}

const storedPayment = async (id: string) =>
  (
    await db.query<{ status: string; status_seq: string }>('select status, status_seq from payments where id = $1', [
      id,
    ])
  ).rows[0]!;

/**
 * Resets a payment's workflow to the workflow task completed just before the merchant's cancel, as an
 * operator would with `temporal workflow reset --event-id N --reapply-exclude Update`: signals after
 * that point (provider callbacks) are applied again, updates (the cancel) are not.
 */
async function resetToBeforeCancel(paymentId: string, eventId?: Long) {
  const client = stack.kassa.temporal;
  const events = (await purchaseHandle(stack, paymentId).fetchHistory()).events ?? [];
  const cancelAt = events.findIndex(
    (event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'cancel',
  );
  const target =
    eventId ??
    events
      .slice(0, cancelAt)
      .reverse()
      .find((event) => event.workflowTaskCompletedEventAttributes)!.eventId!;
  const { runId } = await client.connection.workflowService.resetWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId: purchaseWorkflowId(paymentId) },
    reason: 'test: the merchant canceled by mistake while the buyer paid',
    workflowTaskFinishEventId: target,
    requestId: randomUUID(),
    resetReapplyExcludeTypes: [temporal.api.enums.v1.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE],
  });
  return { runId: runId!, eventId: target };
}

/** Waits for the workflow to finish (merchant notified), then records its history when asked to. */
async function finished(paymentId: string, historyName?: string) {
  const handle = purchaseHandle(stack, paymentId);
  const result = await handle.result();
  if (recordHistories && historyName) recordHistory(historyName, await handle.fetchHistory());
  return result;
}

/** A provider callback as the sandbox would send it, signed with `secret` at unix second `t`. */
function sandboxCallback(
  data: { spid: string; paymentId: string; status: 'succeeded' | 'declined' | 'pending'; amountMinor?: string },
  options: { secret?: string; t?: number; signed?: boolean } = {},
) {
  const t = options.t ?? Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id: `sevt_${Math.random().toString(36).slice(2)}`,
    type: `payment.${data.status}`,
    created: t,
    data: {
      id: data.spid,
      reference: data.paymentId,
      status: data.status,
      amount_minor: data.amountMinor ?? '5000',
      currency: 'RUB',
      ...(data.status === 'declined' && { decline_reason: 'card_declined' }),
    },
  });
  return postCallback(
    body,
    options.signed === false ? undefined : signSandboxPayload(options.secret ?? sandboxWebhookSecret, body, t),
  );
}

const postCallback = (body: string, signature?: string) =>
  api(stack.url, 'POST', '/callbacks/sandbox', {
    body,
    headers: { 'content-type': 'application/json', ...(signature && { 'sandbox-signature': signature }) },
  });

function expectSignedBy(secret: string, webhook: ReceivedRequest) {
  const valid = verifyWebhook(
    secret,
    {
      id: String(webhook.headers['webhook-id']),
      timestamp: String(webhook.headers['webhook-timestamp']),
      signature: String(webhook.headers['webhook-signature']),
    },
    webhook.body,
  );
  expect(valid).toBe(true);
}

const unescapeHtml = (value: string) =>
  value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
const linkById = (html: string, id: string) => {
  const match = new RegExp(`id="${id}" href="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no link #${id} in ${html}`);
  return unescapeHtml(match[1]!);
};

test('a buyer who pays at the sandbox makes the payment paid and the merchant gets one signed payment.paid webhook', async () => {
  const { receiver, testKey, checkout, merchantId } = await newShop();
  const payment = await newPayment(testKey, checkout.id);
  expect(payment).toMatchObject({
    status: 'awaiting_method',
    amount: '50.00',
    currency: 'RUB',
    test_mode: true,
    method: null,
  });
  expect(payment.checkout_url).toBe(`${stack.url}/pay/${payment.id}`);

  const page = await api(stack.url, 'GET', `/pay/${payment.id}`);
  expect(page.body).toContain('<button type="submit" name="method" value="sandbox_card">');

  const redirectUrl = await chooseMethod(stack, payment.id, 'sandbox_card');
  expect(redirectUrl).toMatch(new RegExp(`^${stack.sandboxUrl}/checkout/sp_`));
  const back = await buyerActs(redirectUrl, 'approve');
  expect(back).toBe(`${stack.url}/pay/${payment.id}/return`);

  const paid = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'paid',
  );
  expect(paid).toMatchObject({ method: 'sandbox_card', fee: '1.50', buyer_total: '50.00', merchant_net: '48.50' });
  const [webhook] = await receiver.waitFor(1);
  const event = JSON.parse(webhook!.body);
  expect(event).toMatchObject({ type: 'payment.paid', data: { id: payment.id, status: 'paid' } });
  expect(webhook!.headers['webhook-id']).toBe(event.id);
  expectSignedBy(checkout.webhook_secret, webhook!);

  const described = await purchaseHandle(stack, payment.id).describe();
  expect(described.type).toBe('purchaseWorkflow');
  expect(described.taskQueue).toBe('payments');
  expect(described.typedSearchAttributes.getAll().find((pair) => pair.key.name === 'MerchantId')?.value).toBe(
    merchantId,
  );
  const state = await purchaseHandle(stack, payment.id).query(statusQuery);
  expect(state.status).toBe('paid');
  await finished(payment.id, 'paid');
  const completed = await purchaseHandle(stack, payment.id).describe();
  expect(completed.typedSearchAttributes.getAll().find((pair) => pair.key.name === 'PaymentStatus')?.value).toBe(
    'paid',
  );
  expect(completed.typedSearchAttributes.getAll().find((pair) => pair.key.name === 'PaymentMethod')?.value).toBe(
    'sandbox_card',
  );
});

test('when the provider declines, the buyer is offered another method, and paying with it makes the payment paid with one payment.paid webhook', async () => {
  const { receiver, testKey, checkout } = await newShop();
  const payment = await newPayment(testKey, checkout.id);

  const cardPage = await chooseMethod(stack, payment.id, 'sandbox_card');
  const back = await buyerActs(cardPage, 'decline');
  const declined = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.failure_reason === 'card_declined',
  );
  expect(declined).toMatchObject({ status: 'awaiting_method', paid_at: null });

  const returnPage = await api(stack.url, 'GET', new URL(back).pathname);
  expect(returnPage.status).toBe(200);
  expect(returnPage.body).toContain('The payment did not go through');
  expect(linkById(returnPage.body, 'try-again')).toBe(`/pay/${payment.id}`);
  expect(linkById(returnPage.body, 'back-to-shop')).toMatch(/^https:\/\/shop\.example\/fail\?/);
  const choice = await api(stack.url, 'GET', `/pay/${payment.id}`);
  expect(choice.status).toBe(200);
  expect(choice.body).toContain('Your last attempt did not go through');
  expect(choice.body).toContain('value="sandbox_wallet"');

  const walletPage = await chooseMethod(stack, payment.id, 'sandbox_wallet');
  expect(providerPaymentIdOf(walletPage)).not.toBe(providerPaymentIdOf(cardPage));
  await buyerActs(walletPage, 'approve');
  const paid = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'paid',
  );
  expect(paid).toMatchObject({ method: 'sandbox_wallet', failure_reason: null });

  await finished(payment.id, 'declined-then-paid');
  expect(webhookTypes(receiver.received)).toEqual(['payment.paid']);
  expect(JSON.parse(receiver.received[0]!.body).data).toMatchObject({
    id: payment.id,
    status: 'paid',
    method: 'sandbox_wallet',
  });
});

test('a payment nobody pays expires at its expires_at and the merchant gets payment.expired', async () => {
  const { receiver, testKey, checkout } = await newShop();
  const tooShort = await api(stack.url, 'POST', '/v1/payments', {
    token: testKey,
    body: {
      checkout_id: checkout.id,
      order_id: 'E-0',
      amount: '50.00',
      currency: 'RUB',
      description: 'x',
      expires_in: 0,
    },
  });
  expect(tooShort.status).toBe(400);
  expect(tooShort.body.error).toMatchObject({ type: 'invalid_request_error', param: 'expires_in' });

  const payment = await newPayment(testKey, checkout.id, { expires_in: 2 });
  expect(Math.abs(Date.parse(payment.expires_at) - Date.parse(payment.created_at) - 2000)).toBeLessThan(500);
  const expired = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'expired',
    15_000,
  );
  expect(expired).toMatchObject({ failure_reason: 'expired', paid_at: null });
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(payment.expires_at));

  const [webhook] = await receiver.waitFor(1);
  expect(JSON.parse(webhook!.body)).toMatchObject({
    type: 'payment.expired',
    data: { id: payment.id, status: 'expired' },
  });
  expectSignedBy(checkout.webhook_secret, webhook!);
  const page = await api(stack.url, 'GET', `/pay/${payment.id}`);
  expect(page.status).toBe(303);
  expect(page.headers.get('location')).toBe(`/pay/${payment.id}/return`);
  const late = await api(stack.url, 'POST', `/pay/${payment.id}/method`, {
    body: { method: 'sandbox_card' },
    headers: { accept: 'application/json' },
  });
  expect(late.status).toBe(409);
  await finished(payment.id, 'expired');
});

test('merchants may not ask for an expiry under 60 seconds unless a non-production operator lowers the floor', () => {
  expect(loadConfig({}).minExpiresInSeconds).toBe(60);
  expect(() => loadConfig({ KASSA_ENV: 'production', MIN_EXPIRES_IN_SECONDS: '1' })).toThrow(/MIN_EXPIRES_IN_SECONDS/);
});

test('a merchant cancels an unpaid payment: canceled, payment.canceled, and neither a second cancel nor a method choice is accepted', async () => {
  const { receiver, testKey, checkout } = await newShop();
  const payment = await newPayment(testKey, checkout.id);
  const cardPage = await chooseMethod(stack, payment.id, 'sandbox_card');

  const canceled = await api(stack.url, 'POST', `/v1/payments/${payment.id}/cancel`, { token: testKey });
  expect(canceled.status).toBe(200);
  expect(canceled.body).toMatchObject({ id: payment.id, status: 'canceled', paid_at: null });
  const [webhook] = await receiver.waitFor(1);
  expect(JSON.parse(webhook!.body)).toMatchObject({
    type: 'payment.canceled',
    data: { id: payment.id, status: 'canceled' },
  });

  const again = await api(stack.url, 'POST', `/v1/payments/${payment.id}/cancel`, { token: testKey });
  expect(again.status).toBe(409);
  expect(again.body.error).toMatchObject({ type: 'conflict_error', code: 'payment_state' });
  const choose = await api(stack.url, 'POST', `/pay/${payment.id}/method`, {
    body: { method: 'sandbox_wallet' },
    headers: { accept: 'application/json' },
  });
  expect(choose.status).toBe(409);
  expect(choose.body.error).toMatchObject({ type: 'conflict_error' });
  await finished(payment.id, 'canceled');

  // The buyer still had the provider's page open and pays there: the money is flagged, the payment stays canceled.
  await buyerActs(cardPage, 'approve');
  const rows = await eventually(
    () => inbox(payment.id),
    (found) => found[0]?.flag != null,
    10_000,
  );
  expect(rows.map((row) => [row.state, row.flag])).toEqual([['succeeded', 'contradicts_canceled']]);
  expect(await paymentOf(stack, testKey, payment.id)).toMatchObject({ status: 'canceled', paid_at: null });
  expect(webhookTypes(receiver.received)).toEqual(['payment.canceled']);
});

test('when the provider sends the same callback three times and out of order, the payment is confirmed once and the merchant gets one payment.paid', async () => {
  const { receiver, testKey, checkout } = await newShop();
  const payment = await newPayment(testKey, checkout.id);
  const redirectUrl = await chooseMethod(stack, payment.id, 'sandbox_card');
  await sandboxFault(stack, payment.id, { duplicate: 2, reorder: true });
  await buyerActs(redirectUrl, 'approve');

  // The sandbox sends the final event three times, then a stale `pending` one: once that is in, all are.
  const rows = await eventually(
    () => inbox(payment.id),
    (found) => found.some((row) => row.state === 'pending'),
    20_000,
  );
  expect(rows.map((row) => row.state)).toEqual(['succeeded', 'pending']);
  expect(new Set(rows.map((row) => row.event_id)).size).toBe(2);
  expect(rows.every((row) => row.flag === null)).toBe(true);

  const paid = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'paid',
  );
  await finished(payment.id, 'duplicate-callbacks');
  expect(await capturedPayments([payment.id])).toEqual([payment.id]); // one confirmation, one capture
  const events = await paymentEvents(testKey, payment.id);
  expect(events.map((event) => event.type)).toEqual(['payment.paid']);
  expect(new Set(receiver.received.map((request) => request.headers['webhook-id']))).toEqual(new Set([events[0].id]));

  // The same callback again, by hand, freshly signed: 200, and nothing changes.
  const succeeded = rows[0]!;
  const resent = await postCallback(
    succeeded.body,
    signSandboxPayload(sandboxWebhookSecret, succeeded.body, Math.floor(Date.now() / 1000)),
  );
  expect(resent.status).toBe(200);
  expect(await inbox(payment.id)).toEqual(rows);
  expect(await paymentOf(stack, testKey, payment.id)).toEqual(paid);
  expect(await paymentEvents(testKey, payment.id)).toHaveLength(1);
});

test('when the provider never calls back, asking it on the poll schedule confirms the payment and the merchant is notified', async () => {
  const { receiver, testKey, checkout } = await newShop();
  const payment = await newPayment(testKey, checkout.id);
  const redirectUrl = await chooseMethod(stack, payment.id, 'sandbox_card');
  await sandboxFault(stack, payment.id, { drop: true });
  await buyerActs(redirectUrl, 'approve');

  const paid = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'paid',
    15_000,
  );
  expect(paid).toMatchObject({ method: 'sandbox_card', failure_reason: null });
  const [webhook] = await receiver.waitFor(1);
  expect(JSON.parse(webhook!.body)).toMatchObject({ type: 'payment.paid', data: { id: payment.id, status: 'paid' } });
  expect(await inbox(payment.id)).toEqual([]);
  await finished(payment.id, 'polled');
});

test('when the provider confirms a different amount, the payment is never paid: it goes under review and the merchant is told', async () => {
  const { receiver, testKey, checkout } = await newShop();
  const payment = await newPayment(testKey, checkout.id);
  const redirectUrl = await chooseMethod(stack, payment.id, 'sandbox_card');
  await sandboxFault(stack, payment.id, { wrong_amount: true });
  await buyerActs(redirectUrl, 'approve');

  const review = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'under_review',
  );
  expect(review).toMatchObject({ failure_reason: 'amount_mismatch', paid_at: null });
  await finished(payment.id, 'under-review');
  expect(webhookTypes(receiver.received)).toEqual(['payment.under_review']);
  expect(JSON.parse(receiver.received[0]!.body).data).toMatchObject({
    id: payment.id,
    status: 'under_review',
    failure_reason: 'amount_mismatch',
  });
  expect(await paymentOf(stack, testKey, payment.id)).toMatchObject({ status: 'under_review', paid_at: null });
  const returnPage = await api(stack.url, 'GET', `/pay/${payment.id}/return`);
  expect(returnPage.body).not.toContain('Payment received');
});

test('when the merchant endpoint answers 500, the webhook is retried with the same id, freshly signed, and both attempts are listed', async () => {
  const { receiver, testKey, checkout } = await newShop([500]);
  const payment = await newPayment(testKey, checkout.id);
  await buyerActs(await chooseMethod(stack, payment.id, 'sandbox_card'), 'approve');

  // While the workflow is still retrying the webhook, a contradicting callback is flagged all the same.
  await receiver.waitFor(1);
  expect((await purchaseHandle(stack, payment.id).describe()).status.name).toBe('RUNNING');
  const spid = (await db.query('select provider_payment_id from payments where id = $1', [payment.id])).rows[0]
    .provider_payment_id;
  expect((await sandboxCallback({ spid, paymentId: payment.id, status: 'declined' })).status).toBe(200);
  await eventually(
    () => inbox(payment.id),
    (rows) => rows.some((row) => row.state === 'declined' && row.flag === 'contradicts_paid'),
    5_000,
  );

  const [first, second] = await receiver.waitFor(2, 20_000);
  expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
  expect(second!.body).toBe(first!.body);
  expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(4_500);
  expect(Number(second!.headers['webhook-timestamp'])).toBeGreaterThan(Number(first!.headers['webhook-timestamp']));
  expect(second!.headers['webhook-signature']).not.toBe(first!.headers['webhook-signature']);
  expectSignedBy(checkout.webhook_secret, first!);
  expectSignedBy(checkout.webhook_secret, second!);

  await finished(payment.id, 'webhook-retried');
  const [event] = await paymentEvents(testKey, payment.id);
  expect(event).toMatchObject({ id: first!.headers['webhook-id'], type: 'payment.paid' });
  expect(event.delivered_at).not.toBeNull();
  expect(event.attempts).toEqual([
    expect.objectContaining({
      attempt: 1,
      status_code: 500,
      url: receiver.url,
      latency_ms: expect.any(Number),
      error: 'HTTP 500',
    }),
    expect.objectContaining({
      attempt: 2,
      status_code: 200,
      url: receiver.url,
      latency_ms: expect.any(Number),
      error: null,
    }),
  ]);
  expect(receiver.received).toHaveLength(2);
});

test('forged, unsigned and stale callbacks are refused with 401 and change nothing', async () => {
  const { receiver, testKey, checkout } = await newShop();
  const payment = await newPayment(testKey, checkout.id);
  const spid = providerPaymentIdOf(await chooseMethod(stack, payment.id, 'sandbox_card'));
  const claim = { spid, paymentId: payment.id, status: 'succeeded' as const };

  const refusals = [
    await sandboxCallback(claim, { secret: 'not_the_sandbox_webhook_secret' }),
    await sandboxCallback(claim, { signed: false }),
    await sandboxCallback(claim, { t: Math.floor(Date.now() / 1000) - 301 }),
  ];
  for (const refusal of refusals) {
    expect(refusal.status).toBe(401);
    expect(refusal.body).toEqual({
      error: { type: 'authentication_error', code: 'signature_invalid', message: expect.any(String) },
    });
  }
  // A genuine signature over one body does not carry another: the amount changed after signing.
  const t = Math.floor(Date.now() / 1000);
  const genuine = JSON.stringify({
    id: 'sevt_genuine',
    type: 'payment.succeeded',
    created: t,
    data: { id: spid, reference: payment.id, status: 'succeeded', amount_minor: '5000', currency: 'RUB' },
  });
  const tampered = await postCallback(
    genuine.replace('"5000"', '"1"'),
    signSandboxPayload(sandboxWebhookSecret, genuine, t),
  );
  expect(tampered.status).toBe(401);

  expect(await inbox(payment.id)).toEqual([]);
  const state = await purchaseHandle(stack, payment.id).query(statusQuery);
  expect(state.status).toBe('awaiting_payment');
  expect(await paymentOf(stack, testKey, payment.id)).toMatchObject({ status: 'awaiting_payment', paid_at: null });
  expect(webhookTypes(receiver.received)).toEqual([]);

  expect((await api(stack.url, 'POST', `/v1/payments/${payment.id}/cancel`, { token: testKey })).status).toBe(200);
  await finished(payment.id);
});

test('a valid callback for a finished payment is stored, answered 200, and flagged when it contradicts the outcome', async () => {
  const { receiver, testKey, checkout } = await newShop();
  const payment = await newPayment(testKey, checkout.id);
  const redirectUrl = await chooseMethod(stack, payment.id, 'sandbox_card');
  await buyerActs(redirectUrl, 'approve');
  await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'paid',
  );
  await finished(payment.id);
  const paid = await paymentOf(stack, testKey, payment.id);

  const late = await sandboxCallback({
    spid: providerPaymentIdOf(redirectUrl),
    paymentId: payment.id,
    status: 'declined',
  });
  expect(late.status).toBe(200);
  expect(late.body).toEqual({ received: true });
  const stale = await sandboxCallback({
    spid: providerPaymentIdOf(redirectUrl),
    paymentId: payment.id,
    status: 'pending',
  });
  expect(stale.status).toBe(200);
  const rows = await inbox(payment.id);
  expect(rows.map((row) => [row.state, row.flag])).toEqual([
    ['succeeded', null],
    ['declined', 'contradicts_paid'],
    ['pending', null],
  ]);
  expect(await paymentOf(stack, testKey, payment.id)).toEqual(paid);
  expect(await paymentEvents(testKey, payment.id)).toHaveLength(1);
  expect(webhookTypes(receiver.received)).toEqual(['payment.paid']);
});

test('a method chosen at creation skips the hosted page: the checkout link leads straight to the provider', async () => {
  const { testKey, checkout } = await newShop();
  const payment = await newPayment(testKey, checkout.id, { method: 'sandbox_card' });
  expect(payment.method).toBe('sandbox_card');

  const page = await api(stack.url, 'GET', `/pay/${payment.id}`);
  expect(page.status).toBe(303);
  const location = page.headers.get('location')!;
  expect(location).toMatch(new RegExp(`^${stack.sandboxUrl}/checkout/sp_`));
  const again = await api(stack.url, 'GET', `/pay/${payment.id}`);
  expect(again.headers.get('location')).toBe(location);
  expect(await chooseMethod(stack, payment.id, 'sandbox_card')).toBe(location);
  const other = await api(stack.url, 'POST', `/pay/${payment.id}/method`, {
    body: { method: 'sandbox_wallet' },
    headers: { accept: 'application/json' },
  });
  expect(other.status).toBe(409);

  await buyerActs(location, 'approve');
  await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'paid',
  );
  await finished(payment.id, 'method-at-creation');
  expect((await purchaseHandle(stack, payment.id).query(statusQuery)).attempt).toBe(1);
});

test('the return page of a paid digital order gives a download link that a tampered token does not open, and a signed link back to the shop', async () => {
  const { testKey, checkout } = await newShop();
  const payment = await newPayment(testKey, checkout.id);
  const back = await buyerActs(await chooseMethod(stack, payment.id, 'sandbox_card'), 'approve');
  await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'paid',
  );

  const page = await api(stack.url, 'GET', new URL(back).pathname);
  expect(page.body).toContain('Thank you! Payment received');
  const download = new URL(linkById(page.body, 'download'));
  expect(download.origin + download.pathname).toBe(`${stack.url}/pay/${payment.id}/download`);
  const file = await api(stack.url, 'GET', download.pathname + download.search);
  expect(file.status).toBe(302);
  expect(file.headers.get('location')).toBe('https://shop.example/files/1.zip');
  const token = download.searchParams.get('token')!;
  download.searchParams.set('token', `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`);
  const tampered = await api(stack.url, 'GET', download.pathname + download.search);
  expect(tampered.status).toBe(403);
  expect(tampered.headers.get('location')).toBeNull();

  const shop = new URL(linkById(page.body, 'back-to-shop'));
  expect(shop.origin + shop.pathname).toBe('https://shop.example/ok');
  expect(Object.fromEntries(shop.searchParams)).toEqual({
    payment_id: payment.id,
    order_id: payment.order_id,
    status: 'paid',
    signature: createHmac('sha256', Buffer.from(checkout.webhook_secret.slice('whsec_'.length), 'base64'))
      .update(`${payment.id}.${payment.order_id}.paid`)
      .digest('hex'),
  });
  await finished(payment.id);
});

test('the return page of a paid physical order shows the delivery method and the expected date', async () => {
  const { testKey, checkout } = await newShop();
  const payment = await newPayment(testKey, checkout.id, {
    delivery: { type: 'physical', method: 'courier', eta_days: 3 },
  });
  const back = await buyerActs(await chooseMethod(stack, payment.id, 'sandbox_wallet'), 'approve');
  const paid = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'paid',
  );

  const page = await api(stack.url, 'GET', new URL(back).pathname);
  const expected = translator('en').date(new Date(Date.parse(paid.paid_at) + 3 * 86_400_000));
  expect(page.body).toContain(`Delivery by courier, expected by ${expected}`);
  expect(page.body).not.toContain('id="download"');
  expect(new URL(linkById(page.body, 'back-to-shop')).searchParams.get('status')).toBe('paid');
  await finished(payment.id);
});

test('a validly signed success for one payment carrying the provider payment id of another is refused and flagged: one capture, nothing paid twice', async () => {
  const { receiver, testKey, checkout } = await newShop();
  const first = await newPayment(testKey, checkout.id);
  const second = await newPayment(testKey, checkout.id);
  const firstPage = await chooseMethod(stack, first.id, 'sandbox_card');
  await chooseMethod(stack, second.id, 'sandbox_card');
  await buyerActs(firstPage, 'approve');
  await eventually(
    () => paymentOf(stack, testKey, first.id),
    (p) => p.status === 'paid',
  );

  // Signed with the provider's secret, as a leaked key or a provider bug would: the second payment, the first one's capture.
  const forged = await sandboxCallback({
    spid: providerPaymentIdOf(firstPage),
    paymentId: second.id,
    status: 'succeeded',
  });
  expect(forged.status).toBe(200);
  // Flagged before it was answered, and never handed to the second payment's workflow.
  expect((await inbox(second.id)).map((row) => [row.state, row.flag])).toEqual([
    ['succeeded', 'foreign_provider_payment'],
  ]);
  const signals = ((await purchaseHandle(stack, second.id).fetchHistory()).events ?? []).flatMap(
    (event) => event.workflowExecutionSignaledEventAttributes?.signalName ?? [],
  );
  expect(signals).toEqual([]);
  expect(await paymentOf(stack, testKey, second.id)).toMatchObject({ status: 'awaiting_payment', paid_at: null });
  expect((await purchaseHandle(stack, second.id).query(statusQuery)).status).toBe('awaiting_payment');
  expect(await capturedPayments([first.id, second.id])).toEqual([first.id]);

  expect((await api(stack.url, 'POST', `/v1/payments/${second.id}/cancel`, { token: testKey })).status).toBe(200);
  await Promise.all([finished(first.id), finished(second.id)]);
  expect(webhookTypes(receiver.received).sort()).toEqual(['payment.canceled', 'payment.paid']);
});

test('an operator reset repairs a payment: the status writes of the reset run land, the ledger captures once and the merchant gets one payment.paid', async () => {
  // The first webhook attempt fails, so the workflow is still running when the buyer's money arrives.
  const { receiver, testKey, checkout } = await newShop([500]);
  const payment = await newPayment(testKey, checkout.id);
  const cardPage = await chooseMethod(stack, payment.id, 'sandbox_card');
  expect((await api(stack.url, 'POST', `/v1/payments/${payment.id}/cancel`, { token: testKey })).status).toBe(200);
  await receiver.waitFor(1);
  await buyerActs(cardPage, 'approve');
  await eventually(
    () => inbox(payment.id),
    (rows) => rows[0]?.flag === 'contradicts_canceled',
    10_000,
  );
  await finished(payment.id);
  const canceled = await storedPayment(payment.id);
  expect(canceled.status).toBe('canceled');

  // The cancel was a mistake: back to just before it, the provider's callback applied again.
  const reset = await resetToBeforeCancel(payment.id);
  const paid = await eventually(
    () => paymentOf(stack, testKey, payment.id),
    (p) => p.status === 'paid',
    20_000,
  );
  expect(paid).toMatchObject({ method: 'sandbox_card', paid_at: expect.any(String) });
  expect(BigInt((await storedPayment(payment.id)).status_seq)).toBeGreaterThan(BigInt(canceled.status_seq));
  await finished(payment.id);
  expect(await capturedPayments([payment.id])).toEqual([payment.id]);
  const paidHooks = () => receiver.received.filter((request) => JSON.parse(request.body).type === 'payment.paid');
  expect(paidHooks()).toHaveLength(1);

  // The same reset once more (as an operator repeating it would): same outcome, same event, nothing doubled.
  const before = await storedPayment(payment.id);
  const again = await resetToBeforeCancel(payment.id, reset.eventId);
  expect(again.runId).not.toBe(reset.runId);
  await finished(payment.id);
  // A paid payment is settled: the second run's writes do not move it.
  expect(await storedPayment(payment.id)).toMatchObject({ status: 'paid', status_seq: before.status_seq });
  expect(await capturedPayments([payment.id])).toEqual([payment.id]);
  expect(paidHooks()).toHaveLength(1);
  const events = await paymentEvents(testKey, payment.id);
  expect(events.map((event) => event.type).sort()).toEqual(['payment.canceled', 'payment.paid']);
  expect(new Set(receiver.received.map((request) => request.headers['webhook-id'])).size).toBe(2);
});
