/**
 * Signing in to the merchant's cabinet (`/dashboard`, cookie `kassa_session`) and the operator's
 * console (`/admin/console`, cookie `kassa_console`): the public pages (sign in, invitation,
 * password reset), the session guards, and the switches behind them (mode, language, sign-out).
 *
 * Cookies are HttpOnly, SameSite=Lax, limited to their area's path and Secure when `PUBLIC_URL` is
 * https. Every form that changes something carries `_csrf`: before sign-in it must equal the
 * `kassa_form` cookie (double submit), after it the session's own token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { DomainError } from '../../domain/errors';
import { chooseLocale, supportedLocale, translator } from '../../i18n';
import type { ServiceDeps } from '../../services/deps';
import {
  endSession,
  passwordMinLength,
  rememberDevice,
  requestPasswordReset,
  sessionAbsoluteSeconds,
  sessionOfToken,
  setPasswordByLink,
  setSessionLocale,
  setSessionMode,
  signIn,
  signInDeviceSeconds,
  startSession,
  switchTeam,
  type WebUser,
  userOfLink,
  webAreaPath,
  type WebRole,
} from '../../services/web-users';
import { messagePage, resetRequestPage, setPasswordPage, signInPage, type AuthPageContext } from './auth-pages';
import type { WebSession } from './session';

/** The cookie of each area's session. */
export const sessionCookie: Record<WebRole, string> = { merchant: 'kassa_session', operator: 'kassa_console' };
/** The cookie by which each area remembers a browser that signed in (it is no session). */
export const deviceCookie: Record<WebRole, string> = { merchant: 'kassa_device', operator: 'kassa_console_device' };
/** The pre-session CSRF cookie (double submit) of the sign-in pages. */
export const formCookie = 'kassa_form';

const one = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function cookiesOf(req: Request): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    if (found.has(name)) continue;
    try {
      found.set(name, decodeURIComponent(part.slice(at + 1).trim()));
    } catch {
      // a cookie that is not ours
    }
  }
  return found;
}

const sameToken = (a: string | undefined, b: string | undefined) => {
  if (!a || !b) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

const secureCookies = (deps: ServiceDeps) => deps.config.publicUrl.startsWith('https:');

/**
 * A redirect target from a form or query (`next`, `back`): a path inside the area, on this origin;
 * anything else (another host, `//host`, a backslash, a scheme) gives null.
 */
export function safeReturnPath(value: unknown, role: WebRole): string | null {
  if (typeof value !== 'string' || value.length > 2000 || !value.startsWith('/') || /[\\\s\u0000-\u001f]/.test(value))
    return null;
  const origin = 'http://kassa.invalid';
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return null;
  }
  if (url.origin !== origin || value.startsWith('//')) return null;
  const base = webAreaPath[role];
  if (url.pathname !== base && !url.pathname.startsWith(`${base}/`)) return null;
  return `${url.pathname}${url.search}`;
}

function publicContext(req: Request, res: Response, deps: ServiceDeps, role: WebRole, fallback?: string) {
  const explicit = supportedLocale(one(req.query.locale) ?? one((req.body as Record<string, unknown>)?.locale));
  const t = translator(
    chooseLocale({ explicit: [explicit], acceptLanguage: req.get('accept-language'), fallback: fallback ?? null }),
  );
  let formToken = cookiesOf(req).get(formCookie);
  if (!formToken || !/^[A-Za-z0-9_-]{20,100}$/.test(formToken)) {
    formToken = randomBytes(24).toString('base64url');
    res.cookie(formCookie, formToken, {
      path: webAreaPath[role],
      httpOnly: true,
      sameSite: 'lax',
      secure: secureCookies(deps),
    });
  }
  res.set('cache-control', 'no-store');
  return { t, role, formToken, explicitLocale: explicit } satisfies AuthPageContext;
}

const formOf = (req: Request): Record<string, unknown> => (req.body as Record<string, unknown> | undefined) ?? {};

function formTokenValid(req: Request): boolean {
  return sameToken(one(formOf(req)._csrf), cookiesOf(req).get(formCookie));
}

function refuseForm(res: Response, context: AuthPageContext, path: string) {
  res
    .status(403)
    .type('html')
    .send(
      messagePage(context, {
        title: context.t.t('auth.errors.forbiddenTitle'),
        message: context.t.t('common.forbidden'),
        path,
      }),
    );
}

function setSessionCookie(res: Response, deps: ServiceDeps, role: WebRole, token: string) {
  res.cookie(sessionCookie[role], token, {
    path: webAreaPath[role],
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies(deps),
    maxAge: sessionAbsoluteSeconds * 1000,
  });
}

/** Starts `user`'s session, and remembers the browser as one that signed in. */
async function signInBrowser(
  req: Request,
  res: Response,
  deps: ServiceDeps,
  user: WebUser,
  locale: string | null,
  otherTeams: string[] = [],
) {
  const session = await startSession(deps, user, { locale: locale ?? undefined, otherTeams });
  setSessionCookie(res, deps, user.role, session.token);
  const device = await rememberDevice(deps, user, cookiesOf(req).get(deviceCookie[user.role]));
  res.cookie(deviceCookie[user.role], device, {
    path: webAreaPath[user.role],
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies(deps),
    maxAge: signInDeviceSeconds * 1000,
  });
}

function passwordError(t: AuthPageContext['t'], error: unknown): { field: string; message: string } | null {
  if (!(error instanceof DomainError)) return null;
  const messages: Record<string, string> = {
    password_too_short: t.t('auth.errors.passwordTooShort', { min: passwordMinLength }),
    password_too_long: t.t('auth.errors.passwordTooLong'),
    password_is_email: t.t('auth.errors.passwordIsEmail'),
  };
  return messages[error.code] ? { field: 'password', message: messages[error.code]! } : null;
}

function authRoutes(deps: ServiceDeps, role: WebRole): Router {
  const router = Router();
  const base = webAreaPath[role];

  router.get('/sign-in', async (req, res) => {
    const next = safeReturnPath(one(req.query.next), role);
    const token = cookiesOf(req).get(sessionCookie[role]);
    if (token && (await sessionOfToken(deps, role, token))) return res.redirect(303, next ?? base);
    const context = publicContext(req, res, deps, role);
    const notice = one(req.query.signed_out) ? context.t.t('auth.signIn.signedOut') : null;
    res.type('html').send(signInPage(context, { next, notice }));
  });

  router.post('/sign-in', async (req, res) => {
    const context = publicContext(req, res, deps, role);
    if (!formTokenValid(req)) return refuseForm(res, context, `${base}/sign-in`);
    const form = formOf(req);
    const email = (one(form.email) ?? '').trim().slice(0, 254);
    const password = one(form.password) ?? '';
    const next = safeReturnPath(one(form.next), role);
    const { t } = context;
    if (!email || !password) {
      const error = email ? t.t('auth.errors.passwordMissing') : t.t('auth.errors.emailMissing');
      return res.status(400).type('html').send(signInPage(context, { email, next, error }));
    }
    const result = await signIn(deps, {
      role,
      email,
      password: password.slice(0, 1000),
      clientAddress: req.ip ?? '',
      device: cookiesOf(req).get(deviceCookie[role]),
    });
    if (result.outcome === 'rate_limited') {
      res.set('retry-after', '900');
      return res
        .status(429)
        .type('html')
        .send(signInPage(context, { email, next, error: t.t('auth.errors.rateLimited') }));
    }
    if (result.outcome !== 'signed_in')
      return res
        .status(401)
        .type('html')
        .send(signInPage(context, { email, next, error: t.t('auth.signIn.refused') }));
    await signInBrowser(req, res, deps, result.user, context.explicitLocale, result.otherTeams);
    res.redirect(303, next ?? base);
  });

  router.get('/password-reset', (req, res) => {
    res.type('html').send(resetRequestPage(publicContext(req, res, deps, role), {}));
  });

  router.post('/password-reset', (req, res) => {
    const context = publicContext(req, res, deps, role);
    if (!formTokenValid(req)) return refuseForm(res, context, `${base}/password-reset`);
    const email = (one(formOf(req).email) ?? '').trim();
    if (!email || email.length > 254)
      return res
        .status(400)
        .type('html')
        .send(resetRequestPage(context, { error: context.t.t('auth.errors.emailMissing') }));
    // not awaited: the answer takes as long whether the address is known or not
    requestPasswordReset(deps, { role, email }).catch((error: unknown) =>
      deps.observability?.logger.warn({ err: error }, 'a password-reset request failed'),
    );
    res.type('html').send(resetRequestPage(context, { sent: true }));
  });

  for (const purpose of ['invitation', 'reset'] as const) {
    const path = purpose === 'invitation' ? '/invitation/:token' : '/password-reset/:token';
    const here = (token: string) => `${base}${purpose === 'invitation' ? '/invitation' : '/password-reset'}/${token}`;
    const unusable = (res: Response, context: AuthPageContext, token: string) =>
      res
        .status(410)
        .type('html')
        .send(
          messagePage(context, {
            title: context.t.t('auth.errors.linkUnusableTitle'),
            message: context.t.t('auth.errors.linkUnusable'),
            path: here(token),
          }),
        );

    router.get(path, async (req, res) => {
      const token = req.params.token!;
      res.set('referrer-policy', 'no-referrer');
      const user = token.length <= 100 ? await userOfLink(deps, role, purpose, token) : null;
      const context = publicContext(req, res, deps, role, user?.locale);
      if (!user) return unusable(res, context, token);
      res.type('html').send(setPasswordPage(context, { purpose, token, email: user.email }));
    });

    router.post(path, async (req, res) => {
      const token = req.params.token!;
      res.set('referrer-policy', 'no-referrer');
      const user = token.length <= 100 ? await userOfLink(deps, role, purpose, token) : null;
      const context = publicContext(req, res, deps, role, user?.locale);
      if (!formTokenValid(req)) return refuseForm(res, context, here(token));
      if (!user) return unusable(res, context, token);
      const form = formOf(req);
      const password = one(form.password) ?? '';
      const { t } = context;
      const page = (status: number, error: { field: string; message: string }) =>
        res
          .status(status)
          .type('html')
          .send(setPasswordPage(context, { purpose, token, email: user.email, error }));
      if (!password) return page(400, { field: 'password', message: t.t('auth.errors.passwordMissing') });
      if (password !== (one(form.password_repeat) ?? ''))
        return page(400, { field: 'password_repeat', message: t.t('auth.errors.passwordMismatch') });
      let signedIn;
      try {
        signedIn = await setPasswordByLink(deps, { role, purpose, token, password });
      } catch (error) {
        const known = passwordError(t, error);
        if (known) return page(400, known);
        if (error instanceof DomainError && error.code === 'link_unusable') return unusable(res, context, token);
        throw error;
      }
      await signInBrowser(req, res, deps, signedIn, context.explicitLocale);
      res.redirect(303, base);
    });
  }
  return router;
}

/** Where a signed-in page refuses a request: a small page in the person's language. */
function sessionRefusal(res: Response, role: WebRole, locale: string, status: number, title: string, message: string) {
  const context: AuthPageContext = { t: translator(locale), role, formToken: '', explicitLocale: null };
  res
    .status(status)
    .type('html')
    .send(messagePage(context, { title, message, path: `${webAreaPath[role]}/sign-in` }));
}

const readMethods = new Set(['GET', 'HEAD']);

/**
 * The guard: a live session of `role` puts its {@link WebSession} in `res.locals.session`; without
 * one, a 303 to the sign-in page (`?next=` the page asked for, when it was a GET). A request that is
 * not a GET or HEAD must carry `_csrf` equal to the session's token, else 403.
 */
function requireSession(deps: ServiceDeps, role: WebRole): RequestHandler {
  const base = webAreaPath[role];
  return async (req, res, next) => {
    const token = cookiesOf(req).get(sessionCookie[role]);
    const session: WebSession | null = token ? await sessionOfToken(deps, role, token) : null;
    if (!session) {
      if (token) res.clearCookie(sessionCookie[role], { path: base });
      const wanted = readMethods.has(req.method) ? safeReturnPath(req.originalUrl, role) : null;
      return res.redirect(
        303,
        `${base}/sign-in${wanted && wanted !== base ? `?next=${encodeURIComponent(wanted)}` : ''}`,
      );
    }
    res.set('cache-control', 'no-store');
    if (!readMethods.has(req.method) && !sameToken(one(formOf(req)._csrf), session.csrfToken)) {
      const t = translator(session.locale);
      return sessionRefusal(res, role, session.locale, 403, t.t('auth.errors.forbiddenTitle'), t.t('common.forbidden'));
    }
    res.locals.session = session;
    res.locals.sessionToken = token;
    next();
  };
}

function badField(res: Response, role: WebRole, session: WebSession, field: string) {
  const t = translator(session.locale);
  sessionRefusal(res, role, session.locale, 400, t.t('auth.errors.title'), t.t('auth.errors.badField', { field }));
}

/** The guard, then the switches every signed-in page's header posts to: language, sign-out and (cabinet) mode and team. */
function sessionRoutes(deps: ServiceDeps, role: WebRole): Router {
  const router = Router();
  const base = webAreaPath[role];
  router.use(requireSession(deps, role));
  const back = (req: Request) => safeReturnPath(one(formOf(req).back), role) ?? base;
  if (role === 'merchant') {
    router.post('/mode', async (req, res) => {
      const value = one(formOf(req).test_mode);
      if (value !== 'true' && value !== 'false')
        return badField(res, role, res.locals.session as WebSession, 'test_mode');
      await setSessionMode(deps, res.locals.sessionToken as string, value === 'true');
      res.redirect(303, back(req));
    });
    router.post('/switch-cabinet', async (req, res) => {
      const session = res.locals.session as WebSession;
      const switched = await switchTeam(
        deps,
        res.locals.sessionToken as string,
        session,
        one(formOf(req).user_id) ?? '',
      );
      if (!switched) return badField(res, role, session, 'user_id');
      setSessionCookie(res, deps, role, switched);
      res.redirect(303, base);
    });
  }
  router.post('/locale', async (req, res) => {
    const session = res.locals.session as WebSession;
    const locale = supportedLocale(one(formOf(req).locale));
    if (!locale) return badField(res, role, session, 'locale');
    await setSessionLocale(deps, res.locals.sessionToken as string, session.userId, locale);
    res.redirect(303, back(req));
  });
  router.post('/logout', async (req, res) => {
    const session = res.locals.session as WebSession;
    await endSession(deps, res.locals.sessionToken as string);
    res.clearCookie(sessionCookie[role], { path: base });
    res.redirect(303, `${base}/sign-in?signed_out=1&locale=${encodeURIComponent(session.locale)}`);
  });
  return router;
}

/** The cabinet's public pages: `/dashboard/sign-in`, `/dashboard/invitation/:token`, `/dashboard/password-reset[/:token]`. */
export const merchantAuthRoutes = (deps: ServiceDeps): Router => authRoutes(deps, 'merchant');
/** The console's public pages, the same under `/admin/console`. */
export const operatorAuthRoutes = (deps: ServiceDeps): Router => authRoutes(deps, 'operator');
/** The cabinet's guard, then `POST /dashboard/mode`, `/dashboard/switch-cabinet`, `/dashboard/locale` and `/dashboard/logout`. */
export const requireMerchantSession = (deps: ServiceDeps): Router => sessionRoutes(deps, 'merchant');
/** The console's guard, then `POST /admin/console/locale` and `/admin/console/logout`. */
export const requireOperatorSession = (deps: ServiceDeps): Router => sessionRoutes(deps, 'operator');
