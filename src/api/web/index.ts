import path from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import { chooseLocale, translator } from '../../i18n';
import type { ServiceDeps } from '../../services/deps';
import { ApiError } from '../errors';
import { refuseUnsafeInput } from '../input-safety';
import { cabinetRoutes } from './cabinet';
import { consoleRoutes } from './console';
import { html } from './html';
import { assetsPath, documentPage } from './layout';

/** The forms of the cabinet and the console: flat and url-encoded, at most 64 kB and 1000 fields (a checkout's method table is the largest). */
const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 1000 });

const unsafeInput = refuseUnsafeInput();

/**
 * Kassa's door check on every form and query of these pages: a character PostgreSQL cannot store, or
 * a card number where none belongs, is refused before any screen reads it, with a `400` page naming
 * the field in the person's language.
 */
const safeInput: RequestHandler = (req, res, next) =>
  unsafeInput(req, res, (problem?: unknown) => {
    if (!(problem instanceof ApiError)) return next(problem);
    const t = translator(
      chooseLocale({ explicit: [req.query.locale as string | undefined], acceptLanguage: req.get('accept-language') }),
    );
    const reason = t.t(problem.code === 'card_data_refused' ? 'common.cardRefused' : 'common.unstorable', {
      field: problem.param ?? 'body',
    });
    const title = t.t('common.formRefused');
    res
      .status(problem.status)
      .type('html')
      .send(
        documentPage({
          locale: t.locale,
          title,
          body: html`<main class="screen"><h1>${title}</h1><p class="alert error" role="alert">${reason}</p></main>`,
        }),
      );
  });

/**
 * Kassa's web pages for people who sign in: the merchant's cabinet (`/dashboard`) and the
 * operator's console (`/admin/console`), and the files every page loads (`/assets`).
 */
export function webRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.use(assetsPath, express.static(path.join(__dirname, 'assets'), { maxAge: '1h' }));
  router.use('/dashboard', formBody, safeInput, cabinetRoutes(deps));
  router.use('/admin/console', formBody, safeInput, consoleRoutes(deps));
  return router;
}
