/**
 * The pages a person sees before signing in: sign in, set a password from an invitation, ask for a
 * password reset and choose the new password, and the refusals (expired form, used link, too many
 * attempts). Every form carries the pre-session CSRF token and the language it was shown in.
 */
import { availableLocales, translator, type Translator } from '../../i18n';
import type { WebRole } from '../../services/web-users';
import { passwordMinLength, webAreaPath } from '../../services/web-users';
import { html, type SafeHtml } from './html';
import { assetsPath, documentPage } from './layout';

/** What every page before sign-in is rendered with. */
export interface AuthPageContext {
  t: Translator;
  role: WebRole;
  /** The pre-session CSRF token the page's form sends back as `_csrf`. */
  formToken: string;
  /** The language the person chose with `?locale=`, carried by the form; null when it came from the browser. */
  explicitLocale: string | null;
}

const hidden = (name: string, value: string | null | undefined) =>
  value ? html`<input type="hidden" name="${name}" value="${value}">` : '';

function languageLinks(context: AuthPageContext, path: string, extra: Record<string, string | null | undefined>) {
  const links = availableLocales
    .filter((code) => code !== context.t.locale)
    .map((code) => {
      const query = new URLSearchParams({ locale: code });
      for (const [key, value] of Object.entries(extra)) if (value) query.set(key, value);
      return html`<a href="${path}?${query.toString()}" lang="${code}" hreflang="${code}">${translator(code).t(
        'common.language',
      )}</a>`;
    });
  return html`<nav class="auth-languages" aria-label="${context.t.t('auth.language')}">${links}</nav>`;
}

/** A whole page before sign-in: the area's name, the form or message, a language switch. */
export function authDocument(
  context: AuthPageContext,
  options: { title: string; body: SafeHtml; path: string; query?: Record<string, string | null | undefined> },
): string {
  const { t } = context;
  const body = html`<main class="auth">
<p class="auth-brand"><span class="brand">Kassa</span> <span class="muted">${t.t(`auth.area.${context.role}`)}</span></p>
<div class="card auth-card">
<h1>${options.title}</h1>
${options.body}
</div>
${languageLinks(context, options.path, options.query ?? {})}
</main>`;
  return documentPage({
    locale: t.locale,
    title: options.title,
    body,
    head: { styles: [`${assetsPath}/auth.css`] },
    bodyClass: 'auth-page',
  });
}

const alert = (kind: 'error' | 'ok' | 'info', text: string | null | undefined) =>
  text
    ? html`<p class="alert${kind === 'info' ? '' : ` ${kind}`}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`
    : '';

const formFields = (context: AuthPageContext) =>
  html`${hidden('_csrf', context.formToken)}${hidden('locale', context.explicitLocale)}`;

function passwordFields(t: Translator, error: { field: string; message: string } | null) {
  const invalid = (field: string) => (error?.field === field ? html` aria-invalid="true"` : '');
  return html`<label for="password">${t.t('auth.password')}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${passwordMinLength}" maxlength="200" aria-describedby="password-hint"${invalid('password')}>
<p class="muted" id="password-hint">${t.t('auth.passwordHint', { min: passwordMinLength })}</p>
<label for="password_repeat">${t.t('auth.passwordRepeat')}</label>
<input id="password_repeat" name="password_repeat" type="password" autocomplete="new-password" required minlength="${passwordMinLength}" maxlength="200"${invalid('password_repeat')}>`;
}

/** The sign-in form; `refused` and the notices are shown above it. */
export function signInPage(
  context: AuthPageContext,
  options: { email?: string; next?: string | null; error?: string | null; notice?: string | null },
): string {
  const { t } = context;
  const base = webAreaPath[context.role];
  const body = html`${alert('ok', options.notice)}${alert('error', options.error)}
<form method="post" action="${base}/sign-in" class="auth-form">${formFields(context)}${hidden('next', options.next)}
<label for="email">${t.t('auth.email')}</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${options.email ?? ''}">
<label for="password">${t.t('auth.password')}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
<button type="submit">${t.t('auth.signIn.submit')}</button>
</form>
<p><a href="${base}/password-reset${context.explicitLocale ? `?locale=${context.explicitLocale}` : ''}">${t.t(
    'auth.signIn.forgot',
  )}</a></p>`;
  return authDocument(context, {
    title: t.t('auth.signIn.title'),
    body,
    path: `${base}/sign-in`,
    query: { next: options.next },
  });
}

/** Choosing a password from a one-time link: an invitation or a password reset. */
export function setPasswordPage(
  context: AuthPageContext,
  options: {
    purpose: 'invitation' | 'reset';
    token: string;
    email: string;
    error?: { field: string; message: string } | null;
  },
): string {
  const { t } = context;
  const path = `${webAreaPath[context.role]}/${options.purpose === 'invitation' ? 'invitation' : 'password-reset'}/${options.token}`;
  const invitation = options.purpose === 'invitation';
  const body = html`<p>${invitation ? t.t('auth.invite.intro', { email: options.email }) : t.t('auth.reset.confirmIntro', { email: options.email })}</p>
${alert('error', options.error?.message)}
<form method="post" action="${path}" class="auth-form">${formFields(context)}
<input type="email" name="email" autocomplete="username" value="${options.email}" readonly hidden>
${passwordFields(t, options.error ?? null)}
<button type="submit">${invitation ? t.t('auth.invite.submit') : t.t('auth.reset.confirmSubmit')}</button>
</form>`;
  return authDocument(context, {
    title: invitation ? t.t('auth.invite.title') : t.t('auth.reset.confirmTitle'),
    body,
    path,
  });
}

/** Asking for a password-reset link; after sending, the same answer whether the address is known or not. */
export function resetRequestPage(context: AuthPageContext, options: { sent?: boolean; error?: string | null }): string {
  const { t } = context;
  const base = webAreaPath[context.role];
  const body = options.sent
    ? html`${alert('ok', t.t('auth.reset.sent'))}<p><a href="${base}/sign-in">${t.t('auth.reset.backToSignIn')}</a></p>`
    : html`<p>${t.t('auth.reset.intro')}</p>${alert('error', options.error)}
<form method="post" action="${base}/password-reset" class="auth-form">${formFields(context)}
<label for="email">${t.t('auth.email')}</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="254">
<button type="submit">${t.t('auth.reset.submit')}</button>
</form>
<p><a href="${base}/sign-in">${t.t('auth.reset.backToSignIn')}</a></p>`;
  return authDocument(context, { title: t.t('auth.reset.title'), body, path: `${base}/password-reset` });
}

/** A refusal or notice with a way back to the sign-in page. */
export function messagePage(
  context: AuthPageContext,
  options: { title: string; message: string; path: string },
): string {
  const { t } = context;
  const base = webAreaPath[context.role];
  const body = html`${alert('error', options.message)}<p><a href="${base}/sign-in">${t.t('auth.reset.backToSignIn')}</a></p>`;
  return authDocument(context, { title: options.title, body, path: options.path });
}
