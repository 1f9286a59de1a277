import type { Browser, Page } from 'playwright-core';
import { describeWithBrowser, launchBrowser, asBuyerIn } from '../support/browser';
import {
  api,
  createTestPayment,
  eventually,
  paymentOf,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';
import { startWebMoneySimulator, type WebMoneySimulator } from '../support/webmoney-simulator';

// A buyer's browser paying through WebMoney: Kassa's page, the form it posts, WebMoney's page, back.
jest.setTimeout(60_000);

describeWithBrowser('a buyer paying with WebMoney in a real browser', __filename, () => {
  let stack: TestStack;
  let browser: Browser;
  let sim: WebMoneySimulator;

  beforeAll(async () => {
    browser = await launchBrowser();
    sim = await startWebMoneySimulator();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
  });
  stackForFile((running) => ({ stack } = running));
  const newShop = shopsFor(() => stack);

  beforeAll(async () => {
    const created = await api(stack.url, 'POST', '/admin/connectors', {
      token: stack.adminToken,
      body: { provider: 'webmoney', mode: 'test', credentials: sim.credentials(), methods: ['webmoney_wallet'] },
    });
    expect(created.status).toBe(201);
  });

  const asBuyer = (run: (page: Page) => Promise<void>, failureShot: string) => asBuyerIn(browser, run, failureShot);

  /** Kassa's method page → WebMoney (the form posts itself) → WebMoney's page. */
  async function toWebMoney(page: Page, checkoutUrl: string) {
    await page.goto(checkoutUrl);
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${sim.url}/lmi/pay/`)),
      page.click('button[name=method][value=webmoney_wallet]'),
    ]);
    expect(await page.textContent('h1')).toBe('50.00 WMP');
  }

  test('Pay at WebMoney: back on Kassa’s page, the payment received', async () => {
    const shop = await newShop();
    const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
    await asBuyer(async (page) => {
      await toWebMoney(page, payment.checkout_url);
      await Promise.all([
        page.waitForURL(`${stack.url}/pay/${payment.id}/return`),
        page.getByRole('button', { name: 'Pay', exact: true }).click(),
      ]);
      await page.waitForSelector('h1:has-text("Payment received")', { timeout: 30_000 });
    }, 'webmoney-browser-paid.png');
    expect((await paymentOf(stack, shop.testKey, payment.id)).status).toBe('paid');
  });

  test('Refuse at WebMoney: back through Kassa to the method page, another method offered', async () => {
    const shop = await newShop();
    const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
    await asBuyer(async (page) => {
      await toWebMoney(page, payment.checkout_url);
      await Promise.all([
        page.waitForURL(`${stack.url}/pay/${payment.id}/return`),
        page.getByRole('button', { name: 'Refuse', exact: true }).click(),
      ]);
      await eventually(
        () => paymentOf(stack, shop.testKey, payment.id),
        (p) => p.status === 'awaiting_method',
      );
      await page.goto(payment.checkout_url);
      expect(await page.isVisible('button[name=method][value=sandbox_card]')).toBe(true);
    }, 'webmoney-browser-refused.png');
  });
});
