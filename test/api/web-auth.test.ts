import { createHash, randomUUID } from 'node:crypto';
import express from 'express';
import { Pool } from 'pg';
import request from 'supertest';
import { merchantAuthRoutes } from '../../src/api/web/auth';
import { consumeTokenSettingPassword, insertUserToken } from '../../src/db/web-users';
import type { ServiceDeps } from '../../src/services/deps';
import { listOperators } from '../../src/services/web-users';
import {
  cookieFrom,
  getPage,
  newMerchantUser,
  newOperatorUser,
  postForm,
  postPublicForm,
  sessionRow,
  signInHttp,
  testPassword,
} from '../support/cabinet';
import { paidPaymentWith } from '../support/money';
import { startSmtpSink } from '../support/notification-peers';
import { api, createTestPayment, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let db: Pool;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
beforeAll(async () => {
  sink = await startSmtpSink({ user: 'kassa', pass: 'mail-secret' });
  stack = await startTestStack({ SMTP_URL: sink.url, MAIL_FROM: 'kassa@kassa.example' });
  db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
}, 120_000);
afterAll(async () => {
  await db?.end();
  await stack?.close();
  await sink?.stop();
});

const page = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.url}${path}`, { redirect: 'manual', headers }).then(async (response) => ({
    status: response.status,
    headers: response.headers,
    text: await response.text(),
  }));

const linkIn = (text: string, kind: 'invitation' | 'password-reset', area = '/dashboard') => {
  const found = new RegExp(`https?://[^\\s"<]+${area}/${kind}/[A-Za-z0-9]+`).exec(text);
  if (!found) throw new Error(`no ${kind} link in ${text}`);
  return found[0];
};

describe('invitations', () => {
  it('POST /admin/merchants answers a one-time dashboard_invite_url and e-mails it; the link sets a password once', async () => {
    const email = 'owner-invite@shop.example';
    const created = await api(stack.url, 'POST', '/admin/merchants', {
      token: stack.adminToken,
      body: { name: 'Invite <b>shop</b> & co', email },
    });
    expect(created.status).toBe(201);
    const inviteUrl: string = created.body.dashboard_invite_url;
    expect(inviteUrl).toMatch(new RegExp(`^${stack.url}/dashboard/invitation/[A-Za-z0-9]{43}$`));
    const [mail] = await sink.waitFor(email);
    expect(mail!.mail.subject).toBe('Your Kassa cabinet for Invite <b>shop</b> & co');
    expect(mail!.mail.html).toContain('cabinet of Invite &lt;b&gt;shop&lt;/b&gt; &amp; co.');
    expect(mail!.mail.html).toContain(`<a href="${inviteUrl}">`);
    expect(linkIn(mail!.mail.text!, 'invitation')).toBe(inviteUrl);

    const form = await page(new URL(inviteUrl).pathname);
    expect(form.status).toBe(200);
    expect(form.headers.get('referrer-policy')).toBe('no-referrer');
    expect(form.text).toContain(email);
    expect(form.text).not.toMatch(/(auth|common)\.[a-z]+\.?[a-zA-Z]*</);

    const weak = await postPublicForm(inviteUrl, { password: 'short', password_repeat: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.text).toContain('The password is too short: use at least 10 characters.');
    const asEmail = await postPublicForm(inviteUrl, { password: email, password_repeat: email });
    expect(asEmail.status).toBe(400);
    expect(asEmail.text).toContain('must not be your e-mail address');
    const mismatch = await postPublicForm(inviteUrl, { password: 'long enough 1', password_repeat: 'long enough 2' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toContain('The two passwords differ.');
    const noCsrf = await fetch(inviteUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'password=long+enough+1&password_repeat=long+enough+1',
    });
    expect(noCsrf.status).toBe(403);

    const password = testPassword();
    const accepted = await postPublicForm(inviteUrl, { password, password_repeat: password });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe('/dashboard');
    const cookie = accepted.headers.getSetCookie().find((line) => line.startsWith('kassa_session='))!;
    expect(cookie).toMatch(/; Path=\/dashboard/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/; Secure/);
    const token = /^kassa_session=([^;]+)/.exec(cookie)![1]!;
    const { rows } = await db.query('select token_hash from web_sessions');
    expect(rows.map((row) => row.token_hash)).not.toContain(token);

    const again = await postPublicForm(inviteUrl, { password, password_repeat: password });
    expect(again.status).toBe(410);
    expect(again.text).toContain('This link was used already or has expired.');
    expect((await page(new URL(inviteUrl).pathname)).status).toBe(410);
    expect((await page('/dashboard/invitation/notARealToken')).status).toBe(410);
  });

  it('refuses an expired invitation, and a newer link replaces an older one', async () => {
    const owner = await newMerchantUser(stack);
    const first = await api(stack.url, 'POST', `/admin/merchants/${owner.merchantId}/invitations`, {
      token: stack.adminToken,
      body: { email: 'accountant@shop.example', locale: 'ru' },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      object: 'merchant_user',
      merchant_id: owner.merchantId,
      email: 'accountant@shop.example',
      status: 'invited',
      last_sign_in_at: null,
    });
    const [mail] = await sink.waitFor('accountant@shop.example');
    expect(mail!.mail.subject).toBe('Ваш кабинет Kassa для «Shop»');
    const russian = await page(new URL(first.body.dashboard_invite_url).pathname);
    expect(russian.text).toContain('Задайте пароль');
    expect(russian.text).toContain('<html lang="ru">');

    const second = await api(stack.url, 'POST', `/admin/merchants/${owner.merchantId}/invitations`, {
      token: stack.adminToken,
      body: { email: 'Accountant@shop.example' },
    });
    expect(second.body.id).toBe(first.body.id);
    expect((await page(new URL(first.body.dashboard_invite_url).pathname)).status).toBe(410);
    await db.query(`update web_user_tokens set expires_at = now() - interval '1 second' where used_at is null`);
    const expired = await page(new URL(second.body.dashboard_invite_url).pathname);
    expect(expired.status).toBe(410);

    const missing = await api(stack.url, 'POST', '/admin/merchants/mer_doesNotExist000/invitations', {
      token: stack.adminToken,
      body: { email: 'x@shop.example' },
    });
    expect(missing.status).toBe(404);
  });
});

describe('signing in and out', () => {
  it('signs in, refuses a wrong password and an unknown address alike, and signs out for good', async () => {
    const owner = await newMerchantUser(stack);
    const wrong = await postPublicForm(`${stack.url}/dashboard/sign-in`, {
      email: owner.email,
      password: 'not the password',
    });
    const unknown = await postPublicForm(`${stack.url}/dashboard/sign-in`, {
      email: 'nobody@shop.example',
      password: 'not the password',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const same = (text: string, email: string) => text.replace(email, 'X').replace(/name="_csrf" value="[^"]+"/, '');
    expect(same(wrong.text, owner.email)).toBe(same(unknown.text, 'nobody@shop.example'));
    expect(wrong.text).toContain('The e-mail or the password is wrong.');

    const again = await signInHttp(stack, owner);
    expect(again.sessionToken).not.toBe(owner.sessionToken);
    const out = await postForm(stack, again, '/dashboard/logout');
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toMatch(/^\/dashboard\/sign-in\?signed_out=1/);
    expect(out.headers.getSetCookie().join()).toMatch(/kassa_session=;/);
    const after = await getPage(stack, again, '/dashboard/team');
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/dashboard/sign-in?next=%2Fdashboard%2Fteam');
    const { rowCount } = await db.query('select 1 from web_sessions where user_id = $1', [again.userId]);
    expect(rowCount).toBe(1); // the first session only
    expect((await getPage(stack, owner, '/dashboard/team')).status).toBe(200);
    const signInAgain = await getPage(stack, owner, '/dashboard/sign-in?next=%2Fdashboard%2Fteam');
    expect([signInAgain.status, signInAgain.headers.get('location')]).toEqual([303, '/dashboard/team']);
  });

  it('ends a session after 12 idle hours and 7 days after sign-in', async () => {
    const owner = await newMerchantUser(stack);
    const hash = (await db.query('select token_hash from web_sessions where user_id = $1', [owner.userId])).rows[0]
      .token_hash;
    await db.query(`update web_sessions set last_seen_at = now() - interval '11 hours' where token_hash = $1`, [hash]);
    expect((await getPage(stack, owner, '/dashboard/team')).status).toBe(200);
    await db.query(`update web_sessions set last_seen_at = now() - interval '13 hours' where token_hash = $1`, [hash]);
    const idle = await getPage(stack, owner, '/dashboard/team');
    expect(idle.status).toBe(303);
    expect(idle.headers.getSetCookie().join()).toMatch(/kassa_session=;/);

    const again = await signInHttp(stack, owner);
    const { rows } = await db.query(
      'select extract(epoch from expires_at - created_at)::int as seconds from web_sessions where user_id = $1',
      [owner.userId],
    );
    expect(rows.map((row) => row.seconds)).toContain(7 * 24 * 3600);
    await db.query(`update web_sessions set expires_at = now() - interval '1 second' where user_id = $1`, [
      owner.userId,
    ]);
    expect((await getPage(stack, again, '/dashboard/team')).status).toBe(303);
  });

  it('sends a signed-out visitor to the sign-in page and back to a same-origin page only', async () => {
    const guarded = await page('/dashboard/payments?status=paid');
    expect(guarded.status).toBe(303);
    expect(guarded.headers.get('location')).toBe('/dashboard/sign-in?next=%2Fdashboard%2Fpayments%3Fstatus%3Dpaid');
    const posted = await fetch(`${stack.url}/dashboard/mode`, { method: 'POST', redirect: 'manual' });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/dashboard/sign-in');

    const owner = await newMerchantUser(stack);
    const signIn = (next: string) =>
      postPublicForm(`${stack.url}/dashboard/sign-in`, { email: owner.email, password: owner.password, next });
    expect((await signIn('/dashboard/payments?status=paid')).headers.get('location')).toBe(
      '/dashboard/payments?status=paid',
    );
    for (const evil of [
      'https://evil.example/',
      '//evil.example/dashboard',
      '/\\evil.example',
      '/admin/console',
      'javascript:alert(1)',
    ])
      expect((await signIn(evil)).headers.get('location')).toBe('/dashboard');
    const form = await page('/dashboard/sign-in?next=https%3A%2F%2Fevil.example');
    expect(form.text).not.toContain('evil.example');

    // the language: ?locale= first, then the browser's Accept-Language
    const russian = await page('/admin/console/sign-in', { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.8' });
    expect(russian.text).toContain('<html lang="ru">');
    expect(russian.text).toContain('Консоль оператора');
    expect(russian.text).toContain('href="/admin/console/sign-in?locale=en"');
    const english = await page('/dashboard/sign-in?locale=en', { 'accept-language': 'ru' });
    expect(english.text).toContain('<html lang="en">');
    expect(english.text).toContain('<input type="hidden" name="locale" value="en">');
  });

  it('limits failed sign-ins per address: the sixth attempt is 429 even with the right password', async () => {
    const owner = await newMerchantUser(stack);
    for (let attempt = 0; attempt < 5; attempt++) {
      const failed = await postPublicForm(`${stack.url}/dashboard/sign-in`, {
        email: owner.email,
        password: `wrong ${attempt}`,
      });
      expect(failed.status).toBe(401);
    }
    const limited = await postPublicForm(`${stack.url}/dashboard/sign-in`, {
      email: owner.email,
      password: owner.password,
      locale: 'ru',
    });
    expect(limited.status).toBe(429);
    expect(limited.text).toContain('Слишком много неудачных попыток');
    expect(limited.headers.get('retry-after')).toBe('900');
  });

  it('counts attempts sent all at once: of 12 wrong passwords at the same moment, at most 5 are checked', async () => {
    const owner = await newMerchantUser(stack);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, attempt) =>
        postPublicForm(`${stack.url}/dashboard/sign-in`, { email: owner.email, password: `wrong ${attempt}` }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    await db.query('delete from web_sign_in_failures');
  });

  it('limits failed sign-ins per client address too: 20 in 15 minutes, whatever the e-mail', async () => {
    const owner = await newMerchantUser(stack);
    await db.query('delete from web_sign_in_failures');
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        const failed = await postPublicForm(`${stack.url}/dashboard/sign-in`, {
          email: `guess-${attempt}@shop.example`,
          password: 'a guessed password',
        });
        expect(failed.status).toBe(401);
      }
      const limited = await postPublicForm(`${stack.url}/dashboard/sign-in`, {
        email: owner.email,
        password: owner.password,
      });
      expect(limited.status).toBe(429);
      expect(limited.text).toContain('Too many failed attempts.');
    } finally {
      await db.query('delete from web_sign_in_failures');
    }
    await signInHttp(stack, owner);
  });

  it('marks the cookies Secure when PUBLIC_URL is https', async () => {
    const app = express().use(
      '/dashboard',
      merchantAuthRoutes({ config: { publicUrl: 'https://kassa.example' } } as unknown as ServiceDeps),
    );
    const answer = await request(app).get('/dashboard/sign-in');
    expect(answer.status).toBe(200);
    expect(answer.headers['set-cookie']![0]).toMatch(
      /^kassa_form=[^;]+; Path=\/dashboard; HttpOnly; Secure; SameSite=Lax$/,
    );
  });
});

describe('behind the sign-in', () => {
  it('refuses a form without the session CSRF token with a 403 page in the user language', async () => {
    const owner = await newMerchantUser(stack, { locale: 'ru' });
    const missing = await postForm(stack, owner, '/dashboard/mode', { _csrf: '', test_mode: 'false' });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('Форма устарела');
    const wrong = await postForm(stack, owner, '/dashboard/team/invitations', {
      _csrf: 'x'.repeat(32),
      email: 'a@b.example',
    });
    expect(wrong.status).toBe(403);
    const { rows } = await db.query('select test_mode from web_sessions where user_id = $1', [owner.userId]);
    expect(rows[0].test_mode).toBe(true);
  });

  it('switches mode and language, coming back to a same-origin page only', async () => {
    const owner = await newMerchantUser(stack);
    const live = await postForm(stack, owner, '/dashboard/mode', { test_mode: 'false', back: '/dashboard/payments' });
    expect(live.status).toBe(303);
    expect(live.headers.get('location')).toBe('/dashboard/payments');
    const evil = await postForm(stack, owner, '/dashboard/mode', { test_mode: 'true', back: 'https://evil.example' });
    expect(evil.headers.get('location')).toBe('/dashboard');
    const bad = await postForm(stack, owner, '/dashboard/mode', { test_mode: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('test_mode');
    await postForm(stack, owner, '/dashboard/mode', { test_mode: 'false' });

    const russian = await postForm(stack, owner, '/dashboard/locale', { locale: 'ru', back: '/dashboard/team' });
    expect(russian.headers.get('location')).toBe('/dashboard/team');
    expect((await postForm(stack, owner, '/dashboard/locale', { locale: 'xx' })).status).toBe(400);
    const { rows } = await db.query(
      'select s.test_mode, s.locale, u.locale as user_locale from web_sessions s join web_users u on u.id = s.user_id where u.id = $1',
      [owner.userId],
    );
    expect(rows[0]).toEqual({ test_mode: false, locale: 'ru', user_locale: 'ru' });
    const team = await getPage(stack, owner, '/dashboard/team');
    expect(team.text).toContain('<html lang="ru">');
    expect(team.text).toContain('Команда');
    // the next sign-in speaks the user's language
    const next = await signInHttp(stack, owner);
    expect((await getPage(stack, next, '/dashboard/team')).text).toContain('Команда');
  });

  it("keeps each merchant's team to itself, and the cabinet and console cookies apart", async () => {
    const first = await newMerchantUser(stack);
    const second = await newMerchantUser(stack);
    const team = await getPage(stack, first, '/dashboard/team');
    expect(team.status).toBe(200);
    expect(team.text).toContain(first.email);
    expect(team.text).not.toContain(second.email);
    const foreign = await postForm(stack, first, `/dashboard/team/${second.userId}/remove`);
    expect(foreign.status).toBe(404);
    expect((await getPage(stack, second, '/dashboard/team')).status).toBe(200);

    const operator = await newOperatorUser(stack);
    const asConsole = await getPage(stack, { cookie: `kassa_session=${operator.sessionToken}` }, '/dashboard/team');
    expect(asConsole.status).toBe(303);
    const asCabinet = await getPage(stack, { cookie: `kassa_console=${first.sessionToken}` }, '/admin/console');
    expect(asCabinet.status).toBe(303);
    expect(asCabinet.headers.get('location')).toBe('/admin/console/sign-in');
  });

  it('invites a team member from the Team screen, who signs in, and removes them', async () => {
    const owner = await newMerchantUser(stack);
    expect((await postForm(stack, owner, '/dashboard/team/invitations', { email: 'not an address' })).status).toBe(400);
    const invited = await postForm(stack, owner, '/dashboard/team/invitations', { email: 'colleague@shop.example' });
    expect(invited.status).toBe(201);
    expect(invited.text).toContain('Invitation sent to colleague@shop.example');
    const inviteUrl = linkIn(invited.text, 'invitation');
    const password = testPassword();
    const accepted = await postPublicForm(inviteUrl, { password, password_repeat: password });
    expect(accepted.status).toBe(303);
    const colleague = await signInHttp(stack, {
      ...owner,
      email: 'colleague@shop.example',
      password,
    });
    expect(colleague.userId).not.toBe(owner.userId);
    const team = await getPage(stack, colleague, '/dashboard/team');
    expect(team.text).toContain(owner.email);
    expect(
      (await postForm(stack, owner, '/dashboard/team/invitations', { email: 'Colleague@shop.example' })).status,
    ).toBe(409);
    expect((await postForm(stack, owner, `/dashboard/team/${owner.userId}/remove`)).status).toBe(409);

    const removed = await postForm(stack, owner, `/dashboard/team/${colleague.userId}/remove`);
    expect(removed.status).toBe(200);
    expect(removed.text).toContain('colleague@shop.example was removed from the team.');
    expect(removed.text).not.toContain(`data-user="${colleague.userId}"`);
    expect((await getPage(stack, colleague, '/dashboard/team')).status).toBe(303);
  });
});

describe('browsers that signed in before (device cookies)', () => {
  const signInFrom = (email: string, password: string, device?: string) =>
    postPublicForm(
      `${stack.url}/dashboard/sign-in`,
      { email, password },
      device ? { cookie: `kassa_device=${device}` } : {},
    );
  const failFrom = async (times: number, email: string, device?: string) => {
    for (let attempt = 0; attempt < times; attempt++)
      expect((await signInFrom(email, `wrong ${attempt}`, device)).status).toBe(401);
  };
  beforeEach(() => db.query('delete from web_sign_in_failures'));
  afterAll(() => db.query('delete from web_sign_in_failures'));

  it('are not shut out by failures from elsewhere, and are limited on their own failures', async () => {
    const owner = await newMerchantUser(stack);
    const first = await signInFrom(owner.email, owner.password);
    expect(first.status).toBe(303);
    const device = cookieFrom(first.headers, 'kassa_device')!;
    expect(device).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.headers.getSetCookie().find((line) => line.startsWith('kassa_device='))).toMatch(
      /; Max-Age=15552000; Path=\/dashboard; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
    const { rows } = await db.query('select token_hash from web_sign_in_devices where email = $1', [owner.email]);
    expect(rows.map((row) => row.token_hash)).toContain(createHash('sha256').update(device).digest('hex'));

    // someone else guesses: the address is shut out for every browser that has not signed in with it
    await failFrom(5, owner.email);
    expect((await signInFrom(owner.email, owner.password)).status).toBe(429);
    const other = await newMerchantUser(stack);
    expect((await signInFrom(owner.email, owner.password, 'not-a-browser-that-signed-in')).status).toBe(429);
    const again = await signInFrom(owner.email, owner.password, device);
    expect(again.status).toBe(303);
    expect(cookieFrom(again.headers, 'kassa_device')).toBe(device);

    // the browser's own failures are limited as the address's were
    await failFrom(5, owner.email, device);
    expect((await signInFrom(owner.email, owner.password, device)).status).toBe(429);
    // and it is the owner's browser only: for another address it counts as any client
    await failFrom(5, other.email, device);
    expect((await signInFrom(other.email, other.password)).status).toBe(429);
    expect((await signInFrom(other.email, other.password, device)).status).toBe(429);
  });

  it('are remembered for each address they signed in with, and not held to the client address limit', async () => {
    const owner = await newMerchantUser(stack);
    const other = await newMerchantUser(stack);
    const first = cookieFrom((await signInFrom(owner.email, owner.password)).headers, 'kassa_device')!;
    const both = cookieFrom((await signInFrom(other.email, other.password, first)).headers, 'kassa_device')!;
    expect(both).toMatch(new RegExp(`^[A-Za-z0-9_-]{43}\\.${first}$`));
    // guesses at both addresses and others from one client (or from behind one proxy without TRUST_PROXY)
    await failFrom(5, owner.email);
    await failFrom(5, other.email);
    for (let attempt = 0; attempt < 10; attempt++)
      expect((await signInFrom(`guess-${attempt}@shop.example`, 'a guessed password')).status).toBe(401);
    expect((await signInFrom(`guess-more@shop.example`, 'a guessed password')).status).toBe(429);
    expect((await signInFrom(owner.email, owner.password)).status).toBe(429);
    for (const user of [owner, other]) {
      const signedIn = await signInFrom(user.email, user.password, both);
      expect(signedIn.status).toBe(303);
      expect(cookieFrom(signedIn.headers, 'kassa_device')!.split('.').sort()).toEqual(both.split('.').sort());
    }
  });

  it('are forgotten when the password is set again by a link; the browser that set it is remembered', async () => {
    const owner = await newMerchantUser(stack);
    const before = cookieFrom((await signInFrom(owner.email, owner.password)).headers, 'kassa_device')!;
    expect((await postPublicForm(`${stack.url}/dashboard/password-reset`, { email: owner.email })).status).toBe(200);
    const [reset] = (await sink.waitFor(owner.email, 2)).filter(
      (found) => found.mail.subject === 'Reset your Kassa password',
    );
    const password = testPassword();
    const done = await postPublicForm(linkIn(reset!.mail.text!, 'password-reset'), {
      password,
      password_repeat: password,
    });
    expect(done.status).toBe(303);
    const after = cookieFrom(done.headers, 'kassa_device')!;
    expect(after).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(after).not.toBe(before);

    await failFrom(5, owner.email);
    expect((await signInFrom(owner.email, password, before)).status).toBe(429);
    expect((await signInFrom(owner.email, password, after)).status).toBe(303);
  });
});

describe('a person on two merchants’ teams under one e-mail', () => {
  const switchForm = (page: string) =>
    [
      ...(/<form method="post" action="\/dashboard\/switch-cabinet"[\s\S]*?<\/form>/.exec(page)?.[0] ?? '').matchAll(
        /<option value="([^"]+)">([^<]*)<\/option>/g,
      ),
    ].map(([, userId, name]) => ({ userId, name }));

  /** Two teams with one e-mail and password, signed in: `here` is the cabinet that opened, `there` the other. */
  async function signedInOnTwoTeams(names: [string, string]) {
    const email = `two-teams-${randomUUID()}@shop.example`;
    const password = testPassword();
    const first = await newMerchantUser(stack, { email, password, name: names[0] });
    const second = await newMerchantUser(stack, { email, password, name: names[1] });
    const signedIn = await signInHttp(stack, first);
    const [here, there] = signedIn.userId === first.userId ? [first, second] : [second, first];
    return { signedIn, here, there, first };
  }

  it('opens the cabinet used last and switches to the other without signing in again', async () => {
    const { signedIn, here, there, first } = await signedInOnTwoTeams(['First <i>shop</i>', 'Second shop']);
    expect(signedIn.userId).toBe(here.userId);
    const offered = switchForm((await getPage(stack, signedIn, '/dashboard')).text);
    expect(offered).toEqual([
      { userId: there.userId, name: there === first ? 'First &lt;i&gt;shop&lt;/i&gt;' : 'Second shop' },
    ]);

    const expiry = async (token: string) =>
      (
        await db.query<{ expires_at: Date }>('select expires_at from web_sessions where token_hash = $1', [
          createHash('sha256').update(token).digest('hex'),
        ])
      ).rows[0]?.expires_at.getTime();
    const signedInUntil = await expiry(signedIn.sessionToken);
    const switched = await postForm(stack, signedIn, '/dashboard/switch-cabinet', { user_id: there.userId });
    expect(switched.status).toBe(303);
    expect(switched.headers.get('location')).toBe('/dashboard');
    const token = cookieFrom(switched.headers, 'kassa_session')!;
    const session = await sessionRow(stack, token);
    expect(session.userId).toBe(there.userId);
    expect(await expiry(token)).toBe(signedInUntil); // a switch never outlives the sign-in
    expect((await getPage(stack, signedIn, '/dashboard')).status).toBe(303); // the old session ended
    const now = { cookie: `kassa_session=${token}`, csrf: session.csrf };
    expect(switchForm((await getPage(stack, now, '/dashboard')).text).map((team) => team.userId)).toEqual([
      here.userId,
    ]);
    // the other team's objects, not the first's
    const keys = await getPage(stack, now, '/dashboard/developers');
    expect(keys.text).toContain(`<code>${there.testKey.slice(0, 12)}…</code>`);
    expect(keys.text).not.toContain(`<code>${here.testKey.slice(0, 12)}…</code>`);
    // the cabinet switched to is now the one used last: the next sign-in opens it
    expect((await signInHttp(stack, first)).userId).toBe(there.userId);
  });

  it('stops offering a team once its password is set again', async () => {
    const { signedIn, there: other } = await signedInOnTwoTeams(['First', 'Second']);
    expect(switchForm((await getPage(stack, signedIn, '/dashboard')).text)).toHaveLength(1);
    const tokenHash = createHash('sha256').update('a-reset-link-token').digest('hex');
    await insertUserToken(db, { tokenHash, userId: other.userId, purpose: 'reset', ttlSeconds: 60 });
    expect(await consumeTokenSettingPassword(db, tokenHash, 'reset', 'not-a-real-hash')).not.toBeNull();
    expect(switchForm((await getPage(stack, signedIn, '/dashboard')).text)).toEqual([]);
    const refused = await postForm(stack, signedIn, '/dashboard/switch-cabinet', { user_id: other.userId });
    expect(refused.status).toBe(400);
  });

  it('offers nothing when the passwords differ, and refuses a team it did not offer', async () => {
    const email = `two-passwords-${Date.now()}@shop.example`;
    const one = await newMerchantUser(stack, { email, name: 'One' });
    const other = await newMerchantUser(stack, { email, name: 'Other' });
    const signedIn = await signInHttp(stack, one);
    expect(switchForm((await getPage(stack, signedIn, '/dashboard')).text)).toEqual([]);
    const refused = await postForm(stack, signedIn, '/dashboard/switch-cabinet', { user_id: other.userId });
    expect(refused.status).toBe(400);
    expect((await getPage(stack, signedIn, '/dashboard')).status).toBe(200);
  });
});

describe('password reset', () => {
  it('e-mails a one-hour link, answers the same for an unknown address, and ends the old sessions', async () => {
    const owner = await newMerchantUser(stack);
    const requestFor = (email: string) => postPublicForm(`${stack.url}/dashboard/password-reset`, { email });
    const known = await requestFor(owner.email);
    const unknown = await requestFor('stranger@shop.example');
    expect(known.status).toBe(200);
    expect(known.text).toBe(unknown.text);
    expect(known.text).toContain('If the address is known, a link to reset the password was sent to it.');
    // at most three reset e-mails per address in 15 minutes, the answer unchanged
    await sink.waitFor(owner.email, 2); // the invitation, then the reset
    for (const count of [3, 4]) {
      expect((await requestFor(owner.email)).text).toBe(unknown.text);
      await sink.waitFor(owner.email, count);
    }
    expect((await requestFor(owner.email)).text).toBe(unknown.text);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const resets = sink.to(owner.email).filter((found) => found.mail.subject === 'Reset your Kassa password');
    expect(resets).toHaveLength(3);
    expect(sink.to('stranger@shop.example')).toHaveLength(0);
    // each new link replaces the one before: exactly one still opens
    const links = resets.map((found) => linkIn(found.mail.text!, 'password-reset'));
    const open = [];
    for (const link of links) if ((await page(new URL(link).pathname)).status === 200) open.push(link);
    expect(open).toHaveLength(1);
    const resetUrl = open[0]!;
    const { rows } = await db.query(
      `select extract(epoch from expires_at - created_at)::int as seconds from web_user_tokens where purpose = 'reset' and user_id = $1`,
      [owner.userId],
    );
    expect(rows.map((row) => row.seconds)).toEqual([3600, 3600, 3600]); // the fourth request sent nothing

    // an invitation still open when the reset is used stops with it
    const invitation = await api(stack.url, 'POST', `/admin/merchants/${owner.merchantId}/invitations`, {
      token: stack.adminToken,
      body: { email: owner.email },
    });
    expect(invitation.status).toBe(201);
    const password = testPassword();
    const done = await postPublicForm(resetUrl, { password, password_repeat: password });
    expect(done.status).toBe(303);
    expect((await page(new URL(invitation.body.dashboard_invite_url).pathname)).status).toBe(410);
    expect((await getPage(stack, owner, '/dashboard/team')).status).toBe(303);
    const oldPassword = await postPublicForm(`${stack.url}/dashboard/sign-in`, {
      email: owner.email,
      password: owner.password,
    });
    expect(oldPassword.status).toBe(401);
    await signInHttp(stack, { ...owner, password });
    expect((await postPublicForm(resetUrl, { password, password_repeat: password })).status).toBe(410);
  });
});

describe('operators', () => {
  it('POST /admin/operators answers console_invite_url; the operator sets a password and signs in to the console', async () => {
    const created = await api(stack.url, 'POST', '/admin/operators', {
      token: stack.adminToken,
      body: { email: 'ops@kassa.example' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'operator', email: 'ops@kassa.example', status: 'invited' });
    const inviteUrl: string = created.body.console_invite_url;
    expect(inviteUrl).toMatch(new RegExp(`^${stack.url}/admin/console/invitation/[A-Za-z0-9]{43}$`));
    const [mail] = await sink.waitFor('ops@kassa.example');
    expect(linkIn(mail!.mail.text!, 'invitation', '/admin/console')).toBe(inviteUrl);
    expect((await api(stack.url, 'POST', '/admin/operators', { body: { email: 'x@kassa.example' } })).status).toBe(401);

    const password = testPassword();
    const accepted = await postPublicForm(inviteUrl, { password, password_repeat: password });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe('/admin/console');
    const cookie = accepted.headers.getSetCookie().find((line) => line.startsWith('kassa_console='))!;
    expect(cookie).toMatch(/; Path=\/admin\/console; .*HttpOnly; SameSite=Lax$/);

    const operator = await newOperatorUser(stack);
    const operators = (await listOperators({ db })).map((found) => [found.email, found.invited]);
    expect(operators).toEqual(
      expect.arrayContaining([
        ['ops@kassa.example', false],
        [operator.email, false],
      ]),
    );
    const signedIn = await signInHttp(stack, operator);
    const home = await getPage(stack, signedIn, '/admin/console');
    expect(home.headers.get('location') ?? '').not.toContain('/sign-in');
    expect((await postForm(stack, signedIn, '/admin/console/locale', { _csrf: '', locale: 'ru' })).status).toBe(403);
    expect((await postForm(stack, signedIn, '/admin/console/locale', { locale: 'ru' })).status).toBe(303);
    const out = await postForm(stack, signedIn, '/admin/console/logout');
    expect(out.headers.get('location')).toBe('/admin/console/sign-in?signed_out=1&locale=ru');
    expect((await getPage(stack, signedIn, '/admin/console')).headers.get('location')).toBe('/admin/console/sign-in');
    // a merchant's password does not open the console
    const owner = await newMerchantUser(stack);
    const refused = await postPublicForm(`${stack.url}/admin/console/sign-in`, {
      email: owner.email,
      password: owner.password,
    });
    expect(refused.status).toBe(401);
  });
});

describe('the door check on every form and query', () => {
  it('refuses a character PostgreSQL cannot store, before or after sign-in, with a 400 page naming the field', async () => {
    const before = await postPublicForm(`${stack.url}/dashboard/sign-in`, {
      email: 'a\u0000b@shop.example',
      password: 'x',
    });
    expect([before.status, before.headers.get('content-type')]).toEqual([400, 'text/html; charset=utf-8']);
    expect(before.text).toContain('The field email contains a character that cannot be stored.');
    const query = await page('/admin/console/sign-in?next=%00');
    expect(query.status).toBe(400);

    // behind the sign-in too, in the browser's language (the door runs before the session is read)
    const owner = await newMerchantUser(stack);
    const team = await postForm(stack, owner, '/dashboard/team/invitations', { email: 'x\u0000@shop.example' });
    expect(team.status).toBe(400);
    expect(team.text).toContain('The field email contains a character that cannot be stored.');
    const russian = await fetch(`${stack.url}/dashboard/payments?order_id=%00`, {
      headers: { cookie: owner.cookie, 'accept-language': 'ru-RU,ru;q=0.9' },
    });
    expect(russian.status).toBe(400);
    expect(await russian.text()).toContain('Поле order_id содержит символ, который нельзя сохранить.');
  });

  it('refuses a card number where none belongs, and never stores or repeats it', async () => {
    const owner = await newMerchantUser(stack);
    const payout = await postForm(stack, owner, '/dashboard/balance/payouts', {
      amount: '1.00',
      currency: 'RUB',
      type: 'wallet',
      wallet_id: '4111 1111 1111 1111',
    });
    expect(payout.status).toBe(400);
    expect(payout.text).toContain('The field wallet_id looks like a payment card number.');
    expect(payout.text).not.toContain('4111 1111 1111 1111');
    const { rows } = await db.query(`select count(*)::int as n from payouts where destination_wallet like '%4111%'`);
    expect(rows[0].n).toBe(0);
  });
});

describe('forms that move money', () => {
  it('refund the same form sent twice once: a double click or a resend moves the money once', async () => {
    const owner = await newMerchantUser(stack);
    const checkout = await api(stack.url, 'POST', '/v1/checkouts', {
      token: owner.testKey,
      body: {
        name: 'Twice',
        site_url: 'https://shop.example',
        currencies: ['RUB'],
        notify_url: 'https://shop.example/notify',
        success_url: 'https://shop.example/ok',
        fail_url: 'https://shop.example/fail',
        pending_url: 'https://shop.example/wait',
      },
    });
    const paid = await paidPaymentWith(stack, owner.testKey, checkout.body.id, { amount: '50.00' });
    const form = await getPage(stack, owner, `/dashboard/payments/${paid.id}`);
    const once = /name="once" value="([A-Za-z0-9]{32})"/.exec(form.text)?.[1];
    expect(once).toBeDefined();
    const refund = () =>
      postForm(stack, owner, `/dashboard/payments/${paid.id}/refunds`, { amount: '10.00', once: once! });
    const answers = await Promise.all([refund(), refund()]);
    expect(answers.map((answer) => answer.status)).toEqual([303, 303]);
    expect((await refund()).status).toBe(303);
    const refunds = await api(stack.url, 'GET', `/v1/payments/${paid.id}/refunds`, { token: owner.testKey });
    expect(refunds.body.data).toHaveLength(1);
    // a new form is a new refund
    const again = await getPage(stack, owner, `/dashboard/payments/${paid.id}`);
    const next = /name="once" value="([A-Za-z0-9]{32})"/.exec(again.text)?.[1];
    expect(next).not.toBe(once);
  });
});

describe('pages that do not exist', () => {
  it('answer a 404 page in the person’s language behind the sign-in, and send a signed-out visitor to sign in', async () => {
    const owner = await newMerchantUser(stack, { locale: 'ru' });
    const cabinet = await getPage(stack, owner, '/dashboard/no-such-screen');
    expect([cabinet.status, cabinet.headers.get('content-type')]).toEqual([404, 'text/html; charset=utf-8']);
    expect(cabinet.text).toContain('<html lang="ru">');
    const operator = await newOperatorUser(stack);
    const console = await getPage(stack, operator, '/admin/console/no-such-screen');
    expect([console.status, console.headers.get('content-type')]).toEqual([404, 'text/html; charset=utf-8']);
    expect((await page('/dashboard/no-such-screen')).status).toBe(303);
  });
});

describe('an open payment in the cabinet', () => {
  it('is canceled from its page, as POST /v1/payments/:id/cancel does; a closed one offers no cancel', async () => {
    const owner = await newMerchantUser(stack);
    const checkout = await api(stack.url, 'POST', '/v1/checkouts', {
      token: owner.testKey,
      body: {
        name: 'Cancel',
        site_url: 'https://shop.example',
        currencies: ['RUB'],
        notify_url: 'https://shop.example/notify',
        success_url: 'https://shop.example/ok',
        fail_url: 'https://shop.example/fail',
        pending_url: 'https://shop.example/wait',
      },
    });
    const open = await createTestPayment(stack, owner.testKey, checkout.body.id);
    expect((await getPage(stack, owner, `/dashboard/payments/${open.id}`)).text).toContain('id="cancel-form"');
    const canceled = await postForm(stack, owner, `/dashboard/payments/${open.id}/cancel`);
    expect([canceled.status, canceled.headers.get('location')]).toEqual([
      303,
      `/dashboard/payments/${open.id}?notice=canceled`,
    ]);
    const after = await api(stack.url, 'GET', `/v1/payments/${open.id}`, { token: owner.testKey });
    expect(after.body.status).toBe('canceled');
    const page = await getPage(stack, owner, `/dashboard/payments/${open.id}?notice=canceled`);
    expect(page.text).toContain('Payment canceled: the buyer can no longer pay it.');
    expect(page.text).not.toContain('id="cancel-form"');
    expect((await postForm(stack, owner, `/dashboard/payments/${open.id}/cancel`)).status).toBe(409);
  });
});
