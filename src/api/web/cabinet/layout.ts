import type { Response } from 'express';
import type { Translator } from '../../../i18n';
import { html, type SafeHtml } from '../html';
import { documentPage, type DocumentHead } from '../layout';
import { csrfField, languageButtons, type WebSession } from '../session';

/** The cabinet's sections, in the order of its menu. */
export const cabinetSections = [
  { key: 'home', path: '/dashboard' },
  { key: 'checkouts', path: '/dashboard/checkouts' },
  { key: 'payments', path: '/dashboard/payments' },
  { key: 'balance', path: '/dashboard/balance' },
  { key: 'developers', path: '/dashboard/developers' },
  { key: 'channels', path: '/dashboard/channels' },
  { key: 'team', path: '/dashboard/team' },
] as const;

export type CabinetSection = (typeof cabinetSections)[number]['key'];

/** The other merchants' cabinets the person may open without signing in again, when there are any. */
function otherTeams(session: WebSession, t: Translator): SafeHtml | '' {
  if (session.otherTeams.length === 0) return '';
  const options = session.otherTeams.map((team) => html`<option value="${team.userId}">${team.merchantName}</option>`);
  return html`<form method="post" action="/dashboard/switch-cabinet" class="team-switch">${csrfField(session)}
<label for="other-team">${t.t('cabinet.otherTeams')}</label> <select id="other-team" name="user_id">${options}</select>
<button type="submit" class="secondary">${t.t('cabinet.openOtherTeam')}</button></form>
`;
}

/**
 * A cabinet screen: the menu with `active` marked, the test/live switch, the other teams' cabinets
 * (for a person on several), the language switch and sign-out (each a small form with the CSRF token, returning to `here`), then the screen's body.
 */
export function cabinetPage(options: {
  session: WebSession;
  t: Translator;
  active: CabinetSection;
  title: string;
  /** The path this screen is at, where the switches come back to. */
  here: string;
  body: SafeHtml;
  head?: DocumentHead;
}): string {
  const { session, t, here } = options;
  const menu = cabinetSections.map(
    (section) =>
      html`<li><a href="${section.path}"${section.key === options.active ? html` aria-current="page"` : ''}>${t.t(
        `cabinet.nav.${section.key}`,
      )}</a></li>`,
  );
  const body = html`<header class="topbar">
<a class="brand" href="/dashboard">Kassa</a>
<nav aria-label="${t.t('cabinet.nav.label')}"><ul class="menu">${menu}</ul></nav>
<div class="switches">
<form method="post" action="/dashboard/mode" class="mode-switch">${csrfField(session)}<input type="hidden" name="back" value="${here}">
<input type="hidden" name="test_mode" value="${session.testMode ? 'false' : 'true'}">
<span class="status ${session.testMode ? 'test' : 'live'}" id="mode">${session.testMode ? t.t('common.testMode') : t.t('common.liveMode')}</span>
<button type="submit" class="secondary">${session.testMode ? t.t('cabinet.switchToLive') : t.t('cabinet.switchToTest')}</button></form>
${otherTeams(session, t)}<form method="post" action="/dashboard/locale" class="locale-switch">${csrfField(session)}<input type="hidden" name="back" value="${here}">
${languageButtons(t)}</form>
<form method="post" action="/dashboard/logout">${csrfField(session)}<button type="submit" class="secondary">${t.t('common.signOut')}</button></form>
</div>
</header>
<main class="screen">
${session.testMode ? html`<p class="alert" id="test-banner">${t.t('cabinet.testBanner')}</p>` : ''}
<h1>${options.title}</h1>
${options.body}
</main>`;
  return documentPage({ locale: t.locale, title: options.title, body, head: options.head, bodyClass: 'cabinet' });
}

/** Answers a cabinet screen (see {@link cabinetPage}) with `status`. */
export function sendCabinetPage(res: Response, options: Parameters<typeof cabinetPage>[0], status = 200): void {
  res.status(status).type('html').send(cabinetPage(options));
}
