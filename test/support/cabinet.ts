/**
 * Signed-in people for tests of the cabinet (`/dashboard`) and the console (`/admin/console`), made
 * the way a person gets there: over HTTP, through the operator API's invitation and the page that
 * sets a password.
 *
 * ```ts
 * const merchant = await newMerchantUser(stack);                 // POST /admin/merchants, invitation, password
 * const page = await getPage(stack, merchant, '/dashboard/payments');   // { status, text, headers }
 * const done = await postForm(stack, merchant, '/dashboard/mode', { test_mode: 'false' }); // `_csrf` added
 * await signInBrowser(page, stack, merchant);                   // Playwright: the real sign-in form
 * await useSessionIn(browserContext, stack, merchant);          // Playwright: the HTTP session's cookie, no form
 * const operator = await newOperatorUser(stack, { locale: 'ru' });
 * ```
 *
 * Each user starts in test mode; `locale` sets the user's (and the session's) language through
 * `POST …/locale`. `csrf` is the session's form token, read from the database (the cookie's SHA-256
 * finds the row), so tests can post without scraping a page first.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { Pool } from 'pg';
import { api, type TestStack } from './stack';

export type WebRole = 'merchant' | 'operator';

/** Where each role's pages are, and the cookie of its session. */
export const webAreas = {
  merchant: { base: '/dashboard', cookie: 'kassa_session' },
  operator: { base: '/admin/console', cookie: 'kassa_console' },
} as const;

/** Someone signed in over HTTP. */
export interface SignedInUser {
  role: WebRole;
  email: string;
  password: string;
  /** The session cookie's value. */
  sessionToken: string;
  /** `kassa_session=…` (or `kassa_console=…`), ready for a `cookie` header. */
  cookie: string;
  /** The session's CSRF token: every POST behind the sign-in sends it as `_csrf`. */
  csrf: string;
  /** The user's id (`usr_…`). */
  userId: string;
}

export interface MerchantUser extends SignedInUser {
  role: 'merchant';
  merchantId: string;
  testKey: string;
  liveKey: string;
  /** The invitation link POST /admin/merchants answered (used up by now). */
  inviteUrl: string;
}

export interface OperatorUser extends SignedInUser {
  role: 'operator';
  inviteUrl: string;
}

type Stack = Pick<TestStack, 'url' | 'adminToken' | 'databaseUrl'>;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** A password that passes the rules (at least 10 characters). */
export const testPassword = () => `pw-${randomBytes(9).toString('base64url')}`;

/** The value a response sets for the cookie `name`, or null. */
export function cookieFrom(headers: Headers, name: string): string | null {
  for (const line of headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair!.indexOf('=');
    if (pair!.slice(0, at).trim() === name) return decodeURIComponent(pair!.slice(at + 1));
  }
  return null;
}

/** The session's row for a cookie value: its CSRF token and user. */
export async function sessionRow(stack: Pick<TestStack, 'databaseUrl'>, sessionToken: string) {
  const db = new Pool({ connectionString: stack.databaseUrl, max: 1 });
  try {
    const { rows } = await db.query<{ csrf_token: string; user_id: string }>(
      'select csrf_token, user_id from web_sessions where token_hash = $1',
      [sha256(sessionToken)],
    );
    if (!rows[0]) throw new Error('no session for this cookie');
    return { csrf: rows[0].csrf_token, userId: rows[0].user_id };
  } finally {
    await db.end();
  }
}

/**
 * Posts a pre-session form (sign-in, invitation, reset) the way a browser does: the `kassa_form`
 * cookie and the same value as `_csrf`. Redirects are not followed.
 */
export async function postPublicForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const formToken = randomBytes(18).toString('base64url');
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
      cookie: [`kassa_form=${formToken}`, headers.cookie].filter(Boolean).join('; '),
    },
    body: new URLSearchParams({ _csrf: formToken, ...fields }).toString(),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function signedIn(
  stack: Stack,
  role: WebRole,
  response: { status: number; headers: Headers; text: string },
  user: { email: string; password: string },
) {
  const token = cookieFrom(response.headers, webAreas[role].cookie);
  if (response.status !== 303 || !token)
    throw new Error(`not signed in: ${response.status} ${response.text.slice(0, 500)}`);
  const row = await sessionRow(stack, token);
  return {
    role,
    ...user,
    sessionToken: token,
    cookie: `${webAreas[role].cookie}=${token}`,
    csrf: row.csrf,
    userId: row.userId,
  };
}

/** Follows an invitation (or reset) link and sets `password`: signed in, as the page does after it. */
export async function acceptInvitation(
  stack: Stack,
  role: WebRole,
  inviteUrl: string,
  user: { email: string; password: string },
): Promise<SignedInUser> {
  const response = await postPublicForm(inviteUrl, { password: user.password, password_repeat: user.password });
  return signedIn(stack, role, response, user);
}

/** Signs in through the form over HTTP: a new session for the same user. */
export async function signInHttp<U extends SignedInUser>(stack: Stack, user: U): Promise<U> {
  const response = await postPublicForm(`${stack.url}${webAreas[user.role].base}/sign-in`, {
    email: user.email,
    password: user.password,
  });
  return { ...user, ...(await signedIn(stack, user.role, response, user)) };
}

/** A GET behind the sign-in with the user's cookie; redirects are not followed. */
export async function getPage(stack: Pick<TestStack, 'url'>, user: Pick<SignedInUser, 'cookie'>, path: string) {
  const response = await fetch(`${stack.url}${path}`, { redirect: 'manual', headers: { cookie: user.cookie } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A form POST behind the sign-in with the user's cookie and `_csrf`; redirects are not followed. */
export async function postForm(
  stack: Pick<TestStack, 'url'>,
  user: Pick<SignedInUser, 'cookie' | 'csrf'>,
  path: string,
  fields: Record<string, string> | [string, string][] = {},
) {
  const body = new URLSearchParams(fields);
  if (!body.has('_csrf')) body.set('_csrf', user.csrf);
  const response = await fetch(`${stack.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: user.cookie },
    body: body.toString(),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function applyLocale<U extends SignedInUser>(stack: Stack, user: U, locale: string | undefined): Promise<U> {
  if (!locale) return user;
  const answer = await postForm(stack, user, `${webAreas[user.role].base}/locale`, { locale });
  if (answer.status !== 303) throw new Error(`locale: ${answer.status} ${answer.text.slice(0, 300)}`);
  return user;
}

/**
 * A new merchant (`POST /admin/merchants`) whose owner followed `dashboard_invite_url`, set a password
 * and is signed in, in test mode. `locale` (e.g. `'ru'`) is stored on the user and the session.
 */
export async function newMerchantUser(
  stack: Stack,
  options: { locale?: string; name?: string; email?: string; password?: string } = {},
): Promise<MerchantUser> {
  const email = options.email ?? `owner-${randomBytes(5).toString('hex')}@shop.example`;
  const created = await api(stack.url, 'POST', '/admin/merchants', {
    token: stack.adminToken,
    body: { name: options.name ?? 'Shop', email },
  });
  if (created.status !== 201) throw new Error(`merchant: ${created.status} ${JSON.stringify(created.body)}`);
  const inviteUrl: string = created.body.dashboard_invite_url;
  const password = options.password ?? testPassword();
  const user = await acceptInvitation(stack, 'merchant', inviteUrl, { email, password });
  return applyLocale(
    stack,
    {
      ...user,
      role: 'merchant',
      merchantId: created.body.id,
      testKey: created.body.api_keys.test,
      liveKey: created.body.api_keys.live,
      inviteUrl,
    } satisfies MerchantUser,
    options.locale,
  );
}

/** A new operator (`POST /admin/operators`) who followed `console_invite_url`, set a password and is signed in. */
export async function newOperatorUser(
  stack: Stack,
  options: { locale?: string; email?: string; password?: string } = {},
): Promise<OperatorUser> {
  const email = options.email ?? `ops-${randomBytes(5).toString('hex')}@kassa.example`;
  const created = await api(stack.url, 'POST', '/admin/operators', { token: stack.adminToken, body: { email } });
  if (created.status !== 201) throw new Error(`operator: ${created.status} ${JSON.stringify(created.body)}`);
  const inviteUrl: string = created.body.console_invite_url;
  const password = options.password ?? testPassword();
  const user = await acceptInvitation(stack, 'operator', inviteUrl, { email, password });
  return applyLocale(stack, { ...user, role: 'operator', inviteUrl } satisfies OperatorUser, options.locale);
}

/**
 * Signs `user` in through the real sign-in form in `page` (a new session of its own) and waits for
 * the cabinet's (or console's) first screen.
 */
export async function signInBrowser(page: Page, stack: Pick<TestStack, 'url'>, user: SignedInUser): Promise<void> {
  const { base } = webAreas[user.role];
  await page.goto(`${stack.url}${base}/sign-in`);
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.endsWith('/sign-in')),
    page.click('form.auth-form button[type=submit]'),
  ]);
}

/** Puts the user's HTTP session cookie into a browser context: pages open signed in, without the form. */
export async function useSessionIn(context: BrowserContext, stack: Pick<TestStack, 'url'>, user: SignedInUser) {
  const { base, cookie } = webAreas[user.role];
  await context.addCookies([
    {
      name: cookie,
      value: user.sessionToken,
      domain: new URL(stack.url).hostname,
      path: base,
      httpOnly: true,
      sameSite: 'Lax',
    },
  ]);
}
