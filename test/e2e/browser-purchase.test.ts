import type { Browser, Page } from 'playwright-core';
import { signReturn, verifyWebhook } from '../../src/domain/signatures';
import { translator } from '../../src/i18n';
import { artifactPath, describeWithBrowser, launchBrowser, asBuyerIn } from '../support/browser';
import { api, newShop, type Receiver, type Shop, startTestStack, type TestStack } from '../support/stack';

// A real buyer's browser against Kassa's hosted pages and the sandbox provider's page.
jest.setTimeout(60_000);

describeWithBrowser('a buyer in a real browser', __filename, () => {
  let stack: TestStack;
  let browser: Browser;
  let merchant: Shop;
  let receiver: Receiver;

  beforeAll(async () => {
    // Launch first: a missing Chromium fails here, before the slower stack starts.
    browser = await launchBrowser();
    stack = await startTestStack();
    merchant = await newShop(stack);
    receiver = merchant.receiver;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await stack?.close();
  });

  const asBuyer = (run: (page: Page) => Promise<void>, failureShot: string) => asBuyerIn(browser, run, failureShot);

  async function createPayment(delivery: Record<string, unknown>) {
    const created = await api(stack.url, 'POST', '/v1/payments', {
      token: merchant.testKey,
      body: {
        checkout_id: merchant.checkout.id,
        order_id: `B-${Math.random().toString(36).slice(2, 10)}`,
        amount: '50.00',
        currency: 'RUB',
        description: 'Test product',
        delivery,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.checkout_url).toBe(`${stack.url}/pay/${created.body.id}`);
    return created.body as { id: string; order_id: string; checkout_url: string };
  }

  /** On Kassa's method page: picks `method` and follows the redirect to the sandbox's page. */
  async function chooseMethod(page: Page, method: 'sandbox_card' | 'sandbox_wallet') {
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${stack.sandboxUrl}/checkout/`)),
      page.click(`button[name=method][value=${method}]`),
    ]);
    expect(await page.textContent('body')).toContain('50.00 RUB');
  }

  /** On the sandbox's page: Approve or Decline, landing on Kassa's return page. */
  async function actAtSandbox(page: Page, paymentId: string, action: 'Approve' | 'Decline') {
    await Promise.all([
      page.waitForURL(`${stack.url}/pay/${paymentId}/return`),
      page.getByRole('button', { name: action, exact: true }).click(),
    ]);
  }

  /** The return page refreshes itself while the callback is on its way: wait for the paid state. */
  async function waitForSuccess(page: Page) {
    await page.waitForSelector('h1:has-text("Payment received")', { timeout: 30_000 });
    expect(await page.textContent('h1')).toBe('Thank you! Payment received');
  }

  test('a buyer opens checkout_url, picks a card, approves at the sandbox and lands on the success page with the download link', async () => {
    const payment = await createPayment({ type: 'digital', download_url: 'https://shop.example/files/1.zip' });

    await asBuyer(async (page) => {
      const opened = await page.goto(payment.checkout_url);
      expect(opened?.status()).toBe(200);
      expect(await page.textContent('h1')).toBe('My shop');
      expect(await page.textContent('.amount')).toBe(translator('en').money(5000n, 'RUB'));
      expect(
        await page
          .locator('button[name=method]')
          .evaluateAll((buttons) => buttons.map((b) => (b as HTMLButtonElement).value)),
      ).toEqual(['sandbox_card', 'sandbox_wallet']);
      expect(await page.isVisible('button[name=method][value=sandbox_card]')).toBe(true);
      await page.screenshot({ path: artifactPath('browser-purchase-methods.png'), fullPage: true });

      await chooseMethod(page, 'sandbox_card');
      await actAtSandbox(page, payment.id, 'Approve');
      await waitForSuccess(page);

      const download = await page.getAttribute('#download', 'href');
      expect(download).toMatch(new RegExp(`^${stack.url}/pay/${payment.id}/download\\?expires=\\d+&token=[0-9a-f]+$`));
      // The link leads to the merchant's file (not followed in the browser: shop.example is not real).
      const followed = await fetch(download!, { redirect: 'manual' });
      expect(followed.status).toBe(302);
      expect(followed.headers.get('location')).toBe('https://shop.example/files/1.zip');

      const back = new URL((await page.getAttribute('#back-to-shop', 'href'))!);
      expect(back.href.startsWith('https://shop.example/ok')).toBe(true);
      expect(back.origin + back.pathname).toBe('https://shop.example/ok');
      expect(back.searchParams.get('payment_id')).toBe(payment.id);
      expect(back.searchParams.get('order_id')).toBe(payment.order_id);
      expect(back.searchParams.get('status')).toBe('paid');
      expect(back.searchParams.get('signature')).toBe(
        signReturn(merchant.checkout.webhook_secret, {
          paymentId: payment.id,
          orderId: payment.order_id,
          status: 'paid',
        }),
      );

      await page.screenshot({ path: artifactPath('browser-purchase-success.png'), fullPage: true });
    }, 'browser-purchase-success-FAILED.png');

    const paid = await api(stack.url, 'GET', `/v1/payments/${payment.id}`, { token: merchant.testKey });
    expect(paid.body).toMatchObject({ status: 'paid', method: 'sandbox_card' });

    // The merchant's receiver was told, with a valid Standard Webhooks signature.
    const webhook = await waitForWebhook('payment.paid', payment.id);
    expect(
      verifyWebhook(
        merchant.checkout.webhook_secret,
        {
          id: String(webhook.request.headers['webhook-id']),
          timestamp: String(webhook.request.headers['webhook-timestamp']),
          signature: String(webhook.request.headers['webhook-signature']),
        },
        webhook.request.body,
      ),
    ).toBe(true);
    expect(webhook.event.data).toMatchObject({ id: payment.id, status: 'paid', order_id: payment.order_id });
  });

  test('a physical order shows the delivery method and date', async () => {
    const payment = await createPayment({ type: 'physical', method: 'courier', eta_days: 3 });

    await asBuyer(async (page) => {
      await page.goto(payment.checkout_url);
      await chooseMethod(page, 'sandbox_card');
      await actAtSandbox(page, payment.id, 'Approve');
      await waitForSuccess(page);

      expect(await page.isVisible('#download')).toBe(false);
      const delivery = (await page.textContent('#delivery'))!;
      expect(delivery).toContain('courier');
      const { body } = await api(stack.url, 'GET', `/v1/payments/${payment.id}`, { token: merchant.testKey });
      expect(body.status).toBe('paid');
      expect(delivery).toContain(translator('en').date(new Date(Date.parse(body.paid_at) + 3 * 86_400_000)));
    }, 'browser-purchase-physical-FAILED.png');
  });

  test('a declined card sends the buyer back to choose another method', async () => {
    const payment = await createPayment({ type: 'digital', download_url: 'https://shop.example/files/1.zip' });

    await asBuyer(async (page) => {
      await page.goto(payment.checkout_url);
      await chooseMethod(page, 'sandbox_card');
      await actAtSandbox(page, payment.id, 'Decline');

      // Pending until the decline callback arrives, then the page offers another try.
      const tryAgain = await page.waitForSelector('#try-again', { timeout: 30_000 });
      expect(await tryAgain.textContent()).toBe('Choose another payment method');
      expect(await page.textContent('h1')).toBe('The payment did not go through');
      const back = new URL((await page.getAttribute('#back-to-shop', 'href'))!);
      expect(back.origin + back.pathname).toBe('https://shop.example/fail');
      await page.screenshot({ path: artifactPath('browser-purchase-declined.png'), fullPage: true });

      await Promise.all([page.waitForURL(payment.checkout_url), tryAgain.click()]);
      expect(await page.textContent('h1')).toBe('My shop');
      expect(await page.textContent('[role=alert]')).toContain('did not go through');
      expect(await page.isVisible('button[name=method][value=sandbox_wallet]')).toBe(true);

      await chooseMethod(page, 'sandbox_wallet');
      await actAtSandbox(page, payment.id, 'Approve');
      await waitForSuccess(page);
      expect(await page.isVisible('#download')).toBe(true);
      expect(new URL((await page.getAttribute('#back-to-shop', 'href'))!).searchParams.get('status')).toBe('paid');
    }, 'browser-purchase-declined-FAILED.png');

    const { body } = await api(stack.url, 'GET', `/v1/payments/${payment.id}`, { token: merchant.testKey });
    expect(body).toMatchObject({ status: 'paid', method: 'sandbox_wallet' });
  });

  /** The first webhook of `type` about payment `paymentId` that the merchant's receiver got. */
  async function waitForWebhook(type: string, paymentId: string, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const request of receiver.received) {
        const event = JSON.parse(request.body);
        if (event.type === type && event.data?.id === paymentId) return { request, event };
      }
      if (Date.now() > deadline) {
        throw new Error(
          `no ${type} webhook for ${paymentId}; got ${receiver.received.map((r) => JSON.parse(r.body).type).join(', ') || 'none'}`,
        );
      }
      await receiver.waitFor(receiver.received.length + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
    }
  }
});
