import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectNoSeriousViolations } from '../support/axe';
import { describeWithBrowser, launchBrowser } from '../support/browser';
import { newMerchantUser, newOperatorUser, useSessionIn } from '../support/cabinet';
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

// Every kind of page Kassa serves, loaded in Chromium under its Content-Security-Policy: the policy
// allows no inline script or style, the pages carry none, and the browser reports no violation.
jest.setTimeout(30_000);

/** What a page's markup must not hold under the CSP; each finding names what it saw. */
function inlineFindings(source: string): string[] {
  const found: string[] = [];
  for (const [whole, attributes, content] of source.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (!/\ssrc\s*=/i.test(attributes!) || content!.trim()) found.push(`inline script: ${whole.slice(0, 80)}`);
  }
  for (const [tag] of source.matchAll(/<style[\s>]/gi)) found.push(`style element: ${tag}`);
  for (const [tag] of source.matchAll(/<[a-z][^>]*\sstyle\s*=[^>]*>/gi)) found.push(`style attribute: ${tag}`);
  for (const [tag] of source.matchAll(/<[a-z][^>]*\son[a-z]+\s*=[^>]*>/gi)) found.push(`event handler: ${tag}`);
  return found;
}

const shotsDir = path.resolve(__dirname, '../../docs/img');

describeWithBrowser('every page Kassa serves under a CSP without unsafe-inline', __filename, () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let sim: WebMoneySimulator;

  beforeAll(async () => {
    [browser, sim] = await Promise.all([launchBrowser(), startWebMoneySimulator()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // runs before the page's own scripts; Playwright's init scripts are not subject to the page's CSP
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (event) =>
        seen.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`),
      );
    });
  }, 30_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await sim?.stop();
  });
  stackForFile((running) => ({ stack } = running));
  const newShop = shopsFor(() => stack, 'all');

  /** Problems Chromium reported on `page`: console errors (CSP violations among them) and violation events. */
  function watch(page: Page) {
    const problems: string[] = [];
    page.on('console', (message) => {
      // Chromium asks for /favicon.ico by itself; Kassa has none, and a 404 there is no CSP matter
      const where = message.location().url;
      if (where && new URL(where).pathname === '/favicon.ico') return;
      // a page answered with its own 4xx (a refused SCI form) is the page under test, not a failure
      if (where === page.url() && message.text().startsWith('Failed to load resource')) return;
      if (message.type() === 'error' || /content security policy/i.test(message.text()))
        problems.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    return {
      async all() {
        const events = await page
          .evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? [])
          .catch(() => [] as string[]);
        return [...problems, ...events.map((event) => `violation: ${event}`)];
      },
    };
  }

  /** The response's policy and markup pass, and the page as rendered reported no violation. */
  async function expectClean(
    response: { headers(): Record<string, string>; text(): Promise<string> },
    problems: ReturnType<typeof watch>,
    name: string,
  ) {
    const policy = response.headers()['content-security-policy'] ?? '';
    expect([name, policy]).toEqual([name, expect.stringContaining("style-src 'self'")]);
    expect([name, policy]).toEqual([name, expect.not.stringMatching(/'unsafe-inline'|'unsafe-eval'/)]);
    expect([name, inlineFindings(await response.text())]).toEqual([name, []]);
    expect([name, await problems.all()]).toEqual([name, []]);
  }

  async function visit(url: string, name: string, ready?: (page: Page) => Promise<unknown>) {
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const problems = watch(page);
    const response = (await page.goto(url))!;
    await ready?.(page);
    await expectClean(response, problems, name);
    return page;
  }

  /** The method page, a canceled payment's result page, and the page whose form posts itself to the provider. */
  async function buyerPages() {
    const created = await api(stack.url, 'POST', '/admin/connectors', {
      token: stack.adminToken,
      body: { provider: 'webmoney', mode: 'test', credentials: sim.credentials(), methods: ['webmoney_wallet'] },
    });
    expect(created.status).toBe(201);
    const shop = await newShop();
    const [open, wallet, canceled] = await Promise.all([
      createTestPayment(stack, shop.testKey, shop.checkout.id),
      createTestPayment(stack, shop.testKey, shop.checkout.id),
      createTestPayment(stack, shop.testKey, shop.checkout.id),
    ]);

    const methodPage = async () => (await visit(open.checkout_url, 'method page')).close();

    const resultPage = async () => {
      const cancel = await api(stack.url, 'POST', `/v1/payments/${canceled.id}/cancel`, { token: shop.testKey });
      expect(cancel.status).toBe(200);
      await eventually(
        () => paymentOf(stack, shop.testKey, canceled.id),
        (payment) => payment.status === 'canceled',
        10_000,
      );
      const result = await visit(canceled.checkout_url, 'result page');
      expect(new URL(result.url()).pathname).toBe(`/pay/${canceled.id}/return`);
      await result.close();
    };

    // stopped before it leaves Kassa: the markup is read as it passes, the browser runs the page
    const providerFormPage = async () => {
      const page = await context.newPage();
      const problems = watch(page);
      await page.route(`${sim.url}/**`, (route) => route.abort());
      let posted: { headers: Record<string, string>; body: string } | undefined;
      await page.route(`**/pay/${wallet.id}/method`, async (route) => {
        const answer = await route.fetch();
        posted = { headers: answer.headers(), body: await answer.text() };
        await route.fulfill({ response: answer, body: posted.body });
      });
      await page.goto(wallet.checkout_url);
      await Promise.all([
        page.waitForRequest(`${sim.url}/**`),
        page.click('button[name=method][value=webmoney_wallet]'),
      ]);
      expect(posted!.body).toContain(`${sim.url}/`);
      await expectClean({ headers: () => posted!.headers, text: async () => posted!.body }, problems, 'provider form');
      await page.close();
    };

    await Promise.all([methodPage(), resultPage(), providerFormPage()]);
  }

  /** A refused SCI form, in Russian, free of serious accessibility problems. */
  async function sciRefusalPage() {
    const sci = await visit(
      `${stack.url}/sci/?ik_co_id=nope&ik_pm_no=1&ik_am=1.00&ik_cur=RUB&ik_loc=ru`,
      'SCI refusal page',
    );
    expect(await sci.textContent('h1')).toBe('Запрос на оплату отклонён');
    await expectNoSeriousViolations(sci);
    if (process.env.UPDATE_SCREENSHOTS === '1') await sci.screenshot({ path: path.join(shotsDir, 'sci-refusal.png') });
    await sci.close();
  }

  /** Swagger UI, started from files, with every operation rendered. */
  const docsPage = async () =>
    (await visit(`${stack.url}/docs/`, '/docs', (page) => page.waitForSelector('.opblock'))).close();

  /** The cabinet's and the console's sign-in pages: each area sends a stranger there. */
  const signInPages = () =>
    Promise.all(
      ['/dashboard', '/admin/console'].map(async (area) => {
        const page = await visit(`${stack.url}${area}`, `${area} sign-in`);
        expect(new URL(page.url()).pathname).toBe(`${area}/sign-in`);
        await page.close();
      }),
    );

  /** Screens behind the sign-in: the cabinet's and the console's, with a session each (after the sign-in pages). */
  async function signedInScreens() {
    const [merchant, operator] = await Promise.all([newMerchantUser(stack), newOperatorUser(stack)]);
    await useSessionIn(context, stack, merchant);
    await useSessionIn(context, stack, operator);
    await Promise.all(
      [
        '/dashboard',
        '/dashboard/checkouts',
        '/dashboard/payments',
        '/dashboard/developers',
        '/admin/console/merchants',
        '/admin/console/payments',
      ].map(async (screen) => {
        const page = await visit(`${stack.url}${screen}`, screen);
        expect(new URL(page.url()).pathname).not.toMatch(/sign-in$/);
        await page.close();
      }),
    );
  }

  test('buyer pages, the provider form page, SCI, /docs, the sign-in pages and screens behind them', async () => {
    await Promise.all([buyerPages(), sciRefusalPage(), docsPage(), signInPages().then(signedInScreens)]);
  });
});

describe('what the CSP test looks for in markup', () => {
  test('an inline script, a style element or attribute and an event handler are found; files are not', () => {
    expect(
      inlineFindings(
        '<link rel="stylesheet" href="/assets/kassa.css"><script src="/assets/a.js" defer></script><p class="x">on=1 style=</p>',
      ),
    ).toEqual([]);
    expect(inlineFindings('<script>alert(1)</script>')).toHaveLength(1);
    expect(inlineFindings('<script src="/a.js">alert(1)</script>')).toHaveLength(1);
    expect(inlineFindings('<style>p{}</style>')).toHaveLength(1);
    expect(inlineFindings('<p style="color:red">x</p>')).toHaveLength(1);
    expect(inlineFindings('<button onclick="go()">x</button>')).toHaveLength(1);
  });
});
