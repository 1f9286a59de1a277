import { randomToken } from '../../src/domain/ids';
import { type SciFields, sciSign } from '../../src/domain/sci-signature';
import { buyerActs } from '../support/money';
import { api, eventually, paymentOf, purchaseHandle, shopsFor, stackForFile, type TestStack } from '../support/stack';

let stack: TestStack;
stackForFile((running) => ({ stack } = running));
const newShop = shopsFor(() => stack);

async function sciShop() {
  const shop = await newShop();
  const patched = await api(stack.url, 'PATCH', `/v1/checkouts/${shop.checkout.id}`, {
    token: shop.testKey,
    body: { sci: {} },
  });
  return { ...shop, ref: patched.body.sci.checkout_ref as string, secretKey: patched.body.sci.secret_key as string };
}

function signed(secretKey: string, fields: Record<string, string>): Record<string, string> {
  return { ...fields, ik_sign: sciSign(fields as SciFields, secretKey, 'md5') };
}

/** A shop's server posting the form as PHP's cURL does with an array body: multipart, to /sci. */
async function postMultipart(fields: Record<string, string>) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  const response = await fetch(`${stack.url}/sci`, { method: 'POST', body, redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'), body: await response.text() };
}

test('a payment made by an SCI form with the test payway is paid at the sandbox like any other: fee, webhook, search attributes', async () => {
  const shop = await sciShop();
  const orderNo = `ORD-${randomToken(6)}`;
  const answer = await postMultipart(
    signed(shop.secretKey, {
      ik_co_id: shop.ref,
      ik_pm_no: orderNo,
      ik_am: '100',
      ik_cur: 'RUB',
      ik_desc: 'Оплата заказа',
      ik_pw_via: 'test_interkassa_test_xts',
      ik_int: 'json',
      ik_x_user: '42',
    }),
  );
  expect(answer.status).toBe(200);
  const json = JSON.parse(answer.body);
  expect(json.resultCode).toBe('0');
  const { action, method, parameters } = json.resultData.paymentForm;
  expect(method).toBe('GET');
  // the method was chosen in advance: the buyer goes straight to the provider's page
  expect(action.startsWith(stack.sandboxUrl)).toBe(true);
  const providerPage = `${action}${Object.keys(parameters).length ? `?${new URLSearchParams(parameters)}` : ''}`;
  await buyerActs(providerPage, 'approve');

  const paymentId = json.resultData.payment.id as string;
  const paid = await eventually(
    () => paymentOf(stack, shop.testKey, paymentId),
    (payment) => payment.status === 'paid',
  );
  expect(paid).toMatchObject({
    order_id: orderNo,
    amount: '100.00',
    method: 'sandbox_card',
    fee: '3.00',
    merchant_net: '97.00',
  });
  const [webhook] = await shop.receiver.waitFor(1);
  expect(JSON.parse(webhook!.body)).toMatchObject({ type: 'payment.paid', data: { id: paymentId, order_id: orderNo } });
  const described = await purchaseHandle(stack, paymentId).describe();
  expect(described.typedSearchAttributes.getAll().find((pair) => pair.key.name === 'MerchantId')?.value).toBe(
    shop.merchantId,
  );
  const balance = await api(stack.url, 'GET', '/v1/balance', { token: shop.testKey });
  expect(JSON.stringify(balance.body)).toContain('97.00');
});

test('a web SCI form sends the buyer to the payment page, which offers only the methods ik_pw_on left', async () => {
  const shop = await sciShop();
  const answer = await postMultipart(
    signed(shop.secretKey, {
      ik_co_id: shop.ref,
      ik_pm_no: `ORD-${randomToken(6)}`,
      ik_am: '10.00',
      ik_cur: 'RUB',
      ik_desc: 'Test',
      ik_pw_on: 'sandbox_wallet',
    }),
  );
  expect(answer.status).toBe(303);
  const paymentId = /\/pay\/(pay_\w+)$/.exec(answer.location ?? '')?.[1];
  expect(paymentId).toBeDefined();
  const refused = await api(stack.url, 'POST', `/pay/${paymentId}/method`, {
    body: { method: 'sandbox_card' },
    headers: { accept: 'application/json' },
  });
  expect(refused.status).toBe(400);
  const chosen = await api(stack.url, 'POST', `/pay/${paymentId}/method`, {
    body: { method: 'sandbox_wallet' },
    headers: { accept: 'application/json' },
  });
  expect(chosen.status).toBe(200);
  expect(chosen.body.redirect_url.startsWith(stack.sandboxUrl)).toBe(true);
});
