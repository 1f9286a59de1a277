import { randomToken } from '../../src/domain/ids';
import { sciSign } from '../../src/domain/sci-signature';
import { buyerActs, chooseMethod } from '../support/money';
import {
  api,
  createTestPayment,
  eventually,
  onboardMerchant,
  paymentOf,
  startReceiver,
  startTestStack,
  type TestStack,
} from '../support/stack';

// The way back to the shop from the result page: for a payment made through the SCI form, Interkassa's
// success, fail or pending URL with its ik_* fields, by GET or by a form; for every payment, on its own
// after the result was shown, and only ever to a URL the checkout owns.
jest.setTimeout(60_000);

let stack: TestStack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let merchant: Awaited<ReturnType<typeof onboardMerchant>>;

beforeAll(async () => {
  stack = await startTestStack();
  receiver = await startReceiver();
  merchant = await onboardMerchant(stack, receiver.url, { site_url: shopSite, sci: { url_override: true } });
}, 90_000);
afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

const shopSite = 'http://127.0.0.1:9';

/** A payment made by the shop's SCI form (posted to /sci/, answered in JSON), with the form's own URLs when given. */
async function sciPayment(own: Record<string, string> = {}, paymentNo = `ORD-${randomToken(8)}`) {
  const fields: Record<string, string> = {
    ik_co_id: merchant.checkout.sci.checkout_ref,
    ik_pm_no: paymentNo,
    ik_am: '50',
    ik_cur: 'RUB',
    ik_desc: 'Заказ',
    ik_x_user: '7',
    ik_int: 'json',
    ...own,
  };
  fields.ik_sign = sciSign(fields, merchant.checkout.sci.secret_key, 'md5');
  const response = await fetch(`${stack.url}/sci/`, { method: 'POST', body: new URLSearchParams(fields) });
  const answer = (await response.json()) as { resultCode: string; resultData: { payment: { id: string } } };
  if (answer.resultCode !== '0') throw new Error(`sci: ${JSON.stringify(answer)}`);
  return { id: answer.resultData.payment.id, order_id: paymentNo };
}

async function paid(paymentId: string) {
  await buyerActs(await chooseMethod(stack, paymentId), 'approve');
  await eventually(
    () => paymentOf(stack, merchant.testKey, paymentId),
    (body) => body.status === 'paid',
  );
}

const page = (paymentId: string, path = 'return') =>
  fetch(`${stack.url}/pay/${paymentId}/${path}`, { redirect: 'manual' }).then(async (response) => ({
    status: response.status,
    headers: response.headers,
    html: await response.text(),
  }));

const attribute = (html: string, pattern: RegExp) => pattern.exec(html)?.[1]?.replace(/&amp;/g, '&');

test('a paid SCI payment goes back to the checkout’s success URL by GET with ik_co_id, ik_inv_id, ik_inv_st and ik_pm_no, on its own after a few seconds', async () => {
  const payment = await sciPayment();
  await paid(payment.id);

  const result = await page(payment.id);
  expect(result.status).toBe(200);
  expect(result.html).toContain('Thank you! Payment received');
  const href = attribute(result.html, /id="back-to-shop" href="([^"]+)"/)!;
  const back = new URL(href);
  expect(back.origin + back.pathname).toBe('https://shop.example/ok');
  expect(Object.fromEntries(back.searchParams)).toEqual({
    ik_co_id: merchant.checkout.sci.checkout_ref,
    ik_inv_id: payment.id,
    ik_inv_st: 'success',
    ik_pm_no: payment.order_id,
  });
  // it goes there by itself: the page's script follows Kassa's redirect, which answers with the same URL
  expect(result.html).toContain(`data-follow-after="5" data-follow-url="/pay/${payment.id}/back"`);
  expect(result.html).toContain('<script src="/pay/assets/auto-return.js" defer></script>');
  expect(result.html).toContain('You will be taken back to My shop in 5 seconds.');
  const onward = await page(payment.id, 'back');
  expect(onward.status).toBe(303);
  expect(onward.headers.get('location')).toBe(href);
});

test('with the form’s own URL and method POST, the buyer goes back through a form that submits itself, its button visible, fields escaped', async () => {
  const orderNo = `A"><b>x</b>${Date.now()}`;
  const payment = await sciPayment(
    {
      ik_suc_u: `${shopSite}/shop/success?from=kassa`,
      ik_suc_m: 'POST',
      ik_fal_u: `${shopSite}/own-fail`,
      ik_fal_m: 'GET',
    },
    orderNo,
  );
  await paid(payment.id);

  const result = await page(payment.id);
  expect(result.html).toContain(
    '<form id="back-to-shop-form" method="post" action="http://127.0.0.1:9/shop/success?from=kassa" data-submit-after="5">',
  );
  expect(result.html).toContain('<button type="submit" id="back-to-shop">Back to My shop</button>');
  expect(result.html).toContain('<input type="hidden" name="ik_inv_st" value="success">');
  expect(result.html).toContain(`<input type="hidden" name="ik_pm_no" value="A&quot;&gt;&lt;b&gt;x&lt;/b&gt;`);
  expect(result.html).not.toContain('<b>x</b>');
  expect(result.html).toContain('<script src="/pay/assets/auto-return.js" defer></script>');
  expect(result.html).not.toMatch(/<script>/);
  expect(result.html).not.toContain('http-equiv="refresh"');
  // the page may submit its form to the shop's origin, and only there besides the usual
  const policy = result.headers.get('content-security-policy')!;
  expect(policy).toMatch(/form-action [^;]*'self'[^;]* http:\/\/127\.0\.0\.1:9(;|$)/);
  expect(policy).not.toContain('https://shop.example');

  const script = await fetch(`${stack.url}/pay/assets/auto-return.js`);
  expect(script.status).toBe(200);
  expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
  expect(await script.text()).toContain('form[data-submit-after]');

  const onward = await page(payment.id, 'back');
  expect(onward.status).toBe(200);
  expect(onward.html).toContain('data-submit-after="0"');
  expect(onward.headers.get('content-security-policy')).toMatch(/form-action [^;]* http:\/\/127\.0\.0\.1:9(;|$)/);
});

test('a canceled SCI payment goes back to the form’s own fail URL with ik_inv_st canceled', async () => {
  const payment = await sciPayment({ ik_fal_u: `${shopSite}/own-fail` });
  const canceled = await api(stack.url, 'POST', `/v1/payments/${payment.id}/cancel`, { token: merchant.testKey });
  expect(canceled.status).toBe(200);
  const result = await page(payment.id);
  const back = new URL(attribute(result.html, /id="back-to-shop" href="([^"]+)"/)!);
  expect(back.origin + back.pathname).toBe(`${shopSite}/own-fail`);
  expect(back.searchParams.get('ik_inv_st')).toBe('canceled');
  expect(result.html).toContain(`data-follow-after="5" data-follow-url="/pay/${payment.id}/back"`);
});

test('a payment made through the API goes back to its signed success URL on its own too; a declined one stays to choose again', async () => {
  const payment = await createTestPayment(stack, merchant.testKey, merchant.checkout.id);
  await buyerActs(await chooseMethod(stack, payment.id), 'decline');
  const declined = await eventually(
    () => page(payment.id),
    (result) => result.html.includes('did not go through'),
  );
  expect(declined.html).not.toContain('http-equiv="refresh"');
  expect(declined.html).not.toContain('auto-return');

  await paid(payment.id);
  const result = await page(payment.id);
  const href = attribute(result.html, /id="back-to-shop" href="([^"]+)"/)!;
  expect(new URL(href).searchParams.get('status')).toBe('paid');
  expect(new URL(href).searchParams.get('signature')).toMatch(/^[0-9a-f]{64}$/);
  expect(result.html).toContain(`data-follow-after="5" data-follow-url="/pay/${payment.id}/back"`);
  const onward = await page(payment.id, 'back');
  expect(onward.headers.get('location')).toBe(href);
  // another payment's id is not a way anywhere
  expect((await page('pay_doesnotexist000', 'back')).status).toBe(404);
});

test('while a payment is being confirmed the page watches its status (refreshes without script), counting the wait; after a minute it sends the buyer to the pending URL', async () => {
  const payment = await sciPayment();
  await chooseMethod(stack, payment.id);
  await eventually(
    () => paymentOf(stack, merchant.testKey, payment.id),
    (body) => body.status === 'awaiting_payment',
  );

  const first = await page(payment.id);
  expect(first.html).toContain(
    `<noscript><meta http-equiv="refresh" content="2;url=/pay/${payment.id}/return?waited=2"></noscript>`,
  );
  expect(first.html).toContain(`data-watch-status="/pay/${payment.id}/status"`);
  expect(first.html).not.toContain('id="auto-return"'); // no countdown back to the shop yet
  const pending = new URL(attribute(first.html, /id="pending-link" href="([^"]+)"/)!);
  expect(pending.origin + pending.pathname).toBe('https://shop.example/wait');
  expect(Object.fromEntries(pending.searchParams)).toMatchObject({ ik_inv_st: 'process', ik_inv_id: payment.id });

  const later = await page(payment.id, 'return?waited=30');
  expect(later.html).toContain(`content="2;url=/pay/${payment.id}/return?waited=32"`);

  const long = await page(payment.id, 'return?waited=60');
  expect(long.html).toContain('taking longer than usual');
  expect(long.html).toContain(`data-follow-after="5" data-follow-url="/pay/${payment.id}/back"`);
  const onward = await page(payment.id, 'back');
  expect(onward.status).toBe(303);
  expect(onward.headers.get('location')).toBe(pending.href);
  // a made-up wait is read as none
  expect((await page(payment.id, 'return?waited=abc')).html).toContain('return?waited=2"');
});
