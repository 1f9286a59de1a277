import type { ErrorRequestHandler, Request, Response } from 'express';
import { DomainError } from '../../../domain/errors';
import { isSupportedCurrency, parseAmount } from '../../../domain/money';
import { translator, type Translator } from '../../../i18n';
import { html } from '../html';
import { sessionOf } from '../session';
import { consoleBase, consolePage, type Notice } from './layout';
import { statusOfDomainError } from '../../errors';

/** A form or query field the console refuses, named by its field and a catalog key saying why. */
export class FieldProblem extends Error {
  constructor(
    readonly field: string,
    readonly reason: 'required' | 'tooLong' | 'invalid' | 'list',
  ) {
    super(`${field}: ${reason}`);
  }
}

/** One text field of a form or query: trimmed, a single value, at most `max` characters; `undefined` when empty and optional. */
export function field(
  source: unknown,
  name: string,
  options: { required: true; max?: number; pattern?: RegExp },
): string;
export function field(
  source: unknown,
  name: string,
  options?: { required?: false; max?: number; pattern?: RegExp },
): string | undefined;
export function field(
  source: unknown,
  name: string,
  options: { required?: boolean; max?: number; pattern?: RegExp } = {},
): string | undefined {
  const record = (source && typeof source === 'object' ? source : {}) as Record<string, unknown>;
  const value = Object.hasOwn(record, name) ? record[name] : undefined;
  if (Array.isArray(value) || (value !== undefined && typeof value !== 'string')) throw new FieldProblem(name, 'list');
  const text = (value ?? '').trim();
  if (!text) {
    if (options.required) throw new FieldProblem(name, 'required');
    return undefined;
  }
  if (text.length > (options.max ?? 200)) throw new FieldProblem(name, 'tooLong');
  if (options.pattern && !options.pattern.test(text)) throw new FieldProblem(name, 'invalid');
  return text;
}

/** One of `choices`, or the first when the field is empty. */
export function choice<T extends string>(source: unknown, name: string, choices: readonly T[]): T {
  const value = field(source, name, { max: 40 });
  if (value === undefined) return choices[0]!;
  if (!(choices as readonly string[]).includes(value)) throw new FieldProblem(name, 'invalid');
  return value as T;
}

/** Results a redirect may announce with `?done=`: each a catalog message under `console.done`. */
export const doneNotices = [
  'keyRevoked',
  'paused',
  'resumed',
  'decided',
  'canceled',
  'recheckRequested',
  'reconciled',
] as const;
export type DoneNotice = (typeof doneNotices)[number];

/** The notice a screen shows after a redirect with `?done=…`. */
export function doneNotice(req: Request): Notice | null {
  const done = typeof req.query.done === 'string' ? req.query.done : '';
  if (!(doneNotices as readonly string[]).includes(done)) return null;
  return { kind: 'ok', text: translator(sessionOf(req.res!).locale).t(`console.done.${done}`) };
}

/** `path?done=<notice>`, for a redirect after a form. */
export const withDone = (path: string, done: DoneNotice) => `${path}${path.includes('?') ? '&' : '?'}done=${done}`;

/**
 * Errors of the console's screens as a page in the operator's language: a refused field names the
 * field (400), a missing object is a 404, a refused action (409/422) says why; the service's own
 * words follow as a detail. Anything else goes on to the app's error handler.
 */
export const consoleErrors: ErrorRequestHandler = (error, req, res, next) => {
  if (!(error instanceof FieldProblem) && !(error instanceof DomainError)) return next(error);
  const session = sessionOf(res);
  const t = translator(session.locale);
  const fieldName = error instanceof FieldProblem ? error.field : error.param;
  const label = fieldName
    ? t.has(`console.fields.${fieldName}`)
      ? t.t(`console.fields.${fieldName}`)
      : fieldName
    : null;
  const status = error instanceof FieldProblem ? 400 : statusOfDomainError(error.kind);
  const kind = error instanceof FieldProblem ? 'invalid' : error.kind;
  const title = t.t(`console.errors.${kind}`);
  const body = html`<div class="alert error" role="alert" id="problem">
${label ? html`<p>${t.t('console.errors.field', { field: label })}</p>` : ''}
${error instanceof FieldProblem ? html`<p>${t.t(`console.errors.reason.${error.reason}`)}</p>` : html`<p class="detail" lang="en">${error.message}</p>`}
</div>
<p><a href="${consoleBase}">${t.t('console.errors.backHome')}</a></p>`;
  res
    .status(status)
    .type('html')
    .send(consolePage({ session, t, active: null, title, here: req.originalUrl.split('?')[0]!, body }));
};

/** Renders a console screen with the session of the request. */
export function sendScreen(res: Response, page: string, status = 200): void {
  res.status(status).type('html').send(page);
}

/**
 * An amount as the API answers it (a decimal string) written for the operator's language; as it came
 * when its currency is one Kassa does not handle (a provider may report one) or unknown.
 */
export function moneyText(t: Translator, amount: string | null, currency: string | null): string {
  if (amount === null) return '—';
  if (!currency) return amount;
  if (!isSupportedCurrency(currency)) return `${amount} ${currency}`;
  try {
    return t.money(parseAmount(amount, currency), currency);
  } catch {
    return `${amount} ${currency}`;
  }
}
