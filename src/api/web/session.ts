import type { Request, Response } from 'express';
import { randomToken } from '../../domain/ids';
import type { MerchantPrincipal } from '../../domain/merchant';
import { availableLocales, translator, type Translator } from '../../i18n';
import type { OtherTeam } from '../../services/web-users';
import { html, type SafeHtml } from './html';

/** Who is signed in to the cabinet or the console, as the pages behind the sign-in see it. */
export interface WebSession {
  userId: string;
  email: string;
  role: 'merchant' | 'operator';
  /** The merchant whose cabinet this is; null for an operator. */
  merchantId: string | null;
  /** Sent back by every form as `_csrf`; a form without it is refused. */
  csrfToken: string;
  /** The language the pages speak to this person. */
  locale: string;
  /** The cabinet's test/live switch: which mode's objects the screens show and create. */
  testMode: boolean;
  /** Other merchants' teams the person is on under the same e-mail and password, to switch to. */
  otherTeams: OtherTeam[];
}

/** The session of a request that passed the sign-in guard. */
export const sessionOf = (res: Response): WebSession => res.locals.session as WebSession;

/** What a signed-in page renders with: the session and the texts in its language. */
export function pageContext(res: Response): { session: WebSession; t: Translator } {
  const session = sessionOf(res);
  return { session, t: translator(session.locale) };
}

/** The hidden field every form that changes something carries. */
export const csrfField = (session: Pick<WebSession, 'csrfToken'>): SafeHtml =>
  html`<input type="hidden" name="_csrf" value="${session.csrfToken}" />`;

/** The merchant the cabinet acts for, in the mode its switch shows; requests count against the user's rate, not a key's. */
export function merchantPrincipalOf(res: Response): MerchantPrincipal {
  const session = sessionOf(res);
  if (!session.merchantId) throw new Error('a cabinet page without a merchant session');
  return { merchantId: session.merchantId, testMode: session.testMode, keyId: `web:${session.userId}` };
}

/** The signed-in language switch: a button per other language Kassa speaks, named in that language, posted to `action`. */
export const languageButtons = (t: Translator): SafeHtml[] =>
  availableLocales
    .filter((code) => code !== t.locale)
    .map(
      (code) =>
        html`<button type="submit" class="secondary" name="locale" value="${code}" lang="${code}">${translator(code).t('common.language')}</button>`,
    );

/**
 * A fresh key in each form that moves money (a refund, a payout, a test payment): the same form sent
 * twice, by a double click or the browser's resend, moves it once (the services' idempotent create).
 */
export const onceField = (): SafeHtml => html`<input type="hidden" name="once" value="${randomToken(32)}">`;

/** The form's {@link onceField} key as an idempotent create; undefined when the form has none. */
export function onceKeyOf(req: Request): { key: string; recovering: true } | undefined {
  const key = (req.body as Record<string, unknown> | undefined)?.once;
  return typeof key === 'string' && /^[A-Za-z0-9]{32}$/.test(key) ? { key: `web-${key}`, recovering: true } : undefined;
}
