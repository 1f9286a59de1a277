import { Pool } from 'pg';
import { randomToken } from '../../src/domain/ids';
import { buyerActs, chooseMethod } from '../support/money';
import { interkassaSign, type ShopKeys, type SciShop, startSciShop } from '../support/sci-shop';
import {
  api,
  createTestPayment,
  eventually,
  onboardMerchant,
  paymentOf,
  startReceiver,
  startTestStack,
  type Receiver,
  type TestStack,
} from '../support/stack';

// The interaction, Interkassa's notification, against a shop written the Interkassa way: its handler
// signs every field it is given with its own code and answers 200 only when they verify. Retries are
// shortened to 1 s, then 2 s (NOTIFICATION_RETRY_SECONDS).
jest.setTimeout(60_000);

let stack: TestStack;
let db: Pool;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  stack = await startTestStack({ NOTIFICATION_RETRY_SECONDS: '1,2' });
  db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
}, 90_000);
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(async () => {
  await db?.end();
  await stack?.close();
});

interface SciCheckout {
  testKey: string;
  checkoutId: string;
  checkoutRef: string;
  keys: ShopKeys;
  shop: SciShop;
  webhooks: Receiver;
}

/** A test-mode checkout with SCI on, its interaction URL the shop's handler; the shop answers `statuses` first. */
async function sciCheckout(
  options: { algorithm?: 'md5' | 'sha256'; method?: 'GET' | 'POST'; statuses?: number[] } = {},
): Promise<SciCheckout> {
  const algorithm = options.algorithm ?? 'md5';
  let keys: ShopKeys = { secretKey: '', testKey: '', algorithm };
  const shop = await startSciShop({ keys: () => keys, interactionStatuses: options.statuses });
  const webhooks = await startReceiver();
  closers.push(shop.close, webhooks.close);
  const merchant = await onboardMerchant(stack, webhooks.url, {
    sci: {
      sign_algorithm: algorithm,
      interaction_url: shop.interactionUrl,
      interaction_method: options.method ?? 'POST',
    },
  });
  const sci = merchant.checkout.sci as { checkout_ref: string; secret_key: string; test_key: string };
  keys = { secretKey: sci.secret_key, testKey: sci.test_key, algorithm };
  const checkoutId = merchant.checkout.id as string;
  const checkoutRef = sci.checkout_ref;
  return { testKey: merchant.testKey, checkoutId, checkoutRef, keys, shop, webhooks };
}

/** A payment made by the shop's SCI form (posted to /sci/, answered in JSON): `ik_am` as written, its `ik_x_*` fields. */
async function sciPayment(checkout: SciCheckout, form: { amount: string; extra?: Record<string, string> }) {
  const fields: Record<string, string> = {
    ik_co_id: checkout.checkoutRef,
    ik_pm_no: `ORD-${randomToken(8)}`,
    ik_am: form.amount,
    ik_cur: 'RUB',
    ik_desc: 'Книга «Мастер и Маргарита»',
    ik_int: 'json',
    ...form.extra,
  };
  fields.ik_sign = interkassaSign(fields, checkout.keys.secretKey, checkout.keys.algorithm);
  const response = await fetch(`${stack.url}/sci/`, { method: 'POST', body: new URLSearchParams(fields) });
  const answer = (await response.json()) as { resultCode: string; resultData: { payment: { id: string } } };
  if (answer.resultCode !== '0') throw new Error(`sci: ${JSON.stringify(answer)}`);
  return { id: answer.resultData.payment.id, order_id: fields.ik_pm_no };
}

const deliveries = (checkout: SciCheckout, paymentId: string) =>
  api(stack.url, 'GET', `/v1/payments/${paymentId}/deliveries`, { token: checkout.testKey }).then((response) => {
    expect(response.status).toBe(200);
    return response.body.data as any[];
  });

const interkassaDate = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

test('an interaction is retried until the shop answers 200 (a 500 or even a 204 is not delivered), every field verifying with the test key, each attempt in the delivery log', async () => {
  const checkout = await sciCheckout({ statuses: [500, 204] });
  const payment = await sciPayment(checkout, { amount: '50', extra: { ik_x_user: '42', ik_x_note: 'подарок' } });
  await buyerActs(await chooseMethod(stack, payment.id), 'approve');

  const interactions = await checkout.shop.waitForInteractions(3);
  expect(interactions.map((interaction) => interaction.status)).toEqual([500, 204, 200]);
  for (const interaction of interactions) {
    expect(interaction.method).toBe('POST');
    expect(interaction.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(interaction.verified).toBe(true);
    expect(interaction.keyUsed).toBe('test');
    expect(Object.keys(interaction.fields).every((name) => name.startsWith('ik_'))).toBe(true);
    expect(interaction.fields).toEqual(interactions[0]!.fields);
  }
  // signed with the test key, not the secret key
  const fields = interactions[2]!.fields;
  expect(interkassaSign(fields, checkout.keys.secretKey, 'md5')).not.toBe(fields.ik_sign);

  const paid = await paymentOf(stack, checkout.testKey, payment.id);
  expect(Object.keys(fields).sort()).toEqual(
    [
      'ik_co_id',
      'ik_inv_id',
      'ik_inv_st',
      'ik_inv_crt',
      'ik_inv_prc',
      'ik_trn_id',
      'ik_pm_no',
      'ik_pw_via',
      'ik_am',
      'ik_cur',
      'ik_desc',
      'ik_co_rfn',
      'ik_ps_price',
      'ik_x_user',
      'ik_x_note',
      'ik_sign',
    ].sort(),
  );
  expect(fields).toMatchObject({
    ik_co_id: checkout.checkoutRef,
    ik_inv_id: payment.id,
    ik_inv_st: 'success',
    ik_pm_no: payment.order_id,
    ik_pw_via: 'test_interkassa_test_xts',
    ik_am: '50',
    ik_cur: 'RUB',
    ik_desc: 'Книга «Мастер и Маргарита»',
    ik_co_rfn: paid.merchant_net,
    ik_ps_price: paid.buyer_total,
    ik_x_user: '42',
    ik_x_note: 'подарок',
  });
  expect(fields.ik_trn_id).not.toBe('');
  expect(fields.ik_inv_crt).toMatch(interkassaDate);
  expect(fields.ik_inv_prc).toMatch(interkassaDate);
  expect(fields.ik_inv_prc).toBe(paid.paid_at.slice(0, 19).replace('T', ' '));
  // retried after about 1 s, then 2 s
  expect(interactions[1]!.receivedAt - interactions[0]!.receivedAt).toBeGreaterThanOrEqual(800);
  expect(interactions[2]!.receivedAt - interactions[1]!.receivedAt).toBeGreaterThanOrEqual(1500);

  const log = await eventually(
    () => deliveries(checkout, payment.id),
    (attempts) => attempts.filter((attempt) => attempt.channel === 'interaction').length === 3,
  );
  const attempts = log.filter((attempt) => attempt.channel === 'interaction');
  expect(attempts.map((attempt) => [attempt.attempt, attempt.delivered, attempt.response ?? attempt.error])).toEqual([
    [1, false, expect.stringContaining('HTTP 500')],
    [2, false, 'the shop answered HTTP 204; only HTTP 200 is delivered'],
    [3, true, 'HTTP 200: OK'],
  ]);
  expect(attempts[0]).toMatchObject({ event_type: 'payment.paid', target: `POST ${checkout.shop.interactionUrl}` });
  expect(JSON.stringify(log)).not.toContain(checkout.keys.testKey);
  // the JSON webhook still goes to notify_url
  await checkout.webhooks.waitFor(1);
  expect(JSON.parse(checkout.webhooks.received[0]!.body)).toMatchObject({ type: 'payment.paid' });
  expect(checkout.shop.interactions).toHaveLength(3);
});

test('with sha256 and GET, a canceled payment is told as canceled in the query, and the merchant can send it again', async () => {
  const checkout = await sciCheckout({ algorithm: 'sha256', method: 'GET' });
  const payment = await sciPayment(checkout, { amount: '50.5' });
  const canceled = await api(stack.url, 'POST', `/v1/payments/${payment.id}/cancel`, { token: checkout.testKey });
  expect(canceled.status).toBe(200);

  const [interaction] = await checkout.shop.waitForInteractions(1);
  expect(interaction).toMatchObject({ method: 'GET', verified: true, keyUsed: 'test', status: 200 });
  expect(interaction!.fields).toMatchObject({
    ik_inv_st: 'canceled',
    ik_am: '50.5',
    ik_pw_via: 'test_interkassa_test_xts',
  });
  expect(interaction!.fields.ik_sign).toBe(interkassaSign(interaction!.fields, checkout.keys.testKey, 'sha256'));
  expect(interaction!.fields.ik_sign).not.toBe(interkassaSign(interaction!.fields, checkout.keys.testKey, 'md5'));

  const events = await api(stack.url, 'GET', `/v1/payments/${payment.id}/events`, { token: checkout.testKey });
  const event = (events.body.data as { id: string; type: string }[]).find((item) => item.type === 'payment.canceled')!;
  const resent = await api(stack.url, 'POST', `/v1/payments/${payment.id}/events/${event.id}/resend`, {
    token: checkout.testKey,
    body: { channel: 'interaction' },
  });
  expect(resent.status).toBe(200);
  expect(resent.body).toMatchObject({ channel: 'interaction', delivered: true, attempt: 2, response: 'HTTP 200: OK' });
  expect(checkout.shop.interactions).toHaveLength(2);
  expect(checkout.shop.interactions[1]!.fields).toEqual(interaction!.fields);
  const log = await deliveries(checkout, payment.id);
  expect(
    log.filter((attempt) => attempt.channel === 'interaction').map((attempt) => [attempt.resend, attempt.delivered]),
  ).toEqual([
    [false, true],
    [true, true],
  ]);
});

test('a payment made through the API sends no interaction, though its checkout has an interaction URL', async () => {
  const checkout = await sciCheckout();
  const payment = await createTestPayment(stack, checkout.testKey, checkout.checkoutId);
  await buyerActs(await chooseMethod(stack, payment.id), 'approve');
  await checkout.webhooks.waitFor(1);
  await eventually(
    () => paymentOf(stack, checkout.testKey, payment.id),
    (body) => body.status === 'paid',
  );
  // the webhook went; give a wrongly planned interaction the time to arrive
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(checkout.shop.interactions).toHaveLength(0);
  expect((await deliveries(checkout, payment.id)).filter((attempt) => attempt.channel === 'interaction')).toEqual([]);
  const events = await api(stack.url, 'GET', `/v1/payments/${payment.id}/events`, { token: checkout.testKey });
  const event = (events.body.data as { id: string; type: string }[]).find((item) => item.type === 'payment.paid')!;
  const refused = await api(stack.url, 'POST', `/v1/payments/${payment.id}/events/${event.id}/resend`, {
    token: checkout.testKey,
    body: { channel: 'interaction' },
  });
  expect(refused.status).toBe(400);
  expect(refused.body.error).toMatchObject({ param: 'channel', message: expect.stringContaining('SCI form') });
  expect(checkout.shop.interactions).toHaveLength(0);
});

test('a live payment’s interaction is signed with the secret key, and names the method it was paid with', async () => {
  const checkout = await sciCheckout();
  const payment = await sciPayment(checkout, { amount: '50.00' });
  // A live checkout needs a verified site and a live provider: the payment is made live behind the API's back.
  await db.query('update payments set test_mode = false where id = $1', [payment.id]);
  await buyerActs(await chooseMethod(stack, payment.id), 'approve');

  const [interaction] = await checkout.shop.waitForInteractions(1);
  expect(interaction).toMatchObject({ verified: true, keyUsed: 'secret', status: 200 });
  expect(interaction!.fields).toMatchObject({ ik_inv_st: 'success', ik_pw_via: 'sandbox_card' });
  expect(interaction!.fields.ik_sign).toBe(interkassaSign(interaction!.fields, checkout.keys.secretKey, 'md5'));
});
