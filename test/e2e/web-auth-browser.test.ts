import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectNoSeriousViolations } from '../support/axe';
import { artifactPath, describeWithBrowser, launchBrowser } from '../support/browser';
import { newMerchantUser, newOperatorUser, signInBrowser, testPassword } from '../support/cabinet';
import { api, startTestStack, type TestStack } from '../support/stack';
import path from 'node:path';

// A merchant's first visit in a real browser: the invitation link, a password, the cabinet, sign-out
// and sign-in again; in English, then in Russian.
jest.setTimeout(60_000);

const screenshots = process.env.UPDATE_SCREENSHOTS === '1';
const docsImage = (name: string) => path.resolve(__dirname, '../../docs/img', name);

describeWithBrowser('signing in to the cabinet in a browser', __filename, () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.close();
  });

  async function step(name: string, run: () => Promise<void>) {
    try {
      await run();
    } catch (error) {
      await page.screenshot({ path: artifactPath(`web-auth-${name}.png`) }).catch(() => undefined);
      throw error;
    }
  }

  async function invite(locale?: string) {
    const email = locale ? `olga@shop.example` : 'anna@shop.example';
    const created = await api(stack.url, 'POST', '/admin/merchants', {
      token: stack.adminToken,
      body: { name: 'Shop', email },
    });
    if (!locale) return { email, url: created.body.dashboard_invite_url as string };
    const again = await api(stack.url, 'POST', `/admin/merchants/${created.body.id}/invitations`, {
      token: stack.adminToken,
      body: { email, locale },
    });
    return { email, url: again.body.dashboard_invite_url as string };
  }

  async function submit(selector = 'form.auth-form button[type=submit]') {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }

  test('invitation, password, cabinet, sign-out and sign-in; the same in Russian', async () => {
    const password = testPassword();
    const owner = await invite();
    await step('invite', async () => {
      await page.goto(owner.url);
      expect(await page.textContent('h1')).toBe('Set your password');
      expect(await page.textContent('main')).toContain(owner.email);
      await expectNoSeriousViolations(page);
      if (screenshots) await page.screenshot({ path: docsImage('auth-invite.png') });
      await page.fill('#password', 'short');
      await page.fill('#password_repeat', 'short');
      // the browser's own check (minlength) stops a too-short password before it is sent
      expect(await page.$eval('#password', (input) => (input as HTMLInputElement).validity.valid)).toBe(false);
      await page.fill('#password', password);
      await page.fill('#password_repeat', password);
      await submit();
      expect(new URL(page.url()).pathname).toBe('/dashboard');
      await page.waitForSelector('header.topbar');
      expect(await page.textContent('header.topbar')).toContain('Sign out');
    });

    await step('sign-out', async () => {
      await submit('form[action="/dashboard/logout"] button');
      expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
      expect(await page.textContent('[role=status]')).toBe('You have signed out.');
      await page.goto(`${stack.url}/dashboard/sign-in`);
      await expectNoSeriousViolations(page);
      if (screenshots) await page.screenshot({ path: docsImage('auth-sign-in.png') });
    });

    await step('sign-in', async () => {
      await page.goto(`${stack.url}/dashboard/team`);
      expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
      await page.fill('#email', owner.email);
      await page.fill('#password', 'wrong password');
      await submit();
      expect(await page.textContent('[role=alert]')).toBe('The e-mail or the password is wrong.');
      await page.fill('#password', password);
      await submit();
      expect(new URL(page.url()).pathname).toBe('/dashboard/team');
      expect(await page.textContent('h1')).toBe('Team');
      expect(await page.textContent('#team')).toContain(owner.email);
      await expectNoSeriousViolations(page);
      await submit('form[action="/dashboard/logout"] button');
    });

    await step('russian', async () => {
      const russian = await invite('ru');
      await page.goto(russian.url);
      expect(await page.getAttribute('html', 'lang')).toBe('ru');
      expect(await page.textContent('h1')).toBe('Задайте пароль');
      await page.fill('#password', password);
      await page.fill('#password_repeat', password);
      await submit();
      expect(new URL(page.url()).pathname).toBe('/dashboard');
      expect(await page.textContent('header.topbar')).toContain('Выйти');
      await submit('form[action="/dashboard/logout"] button');
      expect(await page.textContent('[role=status]')).toBe('Вы вышли из кабинета.');
      expect(await page.textContent('h1')).toBe('Вход');
      await page.fill('#email', russian.email);
      await page.fill('#password', password);
      await submit();
      expect(new URL(page.url()).pathname).toBe('/dashboard');
      expect(await page.getAttribute('html', 'lang')).toBe('ru');
    });

    await step('console', async () => {
      const operator = await newOperatorUser(stack);
      await signInBrowser(page, stack, operator);
      expect(new URL(page.url()).pathname).toMatch(/^\/admin\/console/);
      const cookies = await context.cookies();
      expect(cookies.find((cookie) => cookie.name === 'kassa_console')).toMatchObject({
        path: '/admin/console',
        httpOnly: true,
        sameSite: 'Lax',
      });
    });
  });

  test('a person on two teams opens the other cabinet from the header; the browser is remembered', async () => {
    const email = `two-teams-browser@shop.example`;
    const password = testPassword();
    const first = await newMerchantUser(stack, { email, password, name: 'Kiosk & Co' });
    const second = await newMerchantUser(stack, { email, password, name: 'Atelier' });
    // a browser of its own: the one above is still signed in
    await context.close();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await step('two-teams', async () => {
      await signInBrowser(page, stack, first);
      const cookies = await context.cookies();
      expect(cookies.find((cookie) => cookie.name === 'kassa_device')).toMatchObject({
        path: '/dashboard',
        httpOnly: true,
        sameSite: 'Lax',
      });
      await page.goto(`${stack.url}/dashboard/developers`);
      const options = await page.$$eval('#other-team option', (found) => found.map((option) => option.textContent));
      expect(options).toHaveLength(1);
      const [here, there] = options[0] === 'Atelier' ? [first, second] : [second, first];
      await expectNoSeriousViolations(page);
      expect(await page.textContent('main')).toContain(here.testKey.slice(0, 12));
      await Promise.all([page.waitForNavigation(), page.click('form.team-switch button')]);
      expect(new URL(page.url()).pathname).toBe('/dashboard');
      await page.goto(`${stack.url}/dashboard/developers`);
      expect(await page.textContent('main')).toContain(there.testKey.slice(0, 12));
      expect(await page.$$eval('#other-team option', (found) => found.map((option) => option.textContent))).toEqual([
        here === first ? 'Kiosk & Co' : 'Atelier',
      ]);
    });
  });
});
