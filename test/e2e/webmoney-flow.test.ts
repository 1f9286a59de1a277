import type { Pool } from 'pg';
import { type SciFields, sciSign } from '../../src/domain/sci-signature';
import { statusQuery } from '../../src/workflows/shared';
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
import {
  startWebMoneySimulator,
  submitForm,
  type WebMoneySimulator,
  webmoneyBuyerActs,
  webmoneyTestPurse,
} from '../support/webmoney-simulator';

let stack: TestStack;
let db: Pool;
let sim: WebMoneySimulator;
let connectorId: string;
let callbackUrl: string;

beforeAll(async () => {
  sim = await startWebMoneySimulator();
}, 30_000);
afterAll(() => sim?.stop());
stackForFile((running) => ({ stack, db } = running));
const newShop = shopsFor(() => stack);

beforeAll(async () => {
  const created = await api(stack.url, 'POST', '/admin/connectors', {
    token: stack.adminToken,
    body: {
      provider: 'webmoney',
      mode: 'test',
      credentials: sim.credentials(),
      methods: ['webmoney_wallet'],
      priority: 0,
    },
  });
  expect(created).toMatchObject({ status: 201, body: { provider: 'webmoney', status: 'active' } });
  expect(JSON.stringify(created.body)).not.toContain('webmoney_test_secret');
  connectorId = created.body.id;
  callbackUrl = `${stack.url}/callbacks/webmoney/${connectorId}`;
});

/** The buyer chooses WebMoney: the form Kassa answers (its action and fields). */
async function webmoneyForm(paymentId: string) {
  const action = await chooseMethod(stack, paymentId, 'webmoney_wallet');
  const state = await purchaseHandle(stack, paymentId).query(statusQuery);
  expect(state.redirect).toMatchObject({ method: 'POST', url: action });
  const redirect = state.redirect as { url: string; fields: Record<string, string> };
  return { action, fields: redirect.fields };
}

const postForm = (url: string, body: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }).then(
    async (res) => ({ status: res.status, type: res.headers.get('content-type'), text: await res.text() }),
  );

const callsFor = async (paymentNo: string) => (await sim.resultCalls()).filter((c) => c.paymentNo === paymentNo);

test('paid through the form: YES to the pre-request, the notification verified and answered, repeats and forgeries change nothing', async () => {
  const shop = await newShop();
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const { action, fields } = await webmoneyForm(payment.id);
  expect(action).toBe(`${sim.url}/lmi/payment_utf.asp`);
  expect(fields).toMatchObject({
    LMI_PAYEE_PURSE: webmoneyTestPurse,
    LMI_PAYMENT_AMOUNT: '50.00',
    LMI_SIM_MODE: '0',
    LMI_RESULT_URL: callbackUrl,
    LMI_SUCCESS_URL: `${stack.url}/pay/${payment.id}/return`,
    LMI_FAIL_URL: callbackUrl,
    KASSA_PAYMENT_ID: payment.id,
  });
  expect(fields.LMI_PAYMENT_NO).toMatch(/^\d{1,10}$/);

  const page = await submitForm(action, fields);
  const approved = await webmoneyBuyerActs(page, 'approve');
  expect(approved).toMatchObject({ status: 303, location: `${stack.url}/pay/${payment.id}/return` });
  const paid = await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'paid',
  );
  expect(paid).toMatchObject({ method: 'webmoney_wallet', amount: '50.00', currency: 'RUB' });

  const calls = await eventually(
    () => callsFor(fields.LMI_PAYMENT_NO!),
    (list) => list.length === 2 && list[1]!.status !== null,
  );
  expect(calls.map(({ kind, status, answer }) => ({ kind, status, answer }))).toEqual([
    { kind: 'prerequest', status: 200, answer: 'YES' },
    { kind: 'notification', status: 200, answer: '' },
  ]);
  const notification = calls[1]!.body;

  // The same notification again: answered the same, nothing changes.
  expect(await postForm(callbackUrl, notification)).toEqual({
    status: 200,
    type: 'text/plain; charset=utf-8',
    text: '',
  });
  // A changed hash, a changed amount under the old hash, another purse: refused WebMoney's way, nothing changes.
  const changed = (edit: (params: URLSearchParams) => void) => {
    const params = new URLSearchParams(notification);
    edit(params);
    return params.toString();
  };
  const refused = { status: 403, type: 'text/plain; charset=utf-8', text: 'NO: not verified' };
  const hash = new URLSearchParams(notification).get('LMI_HASH')!;
  expect(
    await postForm(
      callbackUrl,
      changed((p) => p.set('LMI_HASH', `${hash.slice(0, -1)}${hash.endsWith('0') ? '1' : '0'}`)),
    ),
  ).toEqual(refused);
  expect(
    await postForm(
      callbackUrl,
      changed((p) => p.set('LMI_PAYMENT_AMOUNT', '5.00')),
    ),
  ).toEqual(refused);
  expect(
    await postForm(
      callbackUrl,
      changed((p) => p.set('LMI_PAYEE_PURSE', 'Z100000000009')),
    ),
  ).toEqual(refused);
  expect(
    await postForm(
      callbackUrl,
      changed((p) => p.delete('LMI_HASH')),
    ),
  ).toEqual(refused);
  const after = await paymentOf(stack, shop.testKey, payment.id);
  expect(after).toMatchObject({ status: 'paid', amount: '50.00', paid_at: paid.paid_at });
  const stored = await db.query('select count(*)::int as n from provider_callbacks where payment_id = $1', [
    payment.id,
  ]);
  expect(stored.rows[0].n).toBe(1);
});

test('the pre-request says YES only for the form as Kassa made it: an edited amount is refused and nothing is paid', async () => {
  const shop = await newShop();
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const { action, fields } = await webmoneyForm(payment.id);
  const page = await submitForm(action, { ...fields, LMI_PAYMENT_AMOUNT: '1.00' });
  const approved = await webmoneyBuyerActs(page, 'approve');
  expect(approved.status).toBe(402);
  expect(approved.text).toContain('NO: wrong amount');

  const preRequest = new URLSearchParams({ LMI_PREREQUEST: '1', LMI_MODE: '1', ...fields });
  expect(await postForm(callbackUrl, preRequest.toString())).toEqual({
    status: 200,
    type: 'text/plain; charset=utf-8',
    text: 'YES',
  });
  preRequest.set('LMI_PAYMENT_NO', String(Number(fields.LMI_PAYMENT_NO) + 1));
  expect((await postForm(callbackUrl, preRequest.toString())).text).toBe('NO: unknown order');
  preRequest.set('LMI_PAYMENT_NO', fields.LMI_PAYMENT_NO!);
  preRequest.set('LMI_MODE', '0');
  expect((await postForm(callbackUrl, preRequest.toString())).text).toBe('NO: wrong mode');
  expect((await paymentOf(stack, shop.testKey, payment.id)).status).toBe('awaiting_payment');
});

test('declined at WebMoney: the buyer comes back through Kassa, X18 finds nothing paid, another method pays', async () => {
  const shop = await newShop();
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const { action, fields } = await webmoneyForm(payment.id);
  const declined = await webmoneyBuyerActs(await submitForm(action, fields), 'decline');
  expect(declined.status).toBe(303);
  expect(declined.location!.startsWith(`${callbackUrl}?`)).toBe(true);
  const back = await fetch(declined.location!, { redirect: 'manual' });
  expect(back.status).toBe(200);
  expect(await back.text()).toContain(`content="0;url=${stack.url}/pay/${payment.id}/return"`);
  await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'awaiting_method',
  );
  // The same return again, and one whose seal does not hold: nothing more happens.
  expect((await fetch(declined.location!, { redirect: 'manual' })).status).toBe(200);
  const forged = new URL(declined.location!);
  forged.searchParams.set('KASSA_PAYMENT_ID', 'pay_someoneelse0000000');
  expect((await fetch(forged, { redirect: 'manual' })).status).toBe(403);

  await buyerActs(await chooseMethod(stack, payment.id, 'sandbox_card'), 'approve');
  const paid = await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'paid',
  );
  expect(paid.method).toBe('sandbox_card');
  expect((await callsFor(fields.LMI_PAYMENT_NO!)).length).toBe(0);
});

test('the notification lost: X18 confirms the payment, and the same form is never paid twice', async () => {
  const shop = await newShop();
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const { action, fields } = await webmoneyForm(payment.id);
  await sim.fault(fields.LMI_PAYMENT_NO!, { drop: true });
  expect((await webmoneyBuyerActs(await submitForm(action, fields), 'approve')).status).toBe(303);

  // The buyer chooses WebMoney again meanwhile: the same payment number, and WebMoney refuses a second payment.
  const again = await chooseMethod(stack, payment.id, 'webmoney_wallet').then(() =>
    purchaseHandle(stack, payment.id).query(statusQuery),
  );
  expect((again.redirect as { fields: Record<string, string> }).fields.LMI_PAYMENT_NO).toBe(fields.LMI_PAYMENT_NO);
  const second = await webmoneyBuyerActs(await submitForm(action, fields), 'approve');
  expect(second.status).toBe(409);

  const paid = await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'paid',
  );
  expect(paid.amount).toBe('50.00');
  expect((await callsFor(fields.LMI_PAYMENT_NO!)).map((c) => c.kind)).toEqual(['prerequest']);
});

test('a notification of more than was asked is held for review', async () => {
  const shop = await newShop();
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const { action, fields } = await webmoneyForm(payment.id);
  await sim.fault(fields.LMI_PAYMENT_NO!, { wrong_amount: true, duplicate: 1 });
  await webmoneyBuyerActs(await submitForm(action, fields), 'approve');
  const held = await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'under_review',
  );
  expect(held.status).toBe('under_review');
  const { rows } = await db.query('select failure_reason from payments where id = $1', [payment.id]);
  expect(rows[0].failure_reason).toBe('amount_mismatch');
});

/** A WebMoney payment paid by the buyer: its id and its WebMoney payment number. */
async function paidWebMoneyPayment(shop: Awaited<ReturnType<typeof newShop>>) {
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const { action, fields } = await webmoneyForm(payment.id);
  await webmoneyBuyerActs(await submitForm(action, fields), 'approve');
  await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (p) => p.status === 'paid',
  );
  return { id: payment.id as string, paymentNo: fields.LMI_PAYMENT_NO! };
}

const refundOf = (shop: Awaited<ReturnType<typeof newShop>>, paymentId: string, amount: string) =>
  api(stack.url, 'POST', `/v1/payments/${paymentId}/refunds`, { token: shop.testKey, body: { amount } });

const settled = (shop: Awaited<ReturnType<typeof newShop>>, refundId: string) =>
  eventually(
    () => api(stack.url, 'GET', `/v1/refunds/${refundId}`, { token: shop.testKey }).then((r) => r.body),
    (refund) => refund.status !== 'pending',
  );

const x14RefundsOf = async (paymentNo: string) => (await sim.x14Refunds()).filter((r) => r.paymentNo === paymentNo);

describe('refunds through X14', () => {
  test('without the WMID’s certificate a paid WebMoney payment cannot be refunded: a clear 409', async () => {
    const shop = await newShop();
    const payment = await paidWebMoneyPayment(shop);
    const refund = await refundOf(shop, payment.id, '10.00');
    expect(refund).toMatchObject({ status: 409, body: { error: { code: 'refund_unsupported' } } });
  });

  test('with it, a paid payment is refunded in part, then in full, over mutual TLS; the certificate’s key is never shown', async () => {
    const x14 = sim.x14Credentials();
    const changed = await api(stack.url, 'PATCH', `/admin/connectors/${connectorId}`, {
      token: stack.adminToken,
      body: { credentials: { ...sim.credentials(), ...x14 } },
    });
    expect(changed.status).toBe(200);
    const shown = JSON.stringify(changed.body);
    expect(shown).not.toContain('PRIVATE KEY');
    expect(shown).not.toContain(x14.x14_client_cert.slice(30, 90));

    const shop = await newShop();
    const payment = await paidWebMoneyPayment(shop);
    const part = await refundOf(shop, payment.id, '10.00');
    expect(part.status).toBe(201);
    expect(await settled(shop, part.body.id)).toMatchObject({ status: 'succeeded', amount: '10.00' });
    expect((await paymentOf(stack, shop.testKey, payment.id)).status).toBe('partially_refunded');

    const rest = await refundOf(shop, payment.id, '40.00');
    expect(rest.status).toBe(201);
    expect(await settled(shop, rest.body.id)).toMatchObject({ status: 'succeeded', amount: '40.00' });
    expect((await paymentOf(stack, shop.testKey, payment.id)).status).toBe('refunded');

    const made = await x14RefundsOf(payment.paymentNo);
    expect(made.map((r) => r.amount)).toEqual(['10.00', '40.00']);
    expect(BigInt(made[1]!.reqn)).toBeGreaterThan(BigInt(made[0]!.reqn));
    const { rows } = await db.query(
      'select provider_refund_id from refunds where payment_id = $1 order by created_at',
      [payment.id],
    );
    expect(rows.map((row) => row.provider_refund_id)).toEqual(made.map((r) => r.id));
  });

  test('a refund WebMoney refuses ends failed with its retval, and the payment stays paid', async () => {
    const shop = await newShop();
    const payment = await paidWebMoneyPayment(shop);
    await sim.fault(payment.paymentNo, { refund_fails: true });
    const refund = await refundOf(shop, payment.id, '20.00');
    expect(refund.status).toBe(201);
    expect(await settled(shop, refund.body.id)).toMatchObject({ status: 'failed', failure_reason: 'x14_18' });
    expect((await paymentOf(stack, shop.testKey, payment.id)).status).toBe('paid');
    expect(await x14RefundsOf(payment.paymentNo)).toEqual([]);
  });

  test('an answer lost after the request left is never asked again: the refund waits, WebMoney refunded once', async () => {
    const shop = await newShop();
    const payment = await paidWebMoneyPayment(shop);
    await sim.loseX14Answer(payment.paymentNo);
    const refund = await refundOf(shop, payment.id, '15.00');
    expect(refund.status).toBe(201);
    await eventually(
      () => x14RefundsOf(payment.paymentNo),
      (made) => made.length > 0,
    );
    // Past the first status check (5 s) of the pending refund.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    const now = await api(stack.url, 'GET', `/v1/refunds/${refund.body.id}`, { token: shop.testKey });
    expect(now.body.status).toBe('pending');
    expect((await x14RefundsOf(payment.paymentNo)).map((r) => r.amount)).toEqual(['15.00']);
  }, 30_000);

  test('a client certificate W3S does not trust is refused (retval -4): the refund fails, nothing is refunded', async () => {
    const changed = await api(stack.url, 'PATCH', `/admin/connectors/${connectorId}`, {
      token: stack.adminToken,
      body: { credentials: { ...sim.credentials(), ...sim.x14Credentials(), ...sim.strangerCredentials() } },
    });
    expect(changed.status).toBe(200);
    const shop = await newShop();
    const payment = await paidWebMoneyPayment(shop);
    const refund = await refundOf(shop, payment.id, '5.00');
    expect(refund.status).toBe(201);
    expect(await settled(shop, refund.body.id)).toMatchObject({
      status: 'failed',
      failure_reason: 'x14_-4',
    });
    expect(await x14RefundsOf(payment.paymentNo)).toEqual([]);
  });
});

test('one connector per purse: a RUB payment refused by a USD purse’s connector goes on to the RUB purse’s', async () => {
  const usd = await api(stack.url, 'POST', '/admin/connectors', {
    token: stack.adminToken,
    body: {
      provider: 'webmoney',
      mode: 'test',
      credentials: sim.credentials('Z100000000003'),
      methods: ['webmoney_wallet'],
      priority: 0,
    },
  });
  expect(usd.status).toBe(201);
  const moved = await api(stack.url, 'PATCH', `/admin/connectors/${connectorId}`, {
    token: stack.adminToken,
    body: { priority: 10 },
  });
  expect(moved.status).toBe(200);

  const shop = await newShop();
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  const { fields } = await webmoneyForm(payment.id);
  expect(fields).toMatchObject({ LMI_PAYEE_PURSE: webmoneyTestPurse, LMI_RESULT_URL: callbackUrl });
  const { rows } = await db.query(
    'select connector_id, status, error from payment_attempts where payment_id = $1 order by attempt',
    [payment.id],
  );
  expect(rows).toEqual([
    { connector_id: usd.body.id, status: 'refused', error: 'currency_not_supported' },
    { connector_id: connectorId, status: 'created', error: null },
  ]);
});

test('an SCI form that chose WebMoney in advance sends the buyer to the payment page, which posts the WebMoney form', async () => {
  const shop = await newShop();
  const sci = (
    await api(stack.url, 'PATCH', `/v1/checkouts/${shop.checkout.id}`, { token: shop.testKey, body: { sci: {} } })
  ).body.sci;
  const fields: Record<string, string> = {
    ik_co_id: sci.checkout_ref,
    ik_pm_no: `WM-${Date.now()}`,
    ik_am: '10.00',
    ik_cur: 'RUB',
    ik_desc: 'Order',
    ik_pw_via: 'webmoney_wallet',
  };
  const answer = await fetch(`${stack.url}/sci/`, {
    method: 'POST',
    body: new URLSearchParams({ ...fields, ik_sign: sciSign(fields as SciFields, sci.secret_key, 'md5') }),
    redirect: 'manual',
  });
  expect(answer.status).toBe(303);
  const page = answer.headers.get('location')!;
  expect(page).toMatch(new RegExp(`^${stack.url}/pay/pay_\\w+$`));
  const html = await (await fetch(page)).text();
  expect(html).toContain(`action="${sim.url}/lmi/payment_utf.asp"`);
  expect(html).toContain('name="LMI_PAYMENT_AMOUNT" value="10.00"');
});
