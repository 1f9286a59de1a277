import { sciSign } from '../../src/domain/sci-signature';
import { statusQuery } from '../../src/workflows/shared';
import {
  interkassaCheckout,
  type InterkassaSimulator,
  startInterkassaSimulator,
} from '../support/interkassa-simulator';
import type { Pool } from 'pg';
import { markVerified } from '../support/merchant-api';
import { buyerActs, chooseMethod } from '../support/money';
import {
  api,
  createTestPayment,
  eventually,
  paymentOf,
  purchaseHandle,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';

let stack: TestStack;
let db: Pool;
let sim: InterkassaSimulator;
let connectorId: string;

beforeAll(async () => {
  sim = await startInterkassaSimulator();
}, 30_000);
afterAll(() => sim?.stop());
stackForFile((running) => ({ stack, db } = running));
const newShop = shopsFor(() => stack, 'all');

beforeAll(async () => {
  const created = await api(stack.url, 'POST', '/admin/connectors', {
    token: stack.adminToken,
    body: {
      provider: 'interkassa',
      mode: 'test',
      credentials: sim.credentials,
      methods: ['interkassa_checkout'],
      priority: 0,
    },
  });
  expect(created).toMatchObject({ status: 201, body: { provider: 'interkassa', mode: 'test', status: 'active' } });
  for (const secret of [interkassaCheckout.secretKey, interkassaCheckout.testKey, interkassaCheckout.apiKey])
    expect(JSON.stringify(created.body)).not.toContain(secret);
  connectorId = created.body.id;
}, 30_000);

/** The signed SCI form Kassa hands the buyer's browser for this payment's Interkassa attempt. */
async function sciForm(paymentId: string): Promise<Record<string, string>> {
  expect(await chooseMethod(stack, paymentId, 'interkassa_checkout')).toBe(sim.credentials.sci_url);
  const state = await purchaseHandle(stack, paymentId).query(statusQuery);
  expect(state.redirect).toMatchObject({ method: 'POST', url: sim.credentials.sci_url });
  return (state.redirect as { fields: Record<string, string> }).fields;
}

/** The browser submits the form to Interkassa's SCI; answers the status and where it is sent. */
async function submit(fields: Record<string, string>) {
  const response = await fetch(sim.credentials.sci_url!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { status: response.status, location: response.headers.get('location') };
}

/** The invoices Interkassa's API lists for an order number. */
async function invoicesOf(paymentNo: string): Promise<any[]> {
  const listed = await sim.api('GET', `/co-invoice?${new URLSearchParams({ paymentNo })}`);
  expect(listed).toMatchObject({ status: 200, body: { status: 'ok', code: 0 } });
  return Object.values(listed.body.data);
}

/** An interaction for `invoiceId` as Interkassa signs it for the test payway (override any field). */
function interaction(
  invoiceId: string,
  paymentId: string,
  fields: Record<string, string>,
  key = interkassaCheckout.testKey,
) {
  const signed: Record<string, string> = {
    ik_co_id: interkassaCheckout.checkoutId,
    ik_inv_id: invoiceId,
    ik_inv_st: 'success',
    ik_inv_crt: '2026-11-30 10:00:00',
    ik_inv_prc: '2026-11-30 10:00:05',
    ik_pm_no: fields.ik_pm_no!,
    ik_pw_via: 'test_interkassa_test_xts',
    ik_am: '50.00',
    ik_cur: 'RUB',
    ik_desc: 'Test product',
    ik_x_kassa_payment: paymentId,
    ...fields,
  };
  return new URLSearchParams({ ...signed, ik_sign: sciSign(signed, key, 'md5') }).toString();
}

const deliver = async (body: string) => {
  const response = await fetch(`${stack.url}/callbacks/interkassa/${connectorId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
};

test('a test payment is paid at Interkassa’s test payway: one invoice per attempt however often the form is sent, the interaction repeated or forged changes nothing and gets Interkassa’s answer', async () => {
  const shop = await newShop();
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const fields = await sciForm(payment.id);
  expect(fields).toMatchObject({ ik_pm_no: `${payment.id}-attempt-1`, ik_am: '50.00', ik_cur: 'RUB' });

  const first = await submit(fields);
  expect(first.status).toBe(303);
  expect(await submit(fields)).toEqual(first);
  const page = new URL(first.location!, sim.url).href;
  expect(await buyerActs(page, 'approve')).toMatch(new RegExp(`^${stack.url}/pay/${payment.id}/return\\?`));
  const paid = await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'paid',
  );
  expect(paid).toMatchObject({ amount: '50.00', currency: 'RUB', method: 'interkassa_checkout' });

  // The order number is paid: the same form is refused, and Interkassa holds exactly one invoice for it.
  expect((await submit(fields)).status).toBe(400);
  const invoices = await invoicesOf(fields.ik_pm_no!);
  expect(invoices).toEqual([expect.objectContaining({ state: '7', am: '50.00', cur: 'RUB', coId: fields.ik_co_id })]);

  // Interkassa sends an interaction again until it gets 200: the same one changes nothing.
  const again = await deliver(interaction(invoices[0].id, payment.id, { ik_pm_no: fields.ik_pm_no! }));
  expect(again).toEqual({ status: 200, contentType: 'text/plain; charset=utf-8', body: 'OK' });
  const forged = await deliver(
    interaction(invoices[0].id, payment.id, { ik_pm_no: fields.ik_pm_no!, ik_inv_st: 'canceled' }, 'guessed-key'),
  );
  expect(forged).toEqual({ status: 400, contentType: 'text/plain; charset=utf-8', body: 'ik_sign invalid' });
  expect(await paymentOf(stack, shop.testKey, payment.id)).toEqual(paid);

  // A partial refund goes to Interkassa's API against the invoice.
  const refund = await api(stack.url, 'POST', `/v1/payments/${payment.id}/refunds`, {
    token: shop.testKey,
    body: { amount: '20.00' },
  });
  expect(refund.status).toBe(201);
  const settled = await eventually(
    () => api(stack.url, 'GET', `/v1/refunds/${refund.body.id}`, { token: shop.testKey }).then((r) => r.body),
    (body) => body.status !== 'pending',
  );
  expect(settled).toMatchObject({ status: 'succeeded', amount: '20.00' });
  expect((await invoicesOf(fields.ik_pm_no!))[0]).toMatchObject({ state: '7', refunded: '20.00' });

  // A refund Interkassa's payment system declines is failed, and nothing more is refunded.
  await sim.fault(fields.ik_pm_no, { refund_fails: true });
  const declined = await api(stack.url, 'POST', `/v1/payments/${payment.id}/refunds`, {
    token: shop.testKey,
    body: { amount: '5.00' },
  });
  expect(declined.status).toBe(201);
  expect(
    await eventually(
      () => api(stack.url, 'GET', `/v1/refunds/${declined.body.id}`, { token: shop.testKey }).then((r) => r.body),
      (body) => body.status !== 'pending',
    ),
  ).toMatchObject({ status: 'failed' });
  expect((await invoicesOf(fields.ik_pm_no!))[0]).toMatchObject({ refunded: '20.00' });
});

test('declined at Interkassa, the buyer chooses again and pays with another method at another connector', async () => {
  const shop = await newShop();
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const { location } = await submit(await sciForm(payment.id));
  await buyerActs(new URL(location!, sim.url).href, 'decline');
  await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'awaiting_method',
  );
  await buyerActs(await chooseMethod(stack, payment.id, 'sandbox_card'), 'approve');
  const paid = await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'paid',
  );
  expect(paid.method).toBe('sandbox_card');
});

test('when the interaction is lost, Kassa asks Interkassa’s API and finds the invoice paid', async () => {
  const shop = await newShop();
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const fields = await sciForm(payment.id);
  await sim.fault(fields.ik_pm_no, { drop: true });
  const { location } = await submit(fields);
  await buyerActs(new URL(location!, sim.url).href, 'approve');
  const paid = await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'paid',
    30_000,
  );
  expect(paid).toMatchObject({ amount: '50.00', currency: 'RUB' });
});

test('interactions sent twice more and a stale process after them: the payment is paid once', async () => {
  const shop = await newShop();
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const fields = await sciForm(payment.id);
  await sim.fault(fields.ik_pm_no, { duplicate: 2, reorder: true });
  await buyerActs(new URL((await submit(fields)).location!, sim.url).href, 'approve');
  await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'paid',
  );
  await shop.receiver.waitFor(1);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect((await paymentOf(stack, shop.testKey, payment.id)).status).toBe('paid');
  const events = await api(stack.url, 'GET', `/v1/payments/${payment.id}/events`, { token: shop.testKey });
  expect(events.body.data.filter((event: { type: string }) => event.type === 'payment.paid')).toHaveLength(1);
});

test('an amount or a currency other than asked is held for review, not paid', async () => {
  const shop = await newShop();
  const more = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const moreFields = await sciForm(more.id);
  await sim.fault(moreFields.ik_pm_no, { wrong_amount: true });
  await buyerActs(new URL((await submit(moreFields)).location!, sim.url).href, 'approve');
  expect(
    await eventually(
      () => paymentOf(stack, shop.testKey, more.id),
      (p) => p.status === 'under_review',
    ),
  ).toMatchObject({ failure_reason: 'amount_mismatch' });

  const other = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const otherFields = await sciForm(other.id);
  await submit(otherFields);
  const [invoice] = await invoicesOf(otherFields.ik_pm_no!);
  const inDollars = interaction(invoice.id, other.id, { ik_pm_no: otherFields.ik_pm_no!, ik_cur: 'USD' });
  expect((await deliver(inDollars)).status).toBe(200);
  expect(
    await eventually(
      () => paymentOf(stack, shop.testKey, other.id),
      (p) => p.status === 'under_review',
    ),
  ).toMatchObject({ failure_reason: 'currency_mismatch' });
});

test('a live connector sends no test payway, is paid by an interaction signed with the secret key, and never counts a test-payway interaction as paid', async () => {
  const live = await api(stack.url, 'POST', '/admin/connectors', {
    token: stack.adminToken,
    body: { provider: 'interkassa', mode: 'live', credentials: sim.credentials, methods: ['interkassa_checkout'] },
  });
  expect(live).toMatchObject({ status: 201, body: { mode: 'live' } });
  const shop = await newShop();
  const checkout = await api(stack.url, 'POST', '/v1/checkouts', {
    token: shop.liveKey,
    body: {
      name: 'Live shop',
      site_url: 'https://shop.example',
      currencies: ['RUB'],
      notify_url: shop.receiver.url,
      success_url: 'https://shop.example/ok',
      fail_url: 'https://shop.example/fail',
      pending_url: 'https://shop.example/wait',
    },
  });
  expect(checkout.status).toBe(201);
  await markVerified(db, checkout.body.id);
  const payment = await createTestPayment(stack, shop.liveKey, checkout.body.id);
  expect(payment.test_mode).toBe(false);
  const fields = await sciForm(payment.id);
  expect(fields.ik_pw_via).toBeUndefined();
  const { location } = await submit(fields);
  const [invoice] = await invoicesOf(fields.ik_pm_no!);

  // Signed with the test key for the test payway: valid, but not money at a live checkout.
  const testPaid = interaction(invoice.id, payment.id, { ik_pm_no: fields.ik_pm_no! });
  const answered = await fetch(`${stack.url}/callbacks/interkassa/${live.body.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: testPaid,
  });
  expect(answered.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await paymentOf(stack, shop.liveKey, payment.id)).status).toBe('awaiting_payment');

  await buyerActs(new URL(location!, sim.url).href, 'approve');
  const paid = await eventually(
    () => paymentOf(stack, shop.liveKey, payment.id),
    (p) => p.status === 'paid',
  );
  expect(paid).toMatchObject({ test_mode: false, method: 'interkassa_checkout', amount: '50.00' });
});
