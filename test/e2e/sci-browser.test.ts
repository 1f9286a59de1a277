import type { Browser, Page } from 'playwright-core';
import { Pool } from 'pg';
import { randomToken } from '../../src/domain/ids';
import { translator } from '../../src/i18n';
import { artifactPath, describeWithBrowser, launchBrowser, asBuyerIn } from '../support/browser';
import { type SciShop, type ShopKeys, startSciShop } from '../support/sci-shop';
import { onboardMerchant, paymentOf, startReceiver, startTestStack, type TestStack } from '../support/stack';

// A shop written for Interkassa, unchanged but for the form's URL and its keys: a plain HTML page
// whose <form> of ik_* fields and ik_sign posts to Kassa's /sci/, an interaction handler that verifies
// every posted field, and success pages. A real buyer's browser pays at the sandbox and lands back at
// the shop on its own.
jest.setTimeout(60_000);

describeWithBrowser('a shop integrated the Interkassa way', __filename, () => {
  let stack: TestStack;
  let browser: Browser;
  let db: Pool;
  let webhooks: Awaited<ReturnType<typeof startReceiver>>;
  const shops: SciShop[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    stack = await startTestStack({ NOTIFICATION_RETRY_SECONDS: '1,2' });
    db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
    webhooks = await startReceiver();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(shops.map((shop) => shop.close()));
    await webhooks?.close();
    await db?.end();
    await stack?.close();
  });

  /** A shop on loopback with its own checkout: SCI on with `algorithm`, its interaction URL, its own pages. */
  async function interkassaShop(algorithm: 'md5' | 'sha256', sci: Record<string, unknown> = {}) {
    let keys: ShopKeys = { secretKey: '', testKey: '', algorithm };
    const shop = await startSciShop({ keys: () => keys });
    shops.push(shop);
    const merchant = await onboardMerchant(stack, webhooks.url, {
      site_url: shop.base,
      success_url: `${shop.base}/success`,
      fail_url: `${shop.base}/fail`,
      pending_url: `${shop.base}/pending`,
      sci: { sign_algorithm: algorithm, interaction_url: shop.interactionUrl, ...sci },
    });
    const answered = merchant.checkout.sci as { checkout_ref: string; secret_key: string; test_key: string };
    keys = { secretKey: answered.secret_key, testKey: answered.test_key, algorithm };
    return { shop, merchant, ref: answered.checkout_ref, keys };
  }

  /** The order the shop's page offers: what a CMS module puts in its form. */
  const order = (ref: string, extra: Record<string, string> = {}) => ({
    ik_co_id: ref,
    ik_pm_no: `ORD-${randomToken(8)}`,
    ik_am: '50.00',
    ik_cur: 'RUB',
    ik_desc: 'Заказ №1 в магазине',
    ik_x_customer: 'client-7',
    ...extra,
  });

  const asBuyer = (run: (page: Page) => Promise<void>, failureShot: string, javaScriptEnabled = true) =>
    asBuyerIn(browser, run, failureShot, javaScriptEnabled);

  /** From the shop's page to the sandbox's approval, landing on Kassa's result page. */
  async function payAtKassa(page: Page, shop: SciShop) {
    await page.goto(`${shop.base}/checkout`);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(`${stack.url}/pay/`)), page.click('#pay')]);
    expect(await page.textContent('.amount')).toBe(translator('en').money(5000n, 'RUB'));
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${stack.sandboxUrl}/checkout/`)),
      page.click('button[name=method][value=sandbox_card]'),
    ]);
    await Promise.all([
      page.waitForURL((url) => url.pathname.endsWith('/return')),
      page.getByRole('button', { name: 'Approve', exact: true }).click(),
    ]);
    await page.waitForSelector('h1:has-text("Payment received")', { timeout: 30_000 });
    return new URL(page.url()).pathname.split('/')[2]!;
  }

  test('md5, the way back by GET: the buyer pays, the interaction verifies, the buyer lands on the shop’s success URL', async () => {
    const { shop, merchant, ref, keys } = await interkassaShop('md5');
    const fields = order(ref);
    shop.offer(`${stack.url}/sci/`, fields);

    await asBuyer(async (page) => {
      const paymentId = await payAtKassa(page, shop);
      await page.screenshot({ path: artifactPath('sci-browser-result.png'), fullPage: true });
      // on its own, after a few seconds
      await page.waitForURL((url) => url.href.startsWith(`${shop.base}/success`), { timeout: 20_000 });
      expect(await page.textContent('#state')).toBe('success');
      const landing = shop.landings.at(-1)!;
      expect(landing).toMatchObject({ path: '/success', method: 'GET' });
      expect(landing.fields).toEqual({
        ik_co_id: ref,
        ik_inv_id: paymentId,
        ik_inv_st: 'success',
        ik_pm_no: fields.ik_pm_no,
      });

      const [interaction] = await shop.waitForInteractions(1);
      expect(interaction).toMatchObject({ verified: true, keyUsed: 'test', status: 200, method: 'POST' });
      expect(interaction!.fields).toMatchObject({
        ik_co_id: ref,
        ik_inv_id: paymentId,
        ik_inv_st: 'success',
        ik_pm_no: fields.ik_pm_no,
        ik_am: '50.00',
        ik_cur: 'RUB',
        ik_desc: fields.ik_desc,
        ik_x_customer: 'client-7',
      });
      expect(interaction!.fields.ik_sign).toBeDefined();
      expect(keys.testKey).not.toBe(keys.secretKey);
      expect(await paymentOf(stack, merchant.testKey, paymentId)).toMatchObject({
        status: 'paid',
        order_id: fields.ik_pm_no,
      });
    }, 'sci-browser-get-FAILED.png');
  });

  test('sha256, the form’s own success URL by POST: the result page submits a form to the shop by itself', async () => {
    const { shop, ref } = await interkassaShop('sha256', { url_override: true, interaction_method: 'GET' });
    const fields = order(ref, { ik_suc_u: `${shop.base}/thanks`, ik_suc_m: 'POST', ik_am: '50' });
    shop.offer(`${stack.url}/sci`, fields);

    await asBuyer(async (page) => {
      const paymentId = await payAtKassa(page, shop);
      expect(await page.isVisible('#back-to-shop')).toBe(true);
      await page.waitForURL(`${shop.base}/thanks`, { timeout: 20_000 });
      const landing = shop.landings.at(-1)!;
      expect(landing).toMatchObject({ path: '/thanks', method: 'POST' });
      expect(landing.contentType).toMatch(/^application\/x-www-form-urlencoded/);
      expect(landing.fields).toEqual({
        ik_co_id: ref,
        ik_inv_id: paymentId,
        ik_inv_st: 'success',
        ik_pm_no: fields.ik_pm_no,
      });
      const [interaction] = await shop.waitForInteractions(1);
      expect(interaction).toMatchObject({ verified: true, keyUsed: 'test', status: 200, method: 'GET' });
      expect(interaction!.fields).toMatchObject({ ik_inv_st: 'success', ik_am: '50' });
    }, 'sci-browser-post-FAILED.png');
  });

  test('without JavaScript, the buyer goes back by POST with the button the page shows', async () => {
    const { shop, ref } = await interkassaShop('md5', { url_override: true });
    const fields = order(ref, { ik_suc_u: `${shop.base}/thanks`, ik_suc_m: 'POST' });
    shop.offer(`${stack.url}/sci/`, fields);

    await asBuyer(
      async (page) => {
        const paymentId = await payAtKassa(page, shop);
        await Promise.all([page.waitForURL(`${shop.base}/thanks`), page.click('#back-to-shop')]);
        expect(shop.landings.at(-1)).toMatchObject({
          path: '/thanks',
          method: 'POST',
          fields: { ik_co_id: ref, ik_inv_id: paymentId, ik_inv_st: 'success', ik_pm_no: fields.ik_pm_no },
        });
      },
      'sci-browser-nojs-FAILED.png',
      false,
    );
  });

  test('a form changed after it was signed is refused with a page naming ik_sign, and no payment is made', async () => {
    const { shop, ref } = await interkassaShop('md5');
    const fields = order(ref);
    shop.offer(`${stack.url}/sci/`, fields, { ik_am: '1.00' });

    await asBuyer(async (page) => {
      await page.goto(`${shop.base}/checkout`);
      const [answer] = await Promise.all([
        page.waitForResponse((response) => new URL(response.url()).pathname === '/sci/'),
        page.click('#pay'),
      ]);
      expect(answer.status()).toBe(400);
      expect(await page.textContent('body')).toContain('ik_sign');
    }, 'sci-browser-tampered-FAILED.png');
    const { rows } = await db.query('select id from payments where order_id = $1', [fields.ik_pm_no]);
    expect(rows).toEqual([]);
    expect(shop.interactions).toEqual([]);
  });
});
