import http from 'node:http';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { expectNoSeriousViolations } from '../support/axe';
import { artifactPath, describeWithBrowser, launchBrowser, payWithSandboxCard } from '../support/browser';
import { getPage, type MerchantUser, newMerchantUser, postForm, useSessionIn } from '../support/cabinet';
import { api, eventually, startTestStack, type TestStack } from '../support/stack';

// A merchant sets up a checkout in the cabinet, in a real browser: every tab, the site verified
// against a real site, the home checklist, Russian, other merchants' checkouts, forged forms.
jest.setTimeout(60_000);

const screenshots = process.env.UPDATE_SCREENSHOTS === '1';
const docsImage = (name: string) => path.resolve(__dirname, '../../docs/img', name);

/** The merchant's site: serves whatever verification token it is given. */
async function startSite() {
  const site = { token: '', url: '', close: async () => {} };
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/kassa-verification.txt' && site.token) {
      res.setHeader('content-type', 'text/plain');
      res.end(`${site.token}\n`);
      return;
    }
    res.statusCode = 404;
    res.end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  site.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return site;
}

describeWithBrowser('the cabinet checkout screens', __filename, () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let merchant: MerchantUser;
  let other: MerchantUser;
  let site: Awaited<ReturnType<typeof startSite>>;
  let checkoutId = '';

  beforeAll(async () => {
    [browser, stack, site] = await Promise.all([launchBrowser(), startTestStack(), startSite()]);
    [merchant, other] = await Promise.all([
      newMerchantUser(stack, { name: 'Flower shop' }),
      newMerchantUser(stack, { name: 'Other shop' }),
    ]);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await useSessionIn(context, stack, merchant);
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await site?.close();
    await stack?.close();
  });

  const open = async (pathname: string) => (await page.goto(`${stack.url}${pathname}`))!.status();
  /** Clicks a submit button and answers the status of the page the form leads to. */
  const submit = async (selector: string) => {
    const [response] = await Promise.all([page.waitForNavigation() as Promise<Response | null>, page.click(selector)]);
    return response!.status();
  };
  const text = async (selector: string) => (await page.locator(selector).innerText()).replace(/\u00a0|\u202f/g, ' ');
  const shot = async (name: string) => {
    if (screenshots) await page.screenshot({ path: docsImage(name) });
  };
  const onFailure = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      await page.screenshot({ path: artifactPath(name), fullPage: true }).catch(() => undefined);
      throw error;
    }
  };
  const tab = (name: string) => `/dashboard/checkouts/${checkoutId}/${name}`;

  test('a merchant creates a checkout, saves every tab, verifies the site, and the checklist ticks', async () => {
    await onFailure('web-cabinet-checkouts-english.png', async () => {
      expect(await open('/dashboard')).toBe(200);
      expect(await page.locator('#checklist li.done').count()).toBe(0);

      // the checklist's first step leads to the form; what is refused is named at its field and kept
      await Promise.all([page.waitForURL(/\/checkouts\/new$/), page.click('[data-step=checkout] a')]);
      await page.fill('#f-site_url', 'shop dot example');
      expect(await submit('#create-checkout')).toBe(400);
      expect(await text('#f-site_url-error')).toContain('Enter a full address starting with https://');
      expect(await text('#f-name-error')).toContain('Enter a name');
      expect(await page.inputValue('#f-site_url')).toBe('shop dot example');
      await expectNoSeriousViolations(page);

      expect(await page.inputValue('#f-type')).toBe('website');
      await page.selectOption('#f-type', 'mobile_app');
      await page.fill('#f-name', 'Flower shop');
      await page.fill('#f-site_url', site.url);
      await page.check('input[name=currencies][value=USD]');
      expect(await submit('#create-checkout')).toBe(201);
      checkoutId = /co_[0-9A-Za-z]+/.exec(await text('.checkout-meta'))?.[0] ?? '';
      expect(checkoutId).toMatch(/^co_/);
      expect(await text('#webhook-secret')).toMatch(/^whsec_/);

      // Verification: the token served by the real site, "Verify now", the page follows until verified
      site.token = await text('#verification-token');
      expect(await text('#verification-file-url')).toBe(`${site.url}/.well-known/kassa-verification.txt`);
      await expectNoSeriousViolations(page);
      expect(await submit('#verify-now')).toBe(200);
      expect(page.url()).toMatch(/\/verification\?checking=1$/);
      await eventually(
        () => api(stack.url, 'GET', `/v1/checkouts/${checkoutId}`, { token: merchant.testKey }),
        (answer) => answer.body.verification.status === 'verified',
        20_000,
      );
      expect(await open(tab('verification'))).toBe(200);
      expect(await text('#verification-result')).toMatch(/^Your site is verified/);
      expect(await page.locator('#verify-now').count()).toBe(0);
      await shot('cabinet-checkout-verification.png');

      // General: saved values shown again; a bad colour is named and kept
      expect(await open(tab('general'))).toBe(200);
      expect(await page.inputValue('#f-type')).toBe('mobile_app');
      await page.selectOption('#f-type', 'other');
      await page.fill('#f-name', 'Flower shop & co');
      await page.selectOption('#f-locale', 'ru');
      await page.fill('#f-branding-color', '#0A7D5A');
      expect(await submit('#save-general')).toBe(200);
      expect(await text('#saved')).toBe('Saved.');
      expect(await page.inputValue('#f-name')).toBe('Flower shop & co');
      expect(await page.inputValue('#f-type')).toBe('other');
      expect(await page.inputValue('#f-locale')).toBe('ru');
      expect(await page.inputValue('#f-branding-color')).toBe('#0a7d5a');
      expect(await page.isChecked('input[name=currencies][value=USD]')).toBe(true);
      await expectNoSeriousViolations(page);
      await shot('cabinet-checkout-general.png');
      await page.fill('#f-branding-color', 'green');
      expect(await submit('#save-general')).toBe(400);
      expect(await text('#f-branding-color-error')).toContain('#rrggbb');
      expect(await page.inputValue('#f-branding-color')).toBe('green');

      // Payments: the buyer pays the commission, one method only from 10 RUB; the preview follows
      expect(await open(tab('payments'))).toBe(200);
      await page.check('input[name=fee_payer][value=buyer]');
      await page.uncheck('#f-methods-sandbox_wallet-enabled');
      await page.fill('#f-methods-sandbox_card-min_amount-RUB', '10.00');
      expect(await submit('#save-payments')).toBe(200);
      expect(await text('#saved')).toBe('Saved.');
      expect(await page.isChecked('input[name=fee_payer][value=buyer]')).toBe(true);
      expect(await page.isChecked('#f-methods-sandbox_wallet-enabled')).toBe(false);
      expect(await page.inputValue('#f-methods-sandbox_card-min_amount-RUB')).toBe('10.00');
      expect(await page.locator('#preview-table tr[data-method=sandbox_wallet]').count()).toBe(0);
      expect(await text('#preview-table tr[data-method=sandbox_card]')).toContain('RUB 103.00');
      await page.fill('#f-amount', '5');
      await page.locator('#preview-empty').waitFor();
      await page.fill('#f-amount', '50');
      await page.locator('#preview-table tr[data-method=sandbox_card]').waitFor();
      expect(await text('#preview-table tr[data-method=sandbox_card]')).toContain('RUB 51.50');
      await expectNoSeriousViolations(page);
      await page.evaluate(() => window.scrollTo(0, 0));
      await shot('cabinet-checkout-payments.png');
      await page.fill('#f-methods-sandbox_card-max_amount-RUB', '5.00');
      expect(await submit('#save-payments')).toBe(400);
      expect(await text('#f-methods-sandbox_card-max_amount-RUB-error')).toContain('max_amount.RUB is below');

      // Interface: notification URL, Interkassa forms on: their keys shown once
      expect(await open(tab('interface'))).toBe(200);
      await page.fill('#f-notify_url', 'https://shop.example/kassa/notify');
      await page.check('#f-sci-enabled');
      await page.fill('#f-sci-interaction_url', 'https://shop.example/kassa/interaction');
      await page.selectOption('#f-sci-interaction_method', 'GET');
      expect(await submit('#save-interface')).toBe(200);
      expect(await text('#sci-secret-key')).toMatch(/^[0-9A-Za-z]{32}$/);
      expect(await page.inputValue('#f-notify_url')).toBe('https://shop.example/kassa/notify');
      expect(await page.inputValue('#f-sci-interaction_method')).toBe('GET');
      expect(await text('#sci-checkout-ref')).toMatch(/^[0-9a-f]{24}$/);
      await expectNoSeriousViolations(page);
      await shot('cabinet-checkout-interface.png');

      // Security: the algorithm saved; a new webhook secret and new keys, each shown once
      expect(await open(tab('security'))).toBe(200);
      expect(await text('#sci-secret-masked')).toMatch(/^\*{8}/);
      await page.selectOption('#f-sci-sign_algorithm', 'sha256');
      expect(await submit('#save-security')).toBe(200);
      expect(await page.inputValue('#f-sci-sign_algorithm')).toBe('sha256');
      expect(await submit('#rotate-secret')).toBe(200);
      expect(await text('#webhook-secret')).toMatch(/^whsec_/);
      expect(await text('#previous-secret')).toContain('The previous secret also signs until');
      expect(await submit('#rotate-sci-keys')).toBe(200);
      const newKey = await text('#sci-secret-key');
      expect(newKey).toMatch(/^[0-9A-Za-z]{32}$/);
      expect(await text('#sci-secret-masked')).toBe(`********${newKey.slice(-4)}`);
      expect((await page.content()).split(newKey).length - 1).toBe(1);
      await expectNoSeriousViolations(page);
      await shot('cabinet-checkout-security.png');
      const stored = await api(stack.url, 'GET', `/v1/checkouts/${checkoutId}`, { token: merchant.testKey });
      expect(stored.body).toMatchObject({
        name: 'Flower shop & co',
        currencies: ['RUB', 'USD'],
        fee_payer: 'buyer',
        locale: 'ru',
        branding: { color: '#0a7d5a' },
        methods: [{ method: 'sandbox_card', min_amount: { RUB: '10.00' } }],
        notify_url: 'https://shop.example/kassa/notify',
        verification: { status: 'verified' },
        sci: { sign_algorithm: 'sha256', interaction_method: 'GET', enabled: true },
      });

      // the checklist: three steps done, then a 50 RUB test payment paid at the sandbox ticks the fourth
      expect(await open('/dashboard')).toBe(200);
      expect(await page.locator('#checklist li.done').count()).toBe(3);
      expect(await page.locator('[data-step=testPayment].todo').count()).toBe(1);
      await Promise.all([page.waitForURL(/\/payments\/test$/), page.click('[data-step=testPayment] a')]);
      await Promise.all([page.waitForURL(/\/pay\/pay_/), page.click('#test-payment button[type=submit]')]);
      const paymentId = /\/pay\/(pay_[A-Za-z0-9]+)/.exec(page.url())![1]!;
      await payWithSandboxCard(page, stack, paymentId);
      await eventually(
        () => api(stack.url, 'GET', `/v1/payments/${paymentId}`, { token: merchant.testKey }),
        (answer) => answer.body.status === 'paid',
      );
      expect(await open('/dashboard')).toBe(200);
      expect(await page.locator('#checklist li.done').count()).toBe(4);
      expect(await text('#recent-payments')).toContain('Paid');
      await expectNoSeriousViolations(page);
      await shot('cabinet-home.png');
    });
  });

  test('the same screens in Russian: a new checkout, its errors and a tab', async () => {
    await onFailure('web-cabinet-checkouts-russian.png', async () => {
      expect(await open('/dashboard/checkouts')).toBe(200);
      expect(await submit('.locale-switch button')).toBe(200);
      expect(await page.getAttribute('html', 'lang')).toBe('ru');
      expect(await text('#checkout-list')).toContain('Flower shop & co');
      await expectNoSeriousViolations(page);

      await Promise.all([page.waitForURL(/\/checkouts\/new$/), page.click('#new-checkout')]);
      expect(await page.inputValue('#f-locale')).toBe('ru');
      await page.fill('#f-site_url', 'https://romashka.example');
      expect(await submit('#create-checkout')).toBe(400);
      expect(await text('#f-name-error')).toContain('Введите название');
      expect(await text('#form-errors')).toContain('Проверьте 1 поле');
      await page.fill('#f-name', 'Магазин «Ромашка»');
      expect(await submit('#create-checkout')).toBe(201);
      expect(await text('#saved')).toContain('Касса создана');
      expect(await text('#verification-result')).toBe('Сайт ещё не подтверждён.');
      await expectNoSeriousViolations(page);

      await page.click('.tabs a[href$="/interface"]');
      await page.waitForURL(/\/interface$/);
      await page.fill('#f-notify_url', 'ftp://romashka.example');
      expect(await submit('#save-interface')).toBe(400);
      expect(await text('#f-notify_url-error')).toContain('Введите полный адрес');
      expect(await page.inputValue('#f-notify_url')).toBe('ftp://romashka.example');
      await page.fill('#f-notify_url', 'https://romashka.example/notify');
      expect(await submit('#save-interface')).toBe(200);
      expect(await text('#saved')).toBe('Сохранено.');

      // mobile first: at 375 px no screen scrolls sideways
      await page.setViewportSize({ width: 375, height: 800 });
      for (const name of ['general', 'payments', 'interface', 'security', 'verification']) {
        expect(await open(tab(name))).toBe(200);
        expect({ name, width: await page.evaluate(() => document.documentElement.scrollWidth) }).toEqual({
          name,
          width: 375,
        });
      }
      if (screenshots) await page.screenshot({ path: artifactPath('cabinet-checkout-375.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      expect(await submit('.locale-switch button')).toBe(200);
    });
  });

  test("another merchant's checkout is not found, a form without its token is refused, and what merchants type renders as text", async () => {
    for (const name of ['general', 'payments', 'interface', 'security', 'verification'])
      expect((await getPage(stack, other, tab(name))).status).toBe(404);
    expect((await postForm(stack, other, tab('general'), { name: 'Taken', site_url: site.url })).status).toBe(404);
    expect((await postForm(stack, other, `${tab('security')}/rotate-secret`)).status).toBe(404);
    expect((await postForm(stack, other, tab('verification'))).status).toBe(404);
    expect((await getPage(stack, merchant, '/dashboard/checkouts/co_nosuchcheckout1/general')).status).toBe(404);

    // the preview without a script: the same page, computed on the server, a bad amount named at its field
    const preview = await getPage(stack, merchant, `${tab('payments')}?amount=50&currency=RUB`);
    expect(preview.status).toBe(200);
    expect(preview.text.replace(/\u00a0|\u202f/g, ' ')).toContain('RUB 51.50');
    const badAmount = await getPage(stack, merchant, `${tab('payments')}?amount=fifty&currency=RUB`);
    expect(badAmount.status).toBe(400);
    expect(badAmount.text).toContain('id="f-amount-error"');

    const fields = { name: 'Forged', site_url: site.url, currencies: 'RUB', locale: 'en' };
    const noToken = await fetch(`${stack.url}${tab('general')}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: merchant.cookie },
      body: new URLSearchParams(fields).toString(),
    });
    expect(noToken.status).toBe(403);
    expect((await postForm(stack, merchant, tab('general'), { ...fields, _csrf: 'forged' })).status).toBe(403);
    const still = await api(stack.url, 'GET', `/v1/checkouts/${checkoutId}`, { token: merchant.testKey });
    expect(still.body.name).toBe('Flower shop & co');

    const hostile = await api(stack.url, 'POST', '/v1/checkouts', {
      token: merchant.testKey,
      body: {
        name: '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>',
        site_url: `${site.url}/?q="><script>window.__pwned=3</script>`,
        currencies: ['RUB'],
        notify_url: 'https://shop.example/notify',
        success_url: 'https://shop.example/ok',
        fail_url: 'https://shop.example/fail',
        pending_url: 'https://shop.example/wait',
      },
    });
    expect(hostile.status).toBe(201);
    await onFailure('web-cabinet-checkouts-markup.png', async () => {
      for (const pathname of [
        '/dashboard',
        '/dashboard/checkouts',
        `/dashboard/checkouts/${hostile.body.id}/general`,
        `/dashboard/checkouts/${hostile.body.id}/verification`,
      ]) {
        expect(await open(pathname)).toBe(200);
        expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      }
      expect(await page.locator('img[src=x]').count()).toBe(0);
      expect(await text('.checkout-meta')).toContain('"><script>window.__pwned=3</script>');
      expect(await page.locator('h1').innerText()).toContain('<img src=x onerror="window.__pwned=1">');
    });

    // the live mode shows the live mode's checkouts: the test checkout is not found there
    expect(
      (await postForm(stack, merchant, '/dashboard/mode', { test_mode: 'false', back: '/dashboard' })).status,
    ).toBe(303);
    expect((await getPage(stack, merchant, tab('general'))).status).toBe(404);
    expect((await getPage(stack, merchant, '/dashboard/checkouts')).text).not.toContain(checkoutId);
    await postForm(stack, merchant, '/dashboard/mode', { test_mode: 'true', back: '/dashboard' });
  });
});
