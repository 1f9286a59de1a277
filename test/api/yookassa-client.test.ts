import { freePort } from '../support/processes';
import { startReceiver } from '../support/stack';
import { createYooKassaConnector as connectTo } from '../../src/providers/yookassa';
import type { CreateProviderPaymentInput, PaymentConnector } from '../../src/providers/types';
import {
  startYooKassaSimulator,
  type YooKassaSimulator,
  yookassaSecretKey,
  yookassaShopId,
} from '../support/yookassa-simulator';

let sim: YooKassaSimulator;
let connector: PaymentConnector;

beforeAll(async () => {
  sim = await startYooKassaSimulator();
  connector = connectTo(
    { shop_id: yookassaShopId, secret_key: yookassaSecretKey, api_base: sim.apiBase },
    { mode: 'test' },
  );
}, 30_000);
afterAll(() => sim?.stop());

let serial = 0;
const input = (extra: Partial<CreateProviderPaymentInput> = {}): CreateProviderPaymentInput => {
  serial += 1;
  const paymentId = `pay_client${serial}${Date.now()}`;
  return {
    idempotencyKey: `${paymentId}-attempt-1`,
    reference: `${paymentId}-attempt-1`,
    paymentId,
    method: 'yookassa_card',
    amountMinor: '5000',
    currency: 'RUB',
    description: 'Tea',
    returnUrl: 'https://kassa.example/return',
    callbackUrl: 'https://kassa.example/callbacks/yookassa/conn_1',
    ...extra,
  };
};
const ref = (created: CreateProviderPaymentInput, providerPaymentId: string | null = null) => ({
  idempotencyKey: created.idempotencyKey,
  reference: created.reference,
  providerPaymentId,
});
const press = (url: string, action: 'approve' | 'decline') =>
  fetch(`${url}/${action}`, { method: 'POST', redirect: 'manual' }).then((response) => response.status);

test('the same Idempotence-Key makes one payment; the key with another body is refused as definite', async () => {
  const request = input();
  const first = await connector.createPayment(request);
  const again = await connector.createPayment(request);
  expect(again).toEqual(first);
  expect(first.redirect).toEqual({ method: 'GET', url: `${sim.url}/checkout/${first.providerPaymentId}` });
  await expect(connector.createPayment({ ...request, amountMinor: '5100' })).rejects.toMatchObject({
    kind: 'definite',
    code: 'invalid_request',
  });
});

test("YooKassa's errors: a POST without Idempotence-Key, a bad field named as parameter, bad credentials", async () => {
  const missing = await sim.call('POST', '/v3/payments', {}, '');
  expect(missing.status).toBe(400);
  expect(await missing.json()).toEqual({
    type: 'error',
    id: expect.any(String),
    code: 'invalid_request',
    description: expect.any(String),
    parameter: 'Idempotence-Key',
  });
  const bad = await sim.call('POST', '/v3/payments', {
    amount: { value: '10.001', currency: 'RUB' },
    confirmation: { type: 'redirect', return_url: 'https://x.example' },
  });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ code: 'invalid_request', parameter: 'amount.value' });
  const stranger = connectTo(
    { shop_id: yookassaShopId, secret_key: 'test_wrong_key_123456', api_base: sim.apiBase },
    { mode: 'test' },
  );
  await expect(stranger.createPayment(input())).rejects.toMatchObject({
    kind: 'definite',
    code: 'invalid_credentials',
  });
});

test('a lost create is found by its attempt key in the metadata; one YooKassa never saw is null', async () => {
  const request = input();
  const created = await connector.createPayment(request);
  await expect(connector.getPaymentStatus(ref(request))).resolves.toMatchObject({
    providerPaymentId: created.providerPaymentId,
    state: 'pending',
    amountMinor: '5000',
    currency: 'RUB',
  });
  await expect(connector.getPaymentStatus(ref(input()))).resolves.toBeNull();
  await expect(
    connector.getPaymentStatus({ ...ref(request), providerPaymentId: '00000000-000f-5000-8000-000000000000' }),
  ).resolves.toBeNull();
});

test('lists page with a cursor, newest first', async () => {
  for (let n = 0; n < 3; n++) await connector.createPayment(input());
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await (await sim.call('GET', `/v3/payments?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
    expect(page.type).toBe('list');
    expect(page.items.length).toBeLessThanOrEqual(2);
    seen.push(...page.items.map((item: { id: string }) => item.id));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  const all = await (await sim.call('GET', '/v3/payments?limit=100')).json();
  expect(seen).toEqual(all.items.map((item: { id: string }) => item.id));
  expect(new Set(seen).size).toBe(seen.length);
});

test('cancel: a pending payment cannot be canceled (definite); a paid one waiting for capture is canceled, not charged', async () => {
  const request = input();
  const created = await connector.createPayment(request);
  await expect(connector.cancelPayment!(ref(request, created.providerPaymentId))).rejects.toMatchObject({
    kind: 'definite',
    code: 'not_cancelable',
  });
  expect(await press(created.redirect.url, 'approve')).toBe(303);
  expect((await (await sim.call('GET', `/v3/payments/${created.providerPaymentId}`)).json()).status).toBe(
    'waiting_for_capture',
  );
  await expect(connector.cancelPayment!(ref(request, created.providerPaymentId))).resolves.toMatchObject({
    state: 'canceled',
  });
  const after = await (await sim.call('GET', `/v3/payments/${created.providerPaymentId}`)).json();
  expect(after).toMatchObject({
    status: 'canceled',
    paid: false,
    cancellation_details: { party: 'merchant', reason: 'canceled_by_merchant' },
  });
  await expect(connector.getPaymentStatus(ref(request, created.providerPaymentId))).resolves.toMatchObject({
    state: 'canceled',
  });
});

test('a status check captures a paid payment once; refunds: too much is definite, a refused one is failed, a lost one is found by its id', async () => {
  const request = input();
  const created = await connector.createPayment(request);
  await press(created.redirect.url, 'approve');
  const status = await connector.getPaymentStatus(ref(request, created.providerPaymentId));
  expect(status).toMatchObject({ state: 'succeeded', amountMinor: '5000' });
  await expect(connector.getPaymentStatus(ref(request, created.providerPaymentId))).resolves.toEqual(status);

  const refund = (refundId: string, amountMinor: string) =>
    connector.refundPayment!({
      idempotencyKey: refundId,
      refundId,
      providerPaymentId: created.providerPaymentId!,
      amountMinor,
      currency: 'RUB',
    });
  await expect(refund('re_toomuch', '5001')).rejects.toMatchObject({ kind: 'definite', code: 'invalid_request' });
  const done = await refund('re_part1', '1500');
  expect(done).toMatchObject({ state: 'succeeded', amountMinor: '1500', currency: 'RUB' });
  await expect(connector.getRefundStatus!({ refundId: 're_part1', providerRefundId: null })).resolves.toEqual(done);
  await expect(connector.getRefundStatus!({ refundId: 're_never', providerRefundId: null })).resolves.toBeNull();

  await sim.fault({ reference: request.paymentId, refund_fails: true });
  await expect(refund('re_part2', '1000')).resolves.toMatchObject({
    state: 'failed',
    failureReason: 'rejected_by_payee',
  });
  await sim.call('DELETE', '/sim/faults');
});

test('a YooKassa that cannot be reached is transient', async () => {
  const gone = connectTo(
    { shop_id: yookassaShopId, secret_key: yookassaSecretKey, api_base: `http://127.0.0.1:${await freePort()}/v3` },
    { mode: 'test' },
  );
  await expect(gone.createPayment(input())).rejects.toMatchObject({ kind: 'transient', code: 'unreachable' });
});

describe("the simulator's notifications", () => {
  const events = (received: { body: string }[]) =>
    received.map((request) => {
      const body = JSON.parse(request.body);
      return `${body.type} ${body.event} ${body.object.status}`;
    });

  test('go to the shop’s notification URL as {type, event, object}, retried until a 200, with duplicates and a stale one as the faults say', async () => {
    const receiver = await startReceiver([500]);
    try {
      await sim.setNotificationUrl(receiver.url);
      const request = input();
      await sim.fault({ reference: request.paymentId, duplicate: 1, reorder: true, delay_ms: 50 });
      const created = await connector.createPayment(request);
      await press(created.redirect.url, 'approve');
      await receiver.waitFor(3);
      await connector.getPaymentStatus(ref(request, created.providerPaymentId));
      const received = await receiver.waitFor(6);
      expect(events(received)).toEqual([
        // The first answer was a 500: sent again.
        'notification payment.waiting_for_capture waiting_for_capture',
        'notification payment.waiting_for_capture waiting_for_capture',
        'notification payment.waiting_for_capture waiting_for_capture',
        'notification payment.succeeded succeeded',
        'notification payment.succeeded succeeded',
        'notification payment.waiting_for_capture waiting_for_capture',
      ]);
      expect(received[0]!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(received[3]!.body).object).toMatchObject({
        id: created.providerPaymentId,
        paid: true,
        amount: { value: '50.00', currency: 'RUB' },
        metadata: { kassa_payment_id: request.paymentId },
      });
    } finally {
      await sim.call('DELETE', '/sim/faults');
      await sim.setNotificationUrl(null);
      await receiver.close();
    }
  });

  test('are not sent for a payment whose faults drop them; a declined payment is canceled with its reason', async () => {
    const receiver = await startReceiver();
    try {
      await sim.setNotificationUrl(receiver.url);
      const dropped = input();
      await sim.fault({ reference: dropped.paymentId, drop: true });
      await press((await connector.createPayment(dropped)).redirect.url, 'approve');
      const declined = input();
      await press((await connector.createPayment(declined)).redirect.url, 'decline');
      const [only] = await receiver.waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.received).toHaveLength(1);
      expect(JSON.parse(only!.body)).toMatchObject({
        event: 'payment.canceled',
        object: {
          status: 'canceled',
          metadata: { kassa_payment_id: declined.paymentId },
          cancellation_details: { party: 'payment_network', reason: 'general_decline' },
        },
      });
    } finally {
      await sim.call('DELETE', '/sim/faults');
      await sim.setNotificationUrl(null);
      await receiver.close();
    }
  });

  test('the buyer sees the amount and Approve and Decline on the confirmation page, escaped', async () => {
    const created = await connector.createPayment(input({ description: '<b>Tea & cake</b>' }));
    const page = await fetch(created.redirect.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('50.00 RUB');
    expect(html).toContain('&#60;b&#62;Tea &#38; cake&#60;/b&#62;');
    expect(html).toContain(`action="/checkout/${created.providerPaymentId}/approve"`);
    expect(html).toContain(`action="/checkout/${created.providerPaymentId}/decline"`);
  });
});
