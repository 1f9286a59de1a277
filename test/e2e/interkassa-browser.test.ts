import type { Browser, Page } from 'playwright-core';
import { describeWithBrowser, launchBrowser, asBuyerIn } from '../support/browser';
import { type InterkassaSimulator, startInterkassaSimulator } from '../support/interkassa-simulator';
import {
  api,
  createTestPayment,
  eventually,
  paymentOf,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';

// A buyer's browser paying through Interkassa: Kassa's page, the SCI form it posts, Interkassa's page, back.
jest.setTimeout(60_000);

describeWithBrowser('a buyer paying through Interkassa in a real browser', __filename, () => {
  let stack: TestStack;
  let browser: Browser;
  let sim: InterkassaSimulator;

  beforeAll(async () => {
    browser = await launchBrowser();
    sim = await startInterkassaSimulator();
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
      body: { provider: 'interkassa', mode: 'test', credentials: sim.credentials, methods: ['interkassa_checkout'] },
    });
    expect(created.status).toBe(201);
  });

  const asBuyer = (run: (page: Page) => Promise<void>, failureShot: string) => asBuyerIn(browser, run, failureShot);

  /** Kassa's method page → Interkassa's SCI (the signed form posts itself) → Interkassa's page. */
  async function toInterkassa(page: Page, checkoutUrl: string) {
    await page.goto(checkoutUrl);
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${sim.url}/pay/`)),
      page.click('button[name=method][value=interkassa_checkout]'),
    ]);
    expect(await page.textContent('h1')).toBe('Interkassa');
    expect(await page.textContent('body')).toContain('Test payment system');
  }

  test('Approve at Interkassa: back on Kassa’s page, the payment received', async () => {
    const shop = await newShop();
    const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
    await asBuyer(async (page) => {
      await toInterkassa(page, payment.checkout_url);
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(`${stack.url}/pay/${payment.id}/return`)),
        page.getByRole('button', { name: 'Approve', exact: true }).click(),
      ]);
      await page.waitForSelector('h1:has-text("Payment received")', { timeout: 30_000 });
    }, 'interkassa-browser-paid.png');
    expect((await paymentOf(stack, shop.testKey, payment.id)).status).toBe('paid');
  });

  test('Decline at Interkassa: back through Kassa to the method page, another method offered', async () => {
    const shop = await newShop();
    const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
    await asBuyer(async (page) => {
      await toInterkassa(page, payment.checkout_url);
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(`${stack.url}/pay/${payment.id}/return`)),
        page.getByRole('button', { name: 'Decline', exact: true }).click(),
      ]);
      await eventually(
        () => paymentOf(stack, shop.testKey, payment.id),
        (p) => p.status === 'awaiting_method',
      );
      await page.goto(payment.checkout_url);
      expect(await page.isVisible('button[name=method][value=sandbox_card]')).toBe(true);
    }, 'interkassa-browser-declined.png');
  });
});
