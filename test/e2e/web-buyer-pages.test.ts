import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Pool } from 'pg';
import { translator } from '../../src/i18n';
import { expectNoSeriousViolations } from '../support/axe';
import { describeWithBrowser, launchBrowser } from '../support/browser';
import { buyerActs, chooseMethod, paidPaymentWith } from '../support/money';
import { api, newShop, type Shop, startTestStack, type TestStack } from '../support/stack';

// The buyer's pages as a buyer sees them: the shop's brand, methods with icons and prices, two
// languages, phones and desktops, accessibility, and the way back to the shop.
jest.setTimeout(60_000);

const logoUrl = 'https://cdn.shop.example/logo.svg';
const logoSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 32" width="96" height="32"><rect width="96" height="32" rx="6" fill="#1d2330"/><circle cx="16" cy="16" r="9" fill="#ffcc00"/><rect x="32" y="12" width="52" height="8" rx="4" fill="#ffcc00"/></svg>';
const shopName = 'Tea & <b>Cakes</b>';

/** Saves a screenshot into docs/img only when UPDATE_SCREENSHOTS=1. */
async function screenshot(page: Page, name: string) {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  const dir = path.resolve(__dirname, '../../docs/img');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, name) });
}

const scrollWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

describeWithBrowser('the buyer pages', __filename, () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let shop: Shop;
  let db: Pool;
  /** A payment paid the way a buyer does it, made while the other tests run. */
  let paid: Promise<{ id: string }>;

  beforeAll(async () => {
    browser = await launchBrowser();
    stack = await startTestStack();
    db = new Pool({ connectionString: stack.databaseUrl, max: 1 });
    shop = await newShop(stack, [], {
      name: shopName,
      fee_payer: 'buyer',
      branding: { logo_url: logoUrl, color: '#FFCC00' },
    });
    paid = paidPaymentWith(stack, shop.testKey, shop.checkout.id, { amount: '1234.50' });
    paid.catch(() => undefined);
    context = await browser.newContext({ viewport: { width: 375, height: 740 } });
    await context.route(`${logoUrl}*`, (route) =>
      route.fulfill({ status: 200, contentType: 'image/svg+xml', body: logoSvg }),
    );
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await shop?.receiver.close();
    await db?.end();
    await stack?.close();
  });

  async function payment(extra: Record<string, unknown> = {}) {
    const created = await api(stack.url, 'POST', '/v1/payments', {
      token: shop.testKey,
      body: {
        checkout_id: shop.checkout.id,
        order_id: `A-${Math.random().toString(36).slice(2, 10)}`,
        amount: '1234.50',
        currency: 'RUB',
        description: 'Oolong, 250 g',
        ...extra,
      },
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; order_id: string; checkout_url: string };
  }

  async function open(url: string, acceptLanguage: string): Promise<Page> {
    await context.setExtraHTTPHeaders({ 'accept-language': acceptLanguage });
    const page = await context.newPage();
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    return page;
  }

  test('a checkout keeps its branding and default language through the API; its colour is a stylesheet', async () => {
    expect(shop.checkout.branding).toEqual({ logo_url: logoUrl, color: '#ffcc00' });
    expect(shop.checkout.locale).toBe('en');
    const patch = (body: unknown) =>
      api(stack.url, 'PATCH', `/v1/checkouts/${shop.checkout.id}`, { token: shop.testKey, body });
    const bad = await patch({ branding: { color: 'red' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('branding.color');
    const plain = await patch({ branding: { logo_url: 'http://cdn.shop.example/logo.svg' } });
    expect(plain.status).toBe(400);
    expect(JSON.stringify(plain.body)).toContain('branding.logo_url');
    // only the fields given change
    const changed = await patch({ branding: { color: '#0A7D5A' }, locale: 'ru' });
    expect(changed.status).toBe(200);
    expect(changed.body.branding).toEqual({ logo_url: logoUrl, color: '#0a7d5a' });
    expect(changed.body.locale).toBe('ru');
    const back = await patch({ branding: { color: '#ffcc00' }, locale: 'en' });
    expect(back.body.branding).toEqual({ logo_url: logoUrl, color: '#ffcc00' });

    const css = await fetch(`${stack.url}/pay/brand/${shop.checkout.id}.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    // yellow takes black text; links take the colour darkened until it reads on white
    expect(await css.text()).toBe(':root{--brand:#ffcc00;--brand-text:#000000;--brand-ink:#806600}\n');
    expect((await fetch(`${stack.url}/pay/brand/co_00000000nothing.css`)).status).toBe(404);

    // a wrong payment link or a stale download link: a page in the person's language, not a 5xx or JSON
    const missing = await fetch(`${stack.url}/pay/pay_doesnotexist000`, { headers: { 'accept-language': 'ru' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await missing.text()).toContain('<h1>Платёж не найден</h1>');
    const made = await payment();
    const stale = await fetch(`${stack.url}/pay/${made.id}/download?expires=1&token=00`);
    expect(stale.status).toBe(403);
    expect(await stale.text()).toContain('<h1>Download unavailable</h1>');
    // a tampered form: a 400 page naming the field
    const tampered = await fetch(`${stack.url}/pay/${made.id}/method`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'other=1',
    });
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toContain('(field: method)');
    const polled = await fetch(`${stack.url}/pay/pay_doesnotexist000/status`);
    expect(polled.status).toBe(404);
    expect(polled.headers.get('content-type')).toMatch(/json/);
  });

  test('the method page: brand, order, methods with icons and the buyer’s price, at 375 and 1280 px, accessible, markup as text', async () => {
    const made = await payment({
      order_id: `<i>A-${Date.now()}</i>`,
      description: '<script>document.title="pwned"</script><img src=x>',
    });
    const page = await open(made.checkout_url, 'en-US,en;q=0.9');
    const en = translator('en');

    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('h1')).toBe(shopName);
    expect(await page.locator('h1 b').count()).toBe(0);
    expect(await page.textContent('#order-id')).toBe(made.order_id);
    expect(await page.textContent('#order-description')).toBe('<script>document.title="pwned"</script><img src=x>');
    expect(await page.locator('main script, main img:not(.method-icon)').count()).toBe(0);
    expect(await page.title()).toContain(shopName);

    const logo = page.locator('img.shop-logo');
    expect(await logo.getAttribute('src')).toBe(logoUrl);
    expect(await logo.getAttribute('alt')).toBe(shopName);
    await page.waitForFunction(() => (document.querySelector('img.shop-logo') as HTMLImageElement).naturalWidth > 0);

    // the brand stylesheet's colour applies
    expect(
      await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()),
    ).toBe('#ffcc00');
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('.buyer-shop')!).borderBottomColor)).toBe(
      'rgb(255, 204, 0)',
    );

    expect(await page.textContent('.amount')).toBe(en.money(123450n, 'RUB'));
    expect(en.money(123450n, 'RUB')).toBe('RUB\u00a01,234.50');
    const methods = await page.locator('button[name=method]').evaluateAll((buttons) =>
      buttons.map((button) => ({
        code: (button as HTMLButtonElement).value,
        name: button.querySelector('.method-name')!.textContent,
        icon: (button.querySelector('img.method-icon') as HTMLImageElement).getAttribute('src'),
        loaded: (button.querySelector('img.method-icon') as HTMLImageElement).naturalWidth > 0,
        price: button.querySelector('.method-price')!.childNodes[0]!.textContent,
        fee: button.querySelector('.method-fee')?.textContent,
      })),
    );
    // the buyer pays the fee (3 %): the price shown is above the amount
    expect(methods).toEqual([
      {
        code: 'sandbox_card',
        name: 'Bank card (sandbox)',
        icon: '/assets/icons/card.svg',
        loaded: true,
        price: en.money(127154n, 'RUB'),
        fee: `includes a fee of ${en.money(3704n, 'RUB')}`,
      },
      {
        code: 'sandbox_wallet',
        name: 'E-wallet (sandbox)',
        icon: '/assets/icons/wallet.svg',
        loaded: true,
        price: en.money(127154n, 'RUB'),
        fee: `includes a fee of ${en.money(3704n, 'RUB')}`,
      },
    ]);
    expect(await page.textContent('#test-mode')).toBe('Test mode: no real money moves');

    expect(await scrollWidth(page)).toBeLessThanOrEqual(375);
    await expectNoSeriousViolations(page);
    await screenshot(page, 'buyer-methods-375.png');

    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await scrollWidth(page)).toBeLessThanOrEqual(1280);
    await screenshot(page, 'buyer-methods-1280.png');
    await page.close();
  });

  test('the language: ?locale= first, then the payment’s, then Accept-Language, then the checkout’s default', async () => {
    const made = await payment();
    const ru = translator('ru');

    // Accept-Language
    const page = await open(made.checkout_url, 'ru-RU,ru;q=0.9,en;q=0.5');
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    expect(await page.textContent('#choose-method')).toBe('Выберите способ оплаты');
    expect(await page.textContent('.amount')).toBe(ru.money(123450n, 'RUB'));
    expect(ru.money(123450n, 'RUB')).toBe('1\u00a0234,50\u00a0₽');
    expect(await page.textContent('.method-name')).toBe('Банковская карта (песочница)');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(375);
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, 'buyer-methods-ru.png');

    // the switch: a link to ?locale=en, kept for the pages that follow
    await Promise.all([page.waitForURL(/\?locale=en$/), page.click('.buyer-languages a[hreflang=en]')]);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#choose-method')).toBe('Choose how to pay');
    await page.goto(made.checkout_url);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.close();
    await context.clearCookies();

    // the payment's language wins over the browser's
    const langOf = async (url: string, acceptLanguage: string) => {
      const response = await fetch(url, { headers: { 'accept-language': acceptLanguage } });
      return /<html lang="(\w+)">/.exec(await response.text())?.[1];
    };
    const inRussian = await payment({ locale: 'ru' });
    expect(await langOf(inRussian.checkout_url, 'en-US,en;q=0.9')).toBe('ru');
    const unspoken = await api(stack.url, 'POST', '/v1/payments', {
      token: shop.testKey,
      body: {
        checkout_id: shop.checkout.id,
        order_id: 'A-de',
        amount: '1.00',
        currency: 'RUB',
        description: 'x',
        locale: 'de',
      },
    });
    expect([unspoken.status, unspoken.body.error?.param]).toEqual([400, 'locale']);

    // nothing Kassa speaks asked for: the checkout's default
    const other = await payment();
    expect(await langOf(other.checkout_url, 'fr-FR,fr;q=0.9')).toBe('en');
    const patch = (locale: string) =>
      api(stack.url, 'PATCH', `/v1/checkouts/${shop.checkout.id}`, { token: shop.testKey, body: { locale } });
    await patch('ru');
    expect(await langOf(other.checkout_url, 'fr-FR,fr;q=0.9')).toBe('ru');
    expect(await langOf(other.checkout_url, 'en')).toBe('en');
    await patch('en');
  });

  test('waiting: the page watches the status instead of reloading, is accessible, and shows the result once paid', async () => {
    const made = await payment();
    const sandboxPage = await chooseMethod(stack, made.id);
    await context.setExtraHTTPHeaders({ 'accept-language': 'en-US,en;q=0.9' });
    const page = await context.newPage();
    const loads: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) loads.push(frame.url());
    });
    await page.goto(`${stack.url}/pay/${made.id}/return`);
    expect(await page.textContent('h1')).toBe('Waiting for the payment to be confirmed…');
    await expectNoSeriousViolations(page); // no timed <meta refresh> for a browser that runs the script
    await page.waitForRequest((request) => request.url().endsWith(`/pay/${made.id}/status`));
    await page.waitForRequest((request) => request.url().endsWith(`/pay/${made.id}/status`));
    expect(loads).toEqual([`${stack.url}/pay/${made.id}/return`]);
    await buyerActs(sandboxPage, 'approve');
    await page.waitForSelector('.result-paid', { timeout: 15_000 });
    expect(loads).toHaveLength(2);
    await page.close();
  });

  test('paid: the success page is accessible, shows a visible link and takes the buyer back to the shop by itself', async () => {
    const made = await paid;
    await context.setExtraHTTPHeaders({ 'accept-language': 'en-US,en;q=0.9' });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    // the method page of a paid payment leads to its result
    await page.goto(`${stack.url}/pay/${made.id}`);
    expect(page.url()).toBe(`${stack.url}/pay/${made.id}/return`);
    expect(await page.textContent('h1')).toBe('Thank you! Payment received');
    expect(await page.textContent('#auto-return')).toBe(`You will be taken back to ${shopName} in 5 seconds.`);
    const link = page.locator('#back-to-shop');
    expect(await link.isVisible()).toBe(true);
    expect(await link.textContent()).toBe(`Back to ${shopName}`);
    // the buyer may stop the countdown (the script shows the button; without it the button stays hidden)
    expect(await page.isVisible('#stay')).toBe(true);
    await page.evaluate(() => document.getElementById('stay')!.setAttribute('hidden', ''));
    expect(await page.isVisible('#stay')).toBe(false);
    await page.evaluate(() => document.getElementById('stay')!.removeAttribute('hidden'));
    expect(new URL((await link.getAttribute('href'))!).origin).toBe('https://shop.example');
    expect(await page.textContent('.amount')).toBe(translator('en').money(127154n, 'RUB'));
    await expectNoSeriousViolations(page);
    await screenshot(page, 'buyer-paid.png');
    await page.setViewportSize({ width: 375, height: 740 });
    expect(await scrollWidth(page)).toBeLessThanOrEqual(375);
    // by itself: through Kassa's redirect to the shop's success URL (the shop is not real: the request is enough)
    const toShop = await page.waitForRequest(/^https:\/\/shop\.example\/ok\?/, { timeout: 15_000 });
    expect(new URL(toShop.url()).searchParams.get('status')).toBe('paid');
    await page.close();
  });
});
