import type { Translator } from '../../../i18n';
import { html, type HtmlValue, type SafeHtml } from '../html';
import { assetsPath, documentPage, type DocumentHead } from '../layout';
import { csrfField, languageButtons, type WebSession } from '../session';

/** Where the console lives. */
export const consoleBase = '/admin/console';

/** The console's sections, in the order of its menu. */
export const consoleSections = [
  { key: 'merchants', path: `${consoleBase}/merchants` },
  { key: 'connectors', path: `${consoleBase}/connectors` },
  { key: 'review', path: `${consoleBase}/review` },
  { key: 'reconciliation', path: `${consoleBase}/reconciliation` },
  { key: 'payments', path: `${consoleBase}/payments` },
  { key: 'operators', path: `${consoleBase}/operators` },
] as const;

export type ConsoleSection = (typeof consoleSections)[number]['key'];

/** A message shown above a screen's body after an action. */
export interface Notice {
  kind: 'ok' | 'error' | 'info';
  text: string;
}

/**
 * A console screen: the menu with `active` marked, the operator's e-mail, the language switch and
 * sign-out (small forms with the CSRF token, returning to `here`), an optional notice, then the body.
 */
export function consolePage(options: {
  session: WebSession;
  t: Translator;
  active: ConsoleSection | null;
  title: string;
  here: string;
  body: SafeHtml;
  notice?: Notice | null;
  head?: DocumentHead;
}): string {
  const { session, t, here, notice } = options;
  const menu = consoleSections.map(
    (section) =>
      html`<li><a href="${section.path}"${section.key === options.active ? html` aria-current="page"` : ''}>${t.t(
        `console.nav.${section.key}`,
      )}</a></li>`,
  );
  const body = html`<header class="topbar console-topbar">
<a class="brand" href="${consoleBase}">Kassa <span class="console-badge">${t.t('console.badge')}</span></a>
<nav aria-label="${t.t('console.nav.label')}"><ul class="menu">${menu}</ul></nav>
<div class="switches">
<span class="muted" id="signed-in-as">${session.email}</span>
<form method="post" action="${consoleBase}/locale">${csrfField(session)}<input type="hidden" name="back" value="${here}">
${languageButtons(t)}</form>
<form method="post" action="${consoleBase}/logout">${csrfField(session)}<button type="submit" class="secondary">${t.t('common.signOut')}</button></form>
</div>
</header>
<main class="screen console">
<h1>${options.title}</h1>
${notice ? html`<p class="alert ${notice.kind === 'info' ? '' : notice.kind}" role="status" id="notice">${notice.text}</p>` : ''}
${options.body}
</main>`;
  return documentPage({
    locale: t.locale,
    title: options.title,
    body,
    head: { ...options.head, styles: [`${assetsPath}/console.css`, ...(options.head?.styles ?? [])] },
    bodyClass: 'console',
  });
}

/** A definition list of label → value pairs. */
export const facts = (rows: readonly (readonly [string, HtmlValue])[]): SafeHtml =>
  html`<dl class="facts">${rows.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;

/** A status pill. */
export const pill = (status: string, text: string): SafeHtml =>
  html`<span class="status ${status.replace(/[^a-z_-]/gi, '')}">${text}</span>`;
