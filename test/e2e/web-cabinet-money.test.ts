import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { verifyWebhook } from '../../src/domain/signatures';
import { expectNoSeriousViolations } from '../support/axe';
import { artifactPath, describeWithBrowser, launchBrowser, payWithSandboxCard } from '../support/browser';
import { getPage, type MerchantUser, newMerchantUser, postForm, signInBrowser } from '../support/cabinet';
import {
  api,
  createTestPayment,
  eventually,
  type Receiver,
  startReceiver,
  startTestStack,
  type TestStack,
} from '../support/stack';

// A merchant's money screens in a real browser: a test payment paid at the sandbox, its page, a
// resent webhook, a refund, a payout, the CSV export, API keys, a test webhook and channels.
jest.setTimeout(60_000);

const screenshots = process.env.UPDATE_SCREENSHOTS === '1';
const docsImage = (name: string) => path.resolve(__dirname, '../../docs/img', name);

describeWithBrowser('the cabinet money screens', __filename, () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let receiver: Receiver;
  let merchant: MerchantUser;
  let checkout: { id: string; webhook_secret: string };

  beforeAll(async () => {
    browser = await launchBrowser();
    [stack, receiver] = await Promise.all([startTestStack(), startReceiver()]);
    merchant = await newMerchantUser(stack, { name: 'Money shop' });
    const created = await api(stack.url, 'POST', '/v1/checkouts', {
      token: merchant.testKey,
      body: {
        name: 'Money shop',
        site_url: 'https://shop.example',
        currencies: ['RUB'],
        notify_url: receiver.url,
        success_url: 'https://shop.example/ok',
        fail_url: 'https://shop.example/fail',
        pending_url: 'https://shop.example/wait',
      },
    });
    expect(created.status).toBe(201);
    checkout = created.body;
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await signInBrowser(page, stack, merchant);
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await receiver?.close();
    await stack?.close();
  });

  const open = async (pathname: string) => {
    const answer = await page.goto(`${stack.url}${pathname}`);
    return answer!.status();
  };
  const shot = async (name: string) => {
    if (!screenshots) return;
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: docsImage(name) });
  };
  const onFailure = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      await page.screenshot({ path: artifactPath(name), fullPage: true }).catch(() => undefined);
      throw error;
    }
  };
  const paymentStatus = (id: string) =>
    api(stack.url, 'GET', `/v1/payments/${id}`, { token: merchant.testKey }).then((r) => r.body.status as string);
  const text = async (selector: string) => (await page.locator(selector).innerText()).replace(/\u00a0|\u202f/g, ' ');

  /** The test payment form → the hosted page → the sandbox's card → Approve: the payment's id once it is paid. */
  async function makeTestPaymentAndPay(amount: string | null): Promise<string> {
    expect(await open('/dashboard/payments/test')).toBe(200);
    if (amount) await page.fill('#t-amount', amount);
    await Promise.all([page.waitForURL(/\/pay\/pay_/), page.click('#test-payment button[type=submit]')]);
    const id = /\/pay\/(pay_[A-Za-z0-9]+)/.exec(page.url())![1]!;
    await payWithSandboxCard(page, stack, id);
    await eventually(
      () => paymentStatus(id),
      (status) => status === 'paid',
    );
    return id;
  }

  test('a test payment paid at the sandbox, its timeline, a resent webhook, a partial refund, a payout, the CSV, API keys, a test webhook and channels', async () => {
    await onFailure('web-cabinet-money-english.png', async () => {
      expect(await open('/dashboard/payments/test')).toBe(200);
      expect(await page.inputValue('#t-amount')).toBe('50.00');
      await expectNoSeriousViolations(page);
      const id = await makeTestPaymentAndPay(null);

      // the payment's page: paid, with its timeline, attempts and the webhook delivered
      await receiver.waitFor(1);
      expect(await open(`/dashboard/payments/${id}`)).toBe(200);
      expect(await text('#payment-status')).toBe('Paid');
      expect(await text('#payment-amount')).toBe('RUB 50.00');
      const timeline = await text('#timeline');
      for (const step of [
        'Payment created',
        'Method chosen: sandbox_card',
        'Attempt 1 at sandbox',
        'Paid',
        'Event: Payment paid',
      ])
        expect(timeline).toContain(step);
      expect(await text('#attempts')).toContain('sandbox_card');
      await expectNoSeriousViolations(page);
      await shot('cabinet-payment.png');

      // Resend the webhook: a real receiver gets the same event again, signed
      const before = receiver.received.length;
      await Promise.all([
        page.waitForURL(/notice=resent/),
        page.locator('#events button', { hasText: 'Resend webhook' }).first().click(),
      ]);
      expect(await text('#notice')).toContain('delivered');
      const [again] = (await receiver.waitFor(before + 1)).slice(before);
      expect(JSON.parse(again!.body)).toMatchObject({ type: 'payment.paid', data: { id } });
      expect(await page.locator('#delivery-log tbody tr').count()).toBeGreaterThanOrEqual(2);

      // a partial refund; too much is refused in place, naming the field
      await page.fill('#r-amount', '500.00');
      await page.click('#refund-form button[type=submit]');
      expect(await text('#form-error')).toBe('Amount: this is more than can still be refunded.');
      await page.fill('#r-amount', '10.00');
      await Promise.all([page.waitForURL(/notice=refunded/), page.click('#refund-form button[type=submit]')]);
      expect(await text('#refund-list')).toContain('RUB 10.00');
      await eventually(
        () => paymentStatus(id),
        (status) => status === 'partially_refunded',
      );
      await open(`/dashboard/payments/${id}`);
      expect(await text('#payment-status')).toBe('Partially refunded');
      expect(await text('#timeline')).toContain('Refund of RUB 10.00 requested');

      // the list finds it by its order id; the CSV export holds it with a decimal amount
      const orderId = (await text('#payment-order')).trim();
      expect(await open(`/dashboard/payments?order_id=${encodeURIComponent(orderId)}`)).toBe(200);
      expect(await page.locator('#payments tbody tr').count()).toBe(1);
      await expectNoSeriousViolations(page);
      await shot('cabinet-payments.png');
      const csv = await context.request.get(`${stack.url}/dashboard/payments.csv?status=partially_refunded`);
      expect(csv.status()).toBe(200);
      expect(csv.headers()['content-type']).toContain('text/csv');
      const lines = (await csv.text()).trim().split('\r\n');
      expect(lines[0]).toContain('id,created_at,order_id,status,amount,currency');
      expect(lines.find((line) => line.startsWith(id))).toContain(`,${orderId},partially_refunded,50.00,RUB,`);

      // a payout: a card number is refused and never echoed; a wallet pays out
      expect(await open('/dashboard/balance')).toBe(200);
      await page.fill('#p-amount', '5.00');
      await page.check('input[name=type][value=card]');
      await page.fill('#p-card', '4242 4242 4242 4242');
      await page.click('#payout-form button[type=submit]');
      expect(await page.content()).toContain('The field card_token looks like a payment card number.');
      expect(await page.content()).not.toContain('4242 4242 4242 4242');
      expect(await open('/dashboard/balance')).toBe(200);
      await page.check('input[name=type][value=wallet]');
      await page.fill('#p-amount', '5.00');
      await page.fill('#p-wallet', 'w_123456');
      await Promise.all([page.waitForURL(/notice=payout_created/), page.click('#payout-form button[type=submit]')]);
      expect(await text('#payout-list')).toContain('Wallet w_123456');
      expect(await text('#balance-current')).toContain('RUB');
      await expectNoSeriousViolations(page);
      await shot('cabinet-balance.png');

      // an API key: its secret shown once, working, then revoked
      expect(await open('/dashboard/developers')).toBe(200);
      await page.selectOption('#k-mode', 'test');
      await page.click('#issue-key button[type=submit]');
      const secret = await page.inputValue('#secret-value');
      expect((await api(stack.url, 'GET', '/v1/balance', { token: secret })).status).toBe(200);
      await expectNoSeriousViolations(page);
      await shot('cabinet-developers.png');
      await page
        .locator('#key-list tr', { hasText: secret.slice(0, 12) })
        .locator('button', { hasText: 'Rotate' })
        .click();
      const rotated = await page.inputValue('#secret-value');
      expect(rotated).not.toBe(secret);
      expect((await api(stack.url, 'GET', '/v1/balance', { token: secret })).status).toBe(401);
      expect((await api(stack.url, 'GET', '/v1/balance', { token: rotated })).status).toBe(200);
      expect(await open('/dashboard/developers')).toBe(200);
      expect(await page.content()).not.toContain(rotated);
      const row = page.locator('#key-list tr', { hasText: rotated.slice(0, 12) });
      await Promise.all([page.waitForURL(/notice=key_revoked/), row.locator('button', { hasText: 'Revoke' }).click()]);
      expect((await api(stack.url, 'GET', '/v1/balance', { token: rotated })).status).toBe(401);

      // a test webhook, signed with the checkout's secret
      const sent = receiver.received.length;
      await page.click('#test-webhook-form button[type=submit]');
      expect(await text('#test-webhook-result')).toContain('Delivered');
      const [test] = (await receiver.waitFor(sent + 1)).slice(sent);
      expect(JSON.parse(test!.body)).toMatchObject({ type: 'test', data: { checkout_id: checkout.id } });
      expect(
        verifyWebhook(
          checkout.webhook_secret,
          {
            id: test!.headers['webhook-id'] as string,
            timestamp: test!.headers['webhook-timestamp'] as string,
            signature: test!.headers['webhook-signature'] as string,
          },
          test!.body,
        ),
      ).toBe(true);

      // a Telegram channel added, listed and deleted
      expect(await open('/dashboard/channels')).toBe(200);
      await page.fill('#telegram-chat_id', '@bad');
      await page.click('#telegram-form button[type=submit]');
      expect(await text('#telegram .alert')).toContain('Chat ID');
      await page.fill('#telegram-chat_id', '-1001234567890');
      await page.fill('#telegram-bot_token', `123456789:${'A'.repeat(35)}`);
      await Promise.all([page.waitForURL(/notice=channel_saved/), page.click('#telegram-form button[type=submit]')]);
      expect(await text('#channel-list')).toContain('-1001234567890');
      expect(await page.content()).not.toContain('A'.repeat(35));
      await expectNoSeriousViolations(page);
      await shot('cabinet-channels.png');
      await Promise.all([
        page.waitForURL(/notice=channel_deleted/),
        page.locator('#telegram button', { hasText: 'Delete' }).click(),
      ]);
      expect(await page.locator('#channel-list tbody tr').count()).toBe(0);
    });
  });

  test('the same in Russian: a test payment, its page and a full refund', async () => {
    await onFailure('web-cabinet-money-russian.png', async () => {
      await open('/dashboard/payments');
      await Promise.all([page.waitForURL(/\/dashboard\/payments/), page.click('form.locale-switch button')]);
      expect(await page.getAttribute('html', 'lang')).toBe('ru');
      const id = await makeTestPaymentAndPay('75.50');
      expect(await open(`/dashboard/payments/${id}`)).toBe(200);
      expect(await text('h1')).toContain('Платёж по заказу');
      expect(await text('#payment-status')).toBe('Оплачен');
      expect(await text('#payment-amount')).toBe('75,50 ₽');
      expect(await text('#timeline')).toContain('Платёж создан');
      await Promise.all([page.waitForURL(/notice=refunded/), page.click('#refund-form button[type=submit]')]);
      expect(await text('#notice')).toContain('Возврат создан');
      await eventually(
        () => paymentStatus(id),
        (status) => status === 'refunded',
      );
      await open(`/dashboard/payments/${id}`);
      expect(await text('#payment-status')).toBe('Возвращён');
      await expectNoSeriousViolations(page);
      const today = new Date().toISOString().slice(0, 10);
      expect(
        await open(`/dashboard/payments?amount_min=60&amount_max=80&created_from=${today}&created_to=${today}`),
      ).toBe(200);
      expect(await page.locator('#payments tbody tr').count()).toBe(1);
      expect(await text('#payments')).toContain('75,50 ₽');
      expect(await open(`/dashboard/payments?created_from=${today}&currency=RUB`)).toBe(200);
      expect(await page.locator('#payments tbody tr').count()).toBe(2);
      expect(await open('/dashboard/payments?amount_min=abc')).toBe(400);
      expect(await text('#form-error')).toBe('Сумма от: введите сумму, например 50.00.');
      await Promise.all([page.waitForURL(/\/dashboard/), page.click('form.locale-switch button')]);
    });
  });

  test("another merchant's payment is 404, a form without its CSRF token is refused, and merchant text renders as text", async () => {
    const other = await newMerchantUser(stack, { name: 'Other shop' });
    const otherCheckout = await api(stack.url, 'POST', '/v1/checkouts', {
      token: other.testKey,
      body: {
        name: 'Other',
        site_url: 'https://other.example',
        currencies: ['RUB'],
        notify_url: 'https://other.example/notify',
        success_url: 'https://other.example/ok',
        fail_url: 'https://other.example/fail',
        pending_url: 'https://other.example/wait',
      },
    });
    const theirs = await createTestPayment(stack, other.testKey, otherCheckout.body.id);
    expect((await getPage(stack, merchant, `/dashboard/payments/${theirs.id}`)).status).toBe(404);
    expect(
      (await postForm(stack, merchant, `/dashboard/payments/${theirs.id}/refunds`, { amount: '1.00' })).status,
    ).toBe(404);
    expect((await getPage(stack, other, `/dashboard/payments/${theirs.id}`)).status).toBe(200);

    const noToken = await fetch(`${stack.url}/dashboard/balance/payouts`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: merchant.cookie },
      body: new URLSearchParams({ amount: '1.00', currency: 'RUB', type: 'wallet', wallet_id: 'w_123456' }).toString(),
    });
    expect(noToken.status).toBe(403);
    expect(
      (await postForm(stack, merchant, '/dashboard/developers/keys', { mode: 'test', _csrf: 'forged' })).status,
    ).toBe(403);

    const markup = `<script>window.__owned=1</script><img src=x onerror="window.__owned=2">`;
    const hostile = await createTestPayment(stack, merchant.testKey, checkout.id, {
      order_id: `<b id="bold">o</b>-${Date.now()}`,
      description: markup,
      metadata: { '<i id="ital">k</i>': markup },
    });
    // an open payment's page refreshes itself; once it ends, it does not
    expect((await getPage(stack, merchant, `/dashboard/payments/${hostile.id}`)).text).toContain(
      'http-equiv="refresh"',
    );
    const canceled = await api(stack.url, 'POST', `/v1/payments/${hostile.id}/cancel`, { token: merchant.testKey });
    expect(canceled.body.status).toBe('canceled');
    expect((await getPage(stack, merchant, `/dashboard/payments/${hostile.id}`)).text).not.toContain('http-equiv');
    await onFailure('web-cabinet-money-markup.png', async () => {
      expect(await open(`/dashboard/payments/${hostile.id}`)).toBe(200);
      expect(await text('#payment-description')).toBe(markup);
      expect(await text('#payment-order')).toBe(hostile.order_id);
      expect(await text('#metadata')).toContain(markup);
      expect(await page.locator('#bold, #ital, #summary img, #metadata img').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __owned?: number }).__owned)).toBeUndefined();
      await open(`/dashboard/payments?order_id=${encodeURIComponent(hostile.order_id)}`);
      expect(await text('#payments')).toContain(markup);
      expect(await page.evaluate(() => (window as unknown as { __owned?: number }).__owned)).toBeUndefined();

      // cursor pages, newest first: three payments one by one
      expect(await open('/dashboard/payments?limit=1')).toBe(200);
      const seen = [await text('#payments tbody')];
      expect(await page.locator('#first-page').count()).toBe(0);
      for (const _ of [1, 2]) {
        await Promise.all([page.waitForURL(/starting_after=/), page.click('#next-page')]);
        seen.push(await text('#payments tbody'));
        expect(await page.locator('#first-page').count()).toBe(1);
      }
      expect(new Set(seen).size).toBe(3);
      expect(seen[0]).toContain(markup);
      expect(await page.locator('#next-page').count()).toBe(0);
    });
  });
});
