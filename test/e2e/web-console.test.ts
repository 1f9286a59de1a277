import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { purchaseWorkflowId } from '../../src/workflows/shared';
import { expectNoSeriousViolations } from '../support/axe';
import { artifactPath, describeWithBrowser, launchBrowser } from '../support/browser';
import { heldForReview } from '../support/money';
import { api, createTestPayment, newShop, type Shop, startTestStack, type TestStack } from '../support/stack';

// An operator runs the console in a real browser: merchants, connectors, the review queue,
// reconciliation and payment lookup, in English and Russian.
jest.setTimeout(60_000);

const temporalUi = 'http://temporal-ui.example:8233/';
const operatorEmail = 'ops@kassa.example';
const password = 'console-pass-2026';
const screenshots = process.env.UPDATE_SCREENSHOTS === '1';

describeWithBrowser("the operator's console", __filename, () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let shop: Shop;

  beforeAll(async () => {
    [browser, stack] = await Promise.all([launchBrowser(), startTestStack({ TEMPORAL_UI_URL: temporalUi })]);
    shop = await newShop(stack);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await shop?.receiver.close();
    await stack?.close();
  });

  const console_ = (pathname = '') => `${stack.url}/admin/console${pathname}`;
  const shot = async (name: string) => {
    if (screenshots) await page.screenshot({ path: path.resolve(__dirname, `../../docs/img/console-${name}.png`) });
  };
  const csrfOf = async () => (await page.locator('input[name=_csrf]').first().inputValue()) as string;

  /** Follows a one-time invitation link in the browser and sets the password. */
  async function acceptInvitation(url: string) {
    await page.goto(url);
    await page.fill('#password', password);
    await page.fill('#password_repeat', password);
    await Promise.all([
      page.waitForURL((at) => !at.pathname.includes('/invitation/')),
      page.click('form button[type=submit]'),
    ]);
  }

  test('an operator signs in and runs merchants, connectors, the review queue, reconciliation and payment lookup', async () => {
    try {
      // A payment held for review, made while the operator signs in.
      const held = heldForReview(stack, shop.testKey, shop.checkout.id);

      const invited = await api(stack.url, 'POST', '/admin/operators', {
        token: stack.adminToken,
        body: { email: operatorEmail },
      });
      expect(invited.status).toBe(201);
      await acceptInvitation(invited.body.console_invite_url);
      expect(new URL(page.url()).pathname).toBe('/admin/console/merchants');
      await expect(page.locator('#signed-in-as').textContent()).resolves.toBe(operatorEmail);

      // Merchants: one is created; its name, full of markup, stays text; its invitation link is shown.
      const name = `<img src=x onerror="window.pwned=1">Чайная <b>Лавка</b>`;
      await page.fill('#merchant-name', name);
      await page.fill('#merchant-email', 'tea@shop.example');
      await Promise.all([page.waitForSelector('#invite-url'), page.click('#create-merchant button[type=submit]')]);
      const inviteUrl = await page.locator('#invite-url').inputValue();
      expect(inviteUrl).toMatch(new RegExp(`^${stack.url}/dashboard/invitation/`));
      await expect(page.locator('#key-test').inputValue()).resolves.toMatch(/^sk_test_/);
      await expect(page.locator('#created-merchant dd').first().textContent()).resolves.toBe(name);
      expect(await page.locator('#created-merchant img, #created-merchant b').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      await expectNoSeriousViolations(page);

      await api(stack.url, 'POST', '/admin/merchants', {
        token: stack.adminToken,
        body: { name: 'Northwind Coffee', email: 'hello@northwind.example' },
      });
      await page.goto(console_('/merchants'));
      const row = page.locator('#merchants tbody tr', { hasText: 'tea@shop.example' });
      await expect(row.locator('a').textContent()).resolves.toBe(name);
      await expectNoSeriousViolations(page);
      await shot('merchants');

      // The merchant's page: a key issued is shown once, a key revoked shows revoked.
      await row.locator('a').click();
      await expect(page.locator('h1').textContent()).resolves.toBe(name);
      expect(await page.locator('#keys tbody tr').count()).toBe(2);
      await page.selectOption('#key-mode', 'live');
      await Promise.all([page.waitForSelector('#new-key-secret'), page.click('#issue-key button')]);
      await expect(page.locator('#new-key-secret').inputValue()).resolves.toMatch(/^sk_live_/);
      await Promise.all([
        page.waitForURL(/done=keyRevoked/),
        page.locator('#keys tbody tr').first().locator('button.danger').click(),
      ]);
      await expect(page.locator('#notice').textContent()).resolves.toContain('revoked');
      await expect(page.locator('#keys tbody tr').first().textContent()).resolves.toContain('Revoked');
      await expect(page.locator('#team').textContent()).resolves.toContain('tea@shop.example');
      await expectNoSeriousViolations(page);
      const testKeyRow = page.locator('#keys tbody tr', { hasText: 'sk_test_' }).first();
      await Promise.all([
        page.waitForSelector('#new-key-secret'),
        testKeyRow.locator('button', { hasText: 'Rotate' }).click(),
      ]);
      await expect(page.locator('#new-key-secret').inputValue()).resolves.toMatch(/^sk_test_/);
      await expect(page.locator('#notice').textContent()).resolves.toContain('replaced by a new one');
      await page.fill('#invite-email', 'cashier@shop.example');
      await Promise.all([page.waitForSelector('#invite-url'), page.click('#reinvite button')]);
      await expect(page.locator('#invite-url').inputValue()).resolves.toMatch(/\/dashboard\/invitation\//);
      await expect(page.locator('#team').textContent()).resolves.toContain('cashier@shop.example');

      // Connectors: the sandbox is paused, then resumed, its state shown each time.
      const heldPayment = await held;
      await page.click('nav >> text=Connectors');
      const sandbox = page.locator('#connector-conn_sandboxFromConfig');
      await expect(sandbox.getAttribute('data-state')).resolves.toBe('active');
      await Promise.all([page.waitForURL(/done=paused/), sandbox.locator('button').click()]);
      await expect(page.locator('#notice').textContent()).resolves.toContain('paused');
      await expect(sandbox.getAttribute('data-state')).resolves.toBe('paused');
      await expect(sandbox.textContent()).resolves.toContain(`Paused by ${operatorEmail}`);
      await expectNoSeriousViolations(page);
      await shot('connectors');
      await Promise.all([page.waitForURL(/done=resumed/), sandbox.locator('button').click()]);
      await expect(sandbox.getAttribute('data-state')).resolves.toBe('active');

      // The review queue: the held payment is accepted into the ledger; the decision names the operator.
      await page.click('nav >> text=Review queue');
      const card = page.locator('article.exception', { hasText: heldPayment.id });
      await expect(card.textContent()).resolves.toContain('Payment held for review');
      await expect(card.textContent()).resolves.toMatch(/RUB\s51\.00/);
      await expectNoSeriousViolations(page);
      await shot('review');
      await card.locator('button', { hasText: 'Accept into the ledger' }).click();
      await page.waitForURL(console_(`/review/${heldPayment.id}?done=decided`));
      await expect(page.locator('.decision').first().textContent()).resolves.toContain(`Accepted by ${operatorEmail}`);
      await expectNoSeriousViolations(page);
      const decided = await api(stack.url, 'GET', `/admin/exceptions/${heldPayment.id}`, { token: stack.adminToken });
      expect(decided.body.decision).toMatchObject({ action: 'accept', operator: operatorEmail });

      // Reconciliation: none has run; one is run for today and listed.
      await page.click('nav >> text=Reconciliation');
      await expect(page.locator('#no-runs').isVisible()).resolves.toBe(true);
      await Promise.all([page.waitForURL(/done=reconciled/), page.click('#run-reconciliation button')]);
      await expect(page.locator('#latest-run').textContent()).resolves.toContain('Latest run');
      await expectNoSeriousViolations(page);

      // Another operator is invited: the one-time link is shown.
      await page.click('nav >> text=Operators');
      await page.fill('#operator-email', 'second@kassa.example');
      await Promise.all([page.waitForSelector('#operator-invite-url'), page.click('#invite-operator button')]);
      await expect(page.locator('#operator-invite-url').inputValue()).resolves.toMatch(
        new RegExp(`^${stack.url}/admin/console/invitation/`),
      );
      // the list: this operator active (marked as you), the new one invited
      const listed = await page.locator('#operator-list tbody tr').allTextContents();
      expect(listed.find((row) => row.includes('second@kassa.example'))).toContain('Invited');
      expect(listed.find((row) => row.includes('(you)'))).toContain('Active');
      await expectNoSeriousViolations(page);

      // Payment lookup: what a payment waits for, its attempts, and the link into the Temporal UI.
      const waiting = await createTestPayment(stack, shop.testKey, shop.checkout.id);
      await page.click('nav >> text=Payment lookup');
      await page.fill('#payment-id', waiting.id);
      await Promise.all([page.waitForURL(console_(`/payments/${waiting.id}`)), page.click('#payment-lookup button')]);
      await expect(page.locator('.waiting-summary').textContent()).resolves.toContain(
        'The buyer to choose a payment method',
      );
      await expect(page.locator('#temporal-link').getAttribute('href')).resolves.toBe(
        `${temporalUi}namespaces/${stack.kassa.config.temporal.namespace}/workflows/${purchaseWorkflowId(waiting.id)}`,
      );
      await expectNoSeriousViolations(page);
      await shot('payment');
      await page.goto(console_(`/payments/${heldPayment.id}`));
      await expect(page.locator('#attempts tbody tr').count()).resolves.toBeGreaterThan(0);
      await expect(page.locator('#events').textContent()).resolves.toContain('payment.paid');

      // In Russian: the switch keeps the screen; connectors and the review queue speak Russian.
      await Promise.all([page.waitForSelector('html[lang=ru]'), page.click('button[name=locale][value=ru]')]);
      expect(page.url()).toBe(console_(`/payments/${heldPayment.id}`));
      await expect(page.locator('html').getAttribute('lang')).resolves.toBe('ru');
      await expect(page.locator('#waiting-title').textContent()).resolves.toBe('Чего он ждёт');
      await page.click('nav >> text=Коннекторы');
      await expect(page.locator('h1').textContent()).resolves.toBe('Коннекторы');
      await expect(page.locator('#connector-conn_sandboxFromConfig').textContent()).resolves.toContain('Работает');
      await page.goto(console_('/review?status=decided'));
      await expect(page.locator('article.exception', { hasText: heldPayment.id }).textContent()).resolves.toContain(
        `Принял ${operatorEmail}`,
      );
      await expectNoSeriousViolations(page);

      // Refused input: a form without its token is 403; a field that is wrong is named, in Russian.
      const csrf = await csrfOf();
      const noToken = await page.request.post(console_('/merchants'), {
        form: { name: 'Sneaky', email: 'sneaky@shop.example' },
        maxRedirects: 0,
      });
      expect(noToken.status()).toBe(403);
      const badEmail = await page.request.post(console_('/merchants'), {
        form: { _csrf: csrf, name: 'Shop', email: 'not-an-address' },
        maxRedirects: 0,
      });
      expect(badEmail.status()).toBe(400);
      expect(await badEmail.text()).toContain('Проверьте поле «Эл. почта»');
      await page.goto(console_('/payments/pay_doesnotexist1'));
      await expect(page.locator('h1').textContent()).resolves.toBe('Не найдено');
      await expectNoSeriousViolations(page);
      await page.goto(console_('/review?status=maybe'));
      await expect(page.locator('#problem').textContent()).resolves.toContain('«Статус»');
      const search = async (query: string) => {
        const answer = await page.request.get(console_(`/merchants?${query}`));
        return { status: answer.status(), text: await answer.text() };
      };
      const northwind = await search('q=NORTHWIND');
      expect([northwind.status, northwind.text.includes('hello@northwind.example')]).toEqual([200, true]);
      expect(northwind.text).not.toContain('tea@shop.example');
      expect((await search('q=%25')).text).toContain('id="no-merchants"');
      expect((await search('q=a&q=b')).status).toBe(400);
      expect((await search('after=mer_nope')).status).toBe(400);

      // A merchant's cabinet session opens the cabinet, never the console.
      await context.clearCookies();
      await acceptInvitation(inviteUrl);
      expect(new URL(page.url()).pathname).toMatch(/^\/dashboard/);
      const merchantSession = (await context.cookies()).find((cookie) => cookie.name === 'kassa_session')!;
      expect(merchantSession).toBeDefined();
      await page.goto(console_('/merchants'));
      expect(new URL(page.url()).pathname).toBe('/admin/console/sign-in');
      await context.addCookies([{ name: 'kassa_console', value: merchantSession.value, url: console_('/') }]);
      await page.goto(console_('/merchants'));
      expect(new URL(page.url()).pathname).toBe('/admin/console/sign-in');
    } catch (error) {
      await page.screenshot({ path: artifactPath('web-console-failure.png') }).catch(() => undefined);
      throw error;
    }
  });
});
