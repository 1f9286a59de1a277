/**
 * What the cabinet's money screens (payments, balance, developers, channels) share: reading form
 * and query fields, the stylesheet, and turning a refusal into a page in the person's language.
 */
import type { Request, RequestHandler, Response } from 'express';
import { DomainError } from '../../../domain/errors';
import type { Translator } from '../../../i18n';
import { html, type SafeHtml } from '../html';
import type { DocumentHead } from '../layout';
import { pageContext } from '../session';
import { type CabinetSection, sendCabinetPage } from './layout';
import { statusOfDomainError } from '../../errors';
import { safeReturnPath } from '../auth';

/** The money screens' own stylesheet next to the shared one. */
export const moneyHead: DocumentHead = { styles: ['/assets/cabinet-money.css'] };

/** Bad input in a form or a query string: `field` is the input's name, `reason` a key under `money.errors`. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'FieldError';
  }
}

/** A field's name as people read it: its label when the catalog has one. */
export function fieldLabel(t: Translator, field: string): string {
  for (const key of [`money.fields.${field}`, `money.channels.fields.${field}`]) if (t.has(key)) return t.t(key);
  return field;
}

/** A refusal as a status and a sentence in the person's language, naming the field; `null` for anything unexpected. */
export function refusal(t: Translator, error: unknown): { status: number; message: string; field?: string } | null {
  if (error instanceof FieldError) {
    return {
      status: 400,
      field: error.field,
      message: t.t('money.errors.field', {
        field: fieldLabel(t, error.field),
        reason: t.t(`money.errors.${error.reason}`),
      }),
    };
  }
  if (!(error instanceof DomainError)) return null;
  const status = statusOfDomainError(error.kind);
  const known = t.has(`money.errors.${error.code}`) ? t.t(`money.errors.${error.code}`) : null;
  const general = t.t(`money.errors.kind.${error.kind}`);
  const reason = known ?? general;
  const message = error.param ? t.t('money.errors.field', { field: fieldLabel(t, error.param), reason }) : reason;
  return { status, field: error.param, message };
}

/** The alert a refusal shows in place. */
export const refusalAlert = (message: string | null | undefined): SafeHtml | '' =>
  message ? html`<p class="alert error" role="alert" id="form-error">${message}</p>` : '';

/**
 * A screen's handler: a refusal it throws (bad input, another merchant's object, a state the
 * service refuses) is answered with its status and a page that says why; anything else goes on to
 * the app's error handler.
 */
export function screen(
  active: CabinetSection,
  handler: (req: Request, res: Response) => Promise<void>,
): RequestHandler {
  return async (req, res, next) => {
    try {
      await handler(req, res);
    } catch (error) {
      const { session, t } = pageContext(res);
      const refused = refusal(t, error);
      if (!refused) return next(error);
      const title = refused.status === 404 ? t.t('common.notFound') : t.t('money.errors.title');
      sendCabinetPage(
        res,
        {
          session,
          t,
          active,
          title,
          here:
            req.method === 'GET' ? (safeReturnPath(req.originalUrl, 'merchant') ?? backFor(active)) : backFor(active),
          head: moneyHead,
          body: html`${refused.status === 404 ? '' : refusalAlert(refused.message)}
<p><a href="${backFor(active)}">${t.t('common.back')}</a></p>`,
        },
        refused.status,
      );
    }
  };
}

const backFor = (active: CabinetSection) =>
  ({
    home: '/dashboard',
    checkouts: '/dashboard/checkouts',
    payments: '/dashboard/payments',
    balance: '/dashboard/balance',
    developers: '/dashboard/developers',
    channels: '/dashboard/channels',
    team: '/dashboard/team',
  })[active];

/** A posted field as text, trimmed; '' when absent or sent more than once. */
export function formField(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** Every value a posted field was sent with (checkboxes). */
export function formList(req: Request, name: string): string[] {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** A query-string field as text, trimmed; a field given twice is bad input. */
export function queryField(req: Request, name: string): string {
  const value = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new FieldError(name, 'once');
  return value.trim();
}

/** A notice key from the query string, only when it is one the screen knows. */
export function noticeOf(req: Request, known: readonly string[]): string | null {
  const value = (req.query as Record<string, unknown>).notice;
  return typeof value === 'string' && known.includes(value) ? value : null;
}

/** The notice a screen shows after a form succeeded (a key under `money.notices`). */
export const noticeAlert = (t: Translator, notice: string | null): SafeHtml | '' =>
  notice ? html`<p class="alert ok" role="status" id="notice">${t.t(`money.notices.${notice}`)}</p>` : '';

/** A status as a small label, its class naming the status. */
export const statusLabel = (t: Translator, area: string, status: string): SafeHtml =>
  html`<span class="status ${status}">${t.has(`money.${area}.${status}`) ? t.t(`money.${area}.${status}`) : status}</span>`;

/** A table of rows, or the sentence saying there are none. */
export function tableOr(empty: string, head: SafeHtml, rows: readonly SafeHtml[], id?: string): SafeHtml {
  if (rows.length === 0) return html`<p class="empty"${id ? html` id="${id}"` : ''}>${empty}</p>`;
  return html`<div class="table-wrap"><table${id ? html` id="${id}"` : ''}><thead>${head}</thead><tbody>${rows}</tbody></table></div>`;
}
