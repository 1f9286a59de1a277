import request from 'supertest';
import { randomToken } from '../../src/domain/ids';
import { type SciFields, sciSign } from '../../src/domain/sci-signature';
import { type ApiHarness, markVerified, startApiHarness } from '../support/merchant-api';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
}, 60_000);
afterAll(() => harness.close());

interface SciShop {
  key: string;
  liveKey: string;
  checkoutId: string;
  ref: string;
  secretKey: string;
  testKey: string;
  algorithm: 'md5' | 'sha256';
}

/** A merchant whose test checkout takes SCI forms with `sci` settings. */
async function sciShop(sci: Record<string, unknown> = {}): Promise<SciShop> {
  const merchant = await harness.merchant();
  const patched = await harness.call(merchant.testKey, 'patch', `/v1/checkouts/${merchant.testCheckout.id}`, { sci });
  if (patched.status !== 200) throw new Error(`sci: ${patched.status} ${JSON.stringify(patched.body)}`);
  return {
    key: merchant.testKey,
    liveKey: merchant.liveKey,
    checkoutId: merchant.testCheckout.id,
    ref: patched.body.sci.checkout_ref,
    secretKey: patched.body.sci.secret_key,
    testKey: patched.body.sci.test_key,
    algorithm: patched.body.sci.sign_algorithm,
  };
}

/** A shop's form for 50.00 RUB with a fresh order number, signed with the secret key unless `ik_sign` is given. */
function form(shop: SciShop, fields: Record<string, string> = {}, signWith = shop.secretKey): Record<string, string> {
  const unsigned: Record<string, string> = {
    ik_co_id: shop.ref,
    ik_pm_no: `ORD-${randomToken(8)}`,
    ik_am: '50.00',
    ik_cur: 'RUB',
    ik_desc: 'Заказ в магазине',
    ...fields,
  };
  if ('ik_sign' in fields) return unsigned;
  return { ...unsigned, ik_sign: sciSign(unsigned as SciFields, signWith, shop.algorithm) };
}

const withoutSign = (fields: Record<string, string>) =>
  Object.fromEntries(Object.entries(fields).filter(([name]) => name !== 'ik_sign'));

const post = (fields: Record<string, string>, path = '/sci/') =>
  request(harness.app).post(path).type('form').send(new URLSearchParams(fields).toString());

function multipart(fields: Record<string, string>, path = '/sci') {
  let test = request(harness.app).post(path);
  for (const [name, value] of Object.entries(fields)) test = test.field(name, value);
  return test;
}

const paymentsOf = async (checkoutId: string) =>
  (
    await harness.db.query(
      'select id, order_id, amount_minor, method, sci, locale, buyer_email, expires_at, created_at from payments where checkout_id = $1 order by created_at',
      [checkoutId],
    )
  ).rows;

describe('the SCI form, ik_act=process', () => {
  it('makes the payment from a form-encoded POST and sends the web buyer to the payment page', async () => {
    const shop = await sciShop();
    const fields = form(shop, { ik_am: '50.5', ik_x_user: 'client-7', ik_x_cart: 'Корзина', ik_loc: 'ru_RU' });
    const answer = await post(fields);
    expect(answer.status).toBe(303);
    const [payment] = await paymentsOf(shop.checkoutId);
    expect(answer.headers.location).toBe(`${harness.config.publicUrl}/pay/${payment.id}`);
    expect(payment.order_id).toBe(fields.ik_pm_no);
    expect(payment.amount_minor).toBe('5050');
    expect(payment.locale).toBe('ru');
    expect(payment.sci).toMatchObject({
      coId: shop.ref,
      amount: '50.5',
      paymentNo: fields.ik_pm_no,
      payway: null,
      methods: null,
      extra: { ik_x_user: 'client-7', ik_x_cart: 'Корзина' },
      urls: {},
    });
    const seen = await harness.call(shop.key, 'get', `/v1/payments/${payment.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ order_id: fields.ik_pm_no, amount: '50.50', currency: 'RUB' });
  });

  it('takes the checkout’s co_ id in ik_co_id as well as its ref, and keeps ik_co_id as sent', async () => {
    const shop = await sciShop();
    expect((await post(form(shop, { ik_co_id: shop.checkoutId }))).status).toBe(303);
    const [payment] = await paymentsOf(shop.checkoutId);
    expect(payment.sci.coId).toBe(shop.checkoutId);
  });

  it('answers JSON to a multipart POST without the trailing slash, as the PHP SDK sends it', async () => {
    const shop = await sciShop();
    const fields = form(shop, { ik_int: 'json' });
    const answer = await multipart(fields, '/sci');
    expect(answer.status).toBe(200);
    const [payment] = await paymentsOf(shop.checkoutId);
    expect(answer.body).toEqual({
      resultCode: '0',
      resultMsg: 'Success',
      resultData: {
        paymentForm: { action: `${harness.config.publicUrl}/pay/${payment.id}`, method: 'GET', parameters: {} },
        payment: { id: payment.id, status: 'awaiting_method', order_id: fields.ik_pm_no },
      },
    });
  });

  it('takes a GET with the fields in the query, with and without the trailing slash', async () => {
    const shop = await sciShop();
    for (const path of ['/sci', '/sci/']) {
      const fields = form(shop);
      const answer = await request(harness.app).get(`${path}?${new URLSearchParams(fields)}`);
      expect(answer.status).toBe(303);
    }
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(2);
  });

  it.each([
    ['50', 'RUB', '5000'],
    ['50.5', 'RUB', '5050'],
    ['50.00', 'RUB', '5000'],
    ['1500', 'JPY', '1500'],
    ['50,5', 'RUB', '5050'],
    ['50.', 'RUB', '5000'],
    ['.5', 'RUB', '50'],
    ['050.00', 'RUB', '5000'],
  ])('takes ik_am %s %s exactly as sent (%s minor units)', async (amount, currency, minor) => {
    const shop = await sciShop();
    const fields = form(shop, { ik_am: amount, ik_cur: currency });
    expect((await post(fields)).status).toBe(303);
    const [payment] = await paymentsOf(shop.checkoutId);
    expect(payment.amount_minor).toBe(minor);
    expect(payment.sci.amount).toBe(amount);
  });

  it('keeps the payer’s e-mail for the receipt and the method chosen in advance (the test payway)', async () => {
    const shop = await sciShop();
    const fields = form(shop, { ik_cli: 'buyer@example.com', ik_pw_via: 'test_interkassa_test_xts', ik_int: 'json' });
    const answer = await post(fields);
    expect(answer.body.resultCode).toBe('0');
    const [payment] = await paymentsOf(shop.checkoutId);
    expect(payment.buyer_email).toBe('buyer@example.com');
    expect(payment.method).toBe('sandbox_card');
    expect(payment.sci).toMatchObject({ payway: 'test_interkassa_test_xts', payerContact: 'buyer@example.com' });
  });

  it('narrows the methods with ik_pw_on and ik_pw_off, Interkassa names it cannot serve matching nothing', async () => {
    const shop = await sciShop();
    await post(form(shop, { ik_pw_on: 'visa_cpaytrz_merchant_rub, sandbox_wallet, test_interkassa_test_xts' }));
    await post(form(shop, { ik_pw_off: 'sandbox_wallet' }));
    await post(form(shop, { ik_pw_on: 'webmoney;sandbox_wallet' }));
    const [on, off, semicolons] = await paymentsOf(shop.checkoutId);
    expect(on.sci.methods).toEqual(['sandbox_card', 'sandbox_wallet']);
    expect(off.sci.methods).toEqual(['sandbox_card']);
    expect(semicolons.sci.methods).toEqual(['sandbox_wallet']);
  });

  it('sets the expiry from ik_exp (unix time or date), ik_ltm, or the checkout lifetime', async () => {
    const shop = await sciShop({ lifetime: 3600 });
    const inAnHour = Math.floor(Date.now() / 1000) + 7200;
    await post(form(shop, { ik_exp: String(inAnHour) }));
    await post(form(shop, { ik_exp: new Date((inAnHour + 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ') }));
    await post(form(shop, { ik_ltm: '600' }));
    await post(form(shop));
    await post(form(shop, { ik_exp: '1800' }));
    const lives = (await paymentsOf(shop.checkoutId)).map((payment) =>
      Math.round((payment.expires_at.getTime() - payment.created_at.getTime()) / 1000),
    );
    expect(lives[0]).toBeGreaterThan(7190);
    expect(lives[0]).toBeLessThan(7210);
    expect(lives[1]).toBeGreaterThan(10790);
    expect(lives[1]).toBeLessThan(10810);
    expect(lives[2]).toBeGreaterThan(595);
    expect(lives[2]).toBeLessThan(605);
    expect(lives[3]).toBeGreaterThan(3595);
    expect(lives[3]).toBeLessThan(3605);
    expect(lives[4]).toBeGreaterThan(1795);
    expect(lives[4]).toBeLessThan(1805);
  });

  it('keeps the form’s URLs only when the checkout allows url_override, on its site', async () => {
    const fixed = await sciShop();
    await post(form(fixed, { ik_suc_u: 'https://shop.example/thanks' }));
    expect((await paymentsOf(fixed.checkoutId))[0].sci.urls).toEqual({});

    const open = await sciShop({ url_override: true });
    await post(
      form(open, {
        ik_suc_u: 'https://shop.example/thanks',
        ik_suc_m: 'post',
        ik_ia_u: 'https://hooks.example.net/ik',
      }),
    );
    expect((await paymentsOf(open.checkoutId))[0].sci.urls).toEqual({
      success: { url: 'https://shop.example/thanks', method: 'POST' },
      interaction: { url: 'https://hooks.example.net/ik', method: 'POST' },
    });
    const elsewhere = await post(form(open, { ik_fal_u: 'https://evil.example/fail', ik_int: 'json' }));
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.resultMsg).toContain('ik_fal_u');
    expect(await paymentsOf(open.checkoutId)).toHaveLength(1);
  });

  it('continues the open payment of a repeated order with the same amount; refuses another amount', async () => {
    const shop = await sciShop();
    const first = form(shop);
    await post(first);
    const again = await post(form(shop, { ik_pm_no: first.ik_pm_no!, ik_int: 'json' }));
    const [payment] = await paymentsOf(shop.checkoutId);
    expect(again.body.resultData.payment.id).toBe(payment.id);
    const other = await post(form(shop, { ik_pm_no: first.ik_pm_no!, ik_am: '51.00', ik_int: 'json' }));
    expect(other.status).toBe(400);
    expect(other.body.resultCode).toBe('9');
    expect(other.body.resultMsg).toContain('ik_pm_no');
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(1);
  });

  it('without unique orders, makes a new payment for a repeated order under a suffixed order id', async () => {
    const shop = await sciShop({ unique_order: false });
    const first = form(shop);
    await post(first);
    await post(form(shop, { ik_pm_no: first.ik_pm_no!, ik_am: '60.00' }));
    await post(form(shop, { ik_pm_no: first.ik_pm_no!, ik_am: '70.00' }));
    const payments = await paymentsOf(shop.checkoutId);
    expect(payments.map((payment) => payment.order_id)).toEqual([
      first.ik_pm_no,
      `${first.ik_pm_no}~2`,
      `${first.ik_pm_no}~3`,
    ]);
    expect(payments.map((payment) => payment.sci.paymentNo)).toEqual(Array(3).fill(first.ik_pm_no));
  });

  it('takes a form without ik_sign when the checkout does not require it, but never a wrong one', async () => {
    const shop = await sciShop({ sign_required: false });
    expect((await post(withoutSign(form(shop)))).status).toBe(303);
    expect((await post(form(shop, { ik_sign: 'AAAAAAAAAAAAAAAAAAAAAA==' }))).status).toBe(400);
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(1);
  });

  it('takes a sha256 form on a sha256 checkout, and a test-payway form signed with the test key', async () => {
    const shop = await sciShop({ sign_algorithm: 'sha256' });
    expect((await post(form(shop))).status).toBe(303);
    expect((await post(form(shop, { ik_pw_via: 'test_interkassa_test_xts' }, shop.testKey))).status).toBe(303);
    // the test key signs nothing else
    expect((await post(form(shop, {}, shop.testKey))).status).toBe(400);
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(2);
  });
});

describe('the SCI form, ik_act=payways and payway', () => {
  it('answers the methods on offer with prices, in JSON and as a page', async () => {
    const shop = await sciShop();
    const json = await post(form(shop, { ik_act: 'payways', ik_int: 'json', ik_am: '100' }));
    expect(json.status).toBe(200);
    expect(json.body.resultCode).toBe('0');
    expect(json.body.resultData.payways).toEqual([
      {
        als: 'sandbox_card',
        name: expect.any(String),
        cur: 'RUB',
        am: '100.00',
        psPrice: '100.00',
        coRfn: '97.00',
        fee: '3.00',
      },
      {
        als: 'sandbox_wallet',
        name: expect.any(String),
        cur: 'RUB',
        am: '100.00',
        psPrice: '100.00',
        coRfn: '97.00',
        fee: '3.00',
      },
    ]);
    const filtered = await post(form(shop, { ik_act: 'payways_calc', ik_int: 'json', ik_pw_off: 'sandbox_card' }));
    expect(filtered.body.resultData.payways.map((payway: { als: string }) => payway.als)).toEqual(['sandbox_wallet']);

    const page = await post(form(shop, { ik_act: 'payways', ik_loc: 'ru' }));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('Способы оплаты');
    expect(page.text).toContain('data-method="sandbox_card"');
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(0);
  });

  it('answers the price for ik_pw_via, and needs ik_pw_via', async () => {
    const shop = await sciShop();
    const json = await post(
      form(shop, { ik_act: 'payway', ik_int: 'json', ik_pw_via: 'test_interkassa_test_xts', ik_am: '10' }),
    );
    expect(json.body.resultData.payway).toMatchObject({ als: 'sandbox_card', psPrice: '10.00' });
    const page = await post(form(shop, { ik_act: 'payway', ik_pw_via: 'sandbox_wallet' }));
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-method="sandbox_wallet"');
    expect(page.text).not.toContain('data-method="sandbox_card"');
    const missing = await post(form(shop, { ik_act: 'payway', ik_int: 'json' }));
    expect(missing.status).toBe(400);
    expect(missing.body.resultMsg).toContain('ik_pw_via');
  });
});

describe('a refused SCI form makes no payment', () => {
  const json = { ik_int: 'json' };
  const cases: [string, (shop: SciShop) => Record<string, string>, string, string][] = [
    ['unsigned', (shop) => withoutSign(form(shop, json)), 'ik_sign', '3'],
    ['tampered', (shop) => ({ ...form(shop, json), ik_am: '5.00' }), 'ik_sign', '4'],
    [
      'tampered ik_x_ field',
      (shop) => ({ ...form(shop, { ...json, ik_x_user: 'a' }), ik_x_user: 'b' }),
      'ik_sign',
      '4',
    ],
    ['signed with another key', (shop) => form(shop, json, 'AnotherKey1234567890abcdef'), 'ik_sign', '4'],
    [
      'signed with the other algorithm',
      (shop) => {
        const fields = withoutSign(form(shop, json));
        return { ...fields, ik_sign: sciSign(fields, shop.secretKey, 'sha256') };
      },
      'ik_sign',
      '4',
    ],
    [
      'for an unknown checkout',
      (shop) => form(shop, { ...json, ik_co_id: '0123456789abcdef01234567' }),
      'ik_co_id',
      '5',
    ],
    ['with too many decimals', (shop) => form(shop, { ...json, ik_am: '50.123' }), 'ik_am', '8'],
    ['with decimals JPY has not', (shop) => form(shop, { ...json, ik_am: '50.5', ik_cur: 'JPY' }), 'ik_am', '8'],
    ['with a zero amount', (shop) => form(shop, { ...json, ik_am: '0,00' }), 'ik_am', '8'],
    ['with a negative amount', (shop) => form(shop, { ...json, ik_am: '-5' }), 'ik_am', '8'],
    ['with another encoding', (shop) => form(shop, { ...json, ik_enc: 'cp1251' }), 'ik_enc', '2'],
    ['with an unknown currency', (shop) => form(shop, { ...json, ik_cur: 'XXX' }), 'ik_cur', '7'],
    ['with a currency the checkout does not take', (shop) => form(shop, { ...json, ik_cur: 'EUR' }), 'ik_cur', '7'],
    ['without ik_pm_no', (shop) => form(shop, { ...json, ik_pm_no: '' }), 'ik_pm_no', '1'],
    ['without ik_desc', (shop) => form(shop, { ...json, ik_desc: ' ' }), 'ik_desc', '1'],
    ['with an unknown ik_act', (shop) => form(shop, { ...json, ik_act: 'refund' }), 'ik_act', '2'],
    ['with an ik_exp in the past', (shop) => form(shop, { ...json, ik_exp: '2020-01-01 00:00:00' }), 'ik_exp', '2'],
    ['with an ik_exp that is not a date', (shop) => form(shop, { ...json, ik_exp: 'tomorrow' }), 'ik_exp', '2'],
    ['with an ik_ltm over 30 days', (shop) => form(shop, { ...json, ik_ltm: '2592001' }), 'ik_ltm', '2'],
    [
      'with an ik_pw_via not on offer',
      (shop) => form(shop, { ...json, ik_pw_via: 'visa_cpaytrz_merchant_rub' }),
      'ik_pw_via',
      '10',
    ],
    ['with ik_pw_on leaving nothing', (shop) => form(shop, { ...json, ik_pw_on: 'webmoney' }), 'ik_pw_on', '10'],
    [
      'with a card number in ik_x_',
      (shop) => form(shop, { ...json, ik_x_note: '4111 1111 1111 1111' }),
      'ik_x_note',
      '2',
    ],
  ];

  it.each(cases.map(([name, make, field, code]) => [name, field, code, make] as const))(
    '%s: JSON names %s with resultCode %s',
    async (_name, field, code, make) => {
      const shop = await sciShop();
      const answer = await post(make(shop));
      expect(answer.status).toBe(400);
      expect(answer.body.resultCode).toBe(code);
      expect(answer.body.resultMsg).toContain(field);
      expect(answer.body.resultData.field).toBe(field);
      expect(await paymentsOf(shop.checkoutId)).toHaveLength(0);
    },
  );

  it('with ik_am_t=payway when the buyer bears the commission (taken when the merchant does)', async () => {
    const shop = await sciShop();
    expect((await post(form(shop, { ik_am_t: 'payway' }))).status).toBe(303);
    await harness.call(shop.key, 'patch', `/v1/checkouts/${shop.checkoutId}`, { fee_payer: 'buyer' });
    const answer = await post(form(shop, { ik_am_t: 'payway', ik_int: 'json' }));
    expect(answer.status).toBe(400);
    expect(answer.body.resultData.field).toBe('ik_am_t');
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(1);
  });

  it('with SCI disabled on the checkout', async () => {
    const shop = await sciShop({ enabled: false });
    const answer = await post(form(shop, { ik_int: 'json' }));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ resultCode: '6', resultData: { field: 'ik_co_id' } });
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(0);
  });

  it('with the test payway on a live checkout', async () => {
    const merchant = await harness.merchant();
    await markVerified(harness.db, merchant.liveCheckout.id);
    const patched = await harness.call(merchant.liveKey, 'patch', `/v1/checkouts/${merchant.liveCheckout.id}`, {
      sci: {},
    });
    const shop: SciShop = {
      key: merchant.liveKey,
      liveKey: merchant.liveKey,
      checkoutId: merchant.liveCheckout.id,
      ref: patched.body.sci.checkout_ref,
      secretKey: patched.body.sci.secret_key,
      testKey: patched.body.sci.test_key,
      algorithm: 'md5',
    };
    const answer = await post(form(shop, { ik_pw_via: 'test_interkassa_test_xts', ik_int: 'json' }));
    expect(answer.status).toBe(400);
    expect(answer.body.resultMsg).toContain('ik_pw_via');
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(0);
  });

  it('on a live checkout whose site is not verified', async () => {
    const merchant = await harness.merchant();
    const patched = await harness.call(merchant.liveKey, 'patch', `/v1/checkouts/${merchant.liveCheckout.id}`, {
      sci: {},
    });
    const shop: SciShop = {
      key: merchant.liveKey,
      liveKey: merchant.liveKey,
      checkoutId: merchant.liveCheckout.id,
      ref: patched.body.sci.checkout_ref,
      secretKey: patched.body.sci.secret_key,
      testKey: patched.body.sci.test_key,
      algorithm: 'md5',
    };
    const answer = await post(form(shop, { ik_int: 'json' }));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ resultCode: '11', resultData: { field: 'ik_co_id' } });
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(0);
  });

  it('answers the web buyer a 400 page in their language naming the field, escaping what was sent', async () => {
    const shop = await sciShop();
    const russian = await post({ ...form(shop, { ik_loc: 'ru' }), ik_am: '1.00' });
    expect(russian.status).toBe(400);
    expect(russian.headers['content-type']).toMatch(/text\/html/);
    expect(russian.text).toContain('<html lang="ru">');
    expect(russian.text).toContain('Подпись запроса на оплату (ik_sign) неверна');

    const english = await post({ ...form(shop), ik_am: '1.00' }).set('accept-language', 'de, en;q=0.8');
    expect(english.text).toContain('<html lang="en">');
    expect(english.text).toContain('The signature of the payment request (ik_sign) is wrong');

    const hostile = await post(form(shop, { ik_co_id: '<script>alert(1)</script>' }));
    expect(hostile.status).toBe(400);
    expect(hostile.text).not.toContain('<script>alert(1)</script>');
    expect(hostile.text).toContain('&lt;script&gt;');
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(0);
  });
});

describe('reading the SCI form', () => {
  it('refuses a form too large (413), a file (400), an unstorable character (400), never a 5xx', async () => {
    const shop = await sciShop();
    const big = await post({ ...form(shop), ik_x_big: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    const many = await multipart({
      ik_int: 'json',
      ...Object.fromEntries(Array.from({ length: 250 }, (_, index) => [`ik_x_${index}`, 'v'])),
    });
    expect(many.status).toBe(413);
    expect(many.body).toMatchObject({ resultCode: '12', resultData: { field: 'body' } });
    const manyEncoded = await post(
      Object.fromEntries(Array.from({ length: 250 }, (_, index) => [`ik_x_${index}`, 'v'])),
    );
    expect(manyEncoded.status).toBe(413);
    const withFile = await request(harness.app)
      .post('/sci')
      .field('ik_co_id', shop.ref)
      .attach('ik_x_file', Buffer.from('hello'), 'hello.txt');
    expect(withFile.status).toBe(400);
    const nul = await post({ ...form(shop), ik_x_nul: 'a\u0000b' });
    expect(nul.status).toBe(400);
    expect(nul.text).toContain('ik_x_nul');
    const json = await request(harness.app).post('/sci').send({ ik_co_id: shop.ref });
    expect(json.status).toBe(400);
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(0);
  });

  it('reads PHP-style nested fields and signs them as Interkassa does', async () => {
    const shop = await sciShop();
    const base = withoutSign(form(shop));
    const pairs: [string, string][] = [
      ...Object.entries(base),
      ['ik_payway_fields[phone][number]', '501234567'],
      ['ik_payway_fields[phone][code]', '380'],
    ];
    const nested = {
      ...base,
      ik_payway_fields: { phone: { number: '501234567', code: '380' } },
    } as unknown as SciFields;
    pairs.push(['ik_sign', sciSign(nested, shop.secretKey, 'md5')]);
    let test = request(harness.app).post('/sci/');
    for (const [name, value] of pairs) test = test.field(name, value);
    expect((await test).status).toBe(303);
  });

  it('answers 405 to other methods, and a HEAD makes no payment', async () => {
    expect((await request(harness.app).put('/sci')).status).toBe(405);
    const shop = await sciShop();
    expect((await request(harness.app).head(`/sci?${new URLSearchParams(form(shop))}`)).status).toBe(200);
    expect(await paymentsOf(shop.checkoutId)).toHaveLength(0);
  });
});
