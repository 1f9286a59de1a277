import express, { type Request, type Response, Router } from 'express';
import type { Checkout } from '../../domain/checkout';
import { openStatuses, type StoredPayment } from '../../domain/payment';
import { chooseLocale, supportedLocale, translator } from '../../i18n';
import {
  brandStylesheetOf,
  linkSecretOf,
  loadBuyerView,
  methodOptions,
  resolveDownload,
  type ResultLinks,
  resultLinks,
  type ShopLook,
} from '../../services/buyer';
import type { ServiceDeps } from '../../services/deps';
import { selectMethod } from '../../services/payments';
import { ApiError, knownApiError } from '../errors';
import { refuseUnsafeInput } from '../input-safety';
import {
  autoReturnScript,
  autoReturnScriptPath,
  type BuyerPageContext,
  messagePage,
  methodChoicePage,
  providerFormPage,
  resultPage,
  shopReturnPage,
} from '../hosted-pages';
import { selectMethodBody } from '../schemas';
import type { SelectMethodResult } from '../../workflows/shared';

/**
 * A page whose form goes back to the shop by POST may submit it there: the shop's origin joins the
 * CSP's `form-action` for this answer only. The URL is one the checkout owns (its own, or one
 * stored with the payment).
 */
function allowFormTo(res: Response, links: ResultLinks) {
  if (links.back.method === 'POST') allowFormAction(res, links.back.url);
}

/** The origin of `url` joins the CSP's `form-action` for this answer only. */
function allowFormAction(res: Response, url: string) {
  const policy = res.getHeader('content-security-policy');
  if (typeof policy !== 'string') return;
  const origin = new URL(url).origin;
  res.setHeader(
    'content-security-policy',
    policy.replace(
      /(^|;)(\s*form-action)([^;]*)/,
      (_whole, start: string, name: string, sources: string) => `${start}${name}${sources} ${origin}`,
    ),
  );
}

/** The cookie that keeps the language a buyer chose with the pages' switch. */
const localeCookie = 'kassa_locale';

function cookieLocale(req: Request): string | null {
  const match = /(?:^|;\s*)kassa_locale=([a-z]{2,3})(?:;|$)/.exec(req.get('cookie') ?? '');
  return supportedLocale(match?.[1]);
}

const queryText = (value: unknown) => (typeof value === 'string' ? value : null);

/**
 * A buyer page's language: `?locale=` or `?ik_loc=` (kept in a cookie for the pages that follow),
 * the language the buyer chose before, the payment's own (`ik_loc` of its form), then the
 * browser's `Accept-Language`, then the checkout's default.
 */
function buyerContext(
  req: Request,
  res: Response,
  view: { payment?: StoredPayment; checkout?: Checkout; shop: ShopLook },
  languageSwitch = req.method === 'GET',
): BuyerPageContext {
  const asked = supportedLocale(queryText(req.query.locale)) ?? supportedLocale(queryText(req.query.ik_loc));
  if (asked)
    res.cookie(localeCookie, asked, { path: '/pay', sameSite: 'lax', httpOnly: true, maxAge: 365 * 86_400_000 });
  const locale = chooseLocale({
    explicit: [asked, cookieLocale(req), view.payment?.locale],
    acceptLanguage: req.get('accept-language'),
    fallback: view.checkout?.locale,
  });
  return { t: translator(locale), shop: view.shop, languageSwitch };
}

/** Where the buyer goes to pay: the provider's page, reached by GET or by posting `form` to it. */
interface ProviderPage {
  url: string;
  form: Record<string, string> | null;
}

const pageOf = (next: SelectMethodResult): ProviderPage => ({
  url: next.redirectUrl,
  form: next.redirect?.method === 'POST' ? next.redirect.fields : null,
});

/** Sends the buyer on to the provider: a `303`, or a page whose form posts itself there. */
function toProvider(res: Response, context: BuyerPageContext, page: ProviderPage) {
  if (!page.form) return res.redirect(303, page.url);
  allowFormAction(res, page.url);
  res.type('html').send(providerFormPage({ ...context, languageSwitch: false }, { url: page.url, fields: page.form }));
}

/** The buyer's hosted pages (docs/api.md §6): no auth, the payment id is the capability. */
export function buyerRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '8kb' }));
  router.use(refuseUnsafeInput());

  router.get(autoReturnScriptPath.replace(/^\/pay/, ''), (_req, res) => {
    res.type('text/javascript').set('cache-control', 'public, max-age=3600').send(autoReturnScript);
  });

  router.get('/brand/:id.css', async (req, res) => {
    const css = await brandStylesheetOf(deps, req.params.id);
    res.type('text/css').set('cache-control', 'public, max-age=300').send(css);
  });

  router.get('/:id', async (req, res) => {
    const view = await loadBuyerView(deps, req.params.id);
    const { payment, checkout } = view;
    const context = buyerContext(req, res, view);
    if (payment.status === 'awaiting_payment' && payment.redirectUrl)
      return toProvider(res, context, { url: payment.redirectUrl, form: payment.redirectForm });
    // A method the merchant chose at creation skips this page (the workflow may still be creating its provider payment).
    if (payment.status === 'awaiting_method' && payment.method && !payment.failureReason) {
      return toProvider(res, context, pageOf(await selectMethod(deps, payment.id, payment.method)));
    }
    if (!openStatuses.includes(payment.status)) return res.redirect(303, `/pay/${payment.id}/return`);
    const notice = payment.failureReason ? context.t.t('buyer.pay.lastAttemptFailed') : undefined;
    res.type('html').send(methodChoicePage(context, payment, methodOptions(deps, payment, checkout), notice));
  });

  router.post('/:id/method', async (req, res) => {
    const wantsJson = req.is('application/json') || req.accepts(['html', 'json']) === 'json';
    const parsed = selectMethodBody.safeParse(req.body ?? {});
    if (!parsed.success && !wantsJson) {
      const context = buyerContext(req, res, await loadBuyerView(deps, req.params.id), false);
      const { t } = context;
      return res
        .status(400)
        .type('html')
        .send(messagePage(context, t.t('buyer.errors.methodTitle'), t.t('buyer.errors.method')));
    }
    const { method } = selectMethodBody.parse(req.body ?? {});
    try {
      const next = await selectMethod(deps, req.params.id, method);
      if (wantsJson)
        return res.json({ redirect_url: next.redirectUrl, ...(next.redirect && { redirect: next.redirect }) });
      toProvider(res, buyerContext(req, res, await loadBuyerView(deps, req.params.id)), pageOf(next));
    } catch (error) {
      const known = knownApiError(error);
      if (wantsJson || !known || known.status === 404) throw error;
      const context = buyerContext(req, res, await loadBuyerView(deps, req.params.id));
      const { t } = context;
      const message = t.locale === 'en' ? known.message : t.t('buyer.errors.generic');
      res
        .status(known.status)
        .type('html')
        .send(messagePage(context, t.t('buyer.errors.cannotContinue'), message));
    }
  });

  router.get('/:id/return', async (req, res) => {
    const view = await loadBuyerView(deps, req.params.id);
    const { payment, checkout } = view;
    const waited = String(req.query.waited ?? '');
    const links = resultLinks(deps, payment, checkout, await linkSecretOf(deps, checkout), {
      waitedSeconds: /^\d{1,5}$/.test(waited) ? Number(waited) : 0,
    });
    allowFormTo(res, links);
    res.type('html').send(resultPage(buyerContext(req, res, view), payment, links));
  });

  // Where the result page's refresh leads when its time is up: on to the shop, by GET or by a form.
  router.get('/:id/back', async (req, res) => {
    const view = await loadBuyerView(deps, req.params.id);
    const { payment, checkout } = view;
    const links = resultLinks(deps, payment, checkout, await linkSecretOf(deps, checkout));
    if (links.back.method === 'GET') return res.redirect(303, links.back.url);
    allowFormTo(res, links);
    res.type('html').send(shopReturnPage(buyerContext(req, res, view, false), links));
  });

  router.get('/:id/status', async (req, res) => {
    const { payment } = await loadBuyerView(deps, req.params.id);
    res.json({ status: payment.status });
  });

  router.get('/:id/download', async (req, res) => {
    const url = await resolveDownload(
      deps,
      req.params.id,
      String(req.query.expires ?? ''),
      String(req.query.token ?? ''),
    );
    if (!url)
      throw new ApiError(
        403,
        'invalid_request_error',
        'download_link_invalid',
        'This download link is not valid or has expired',
      );
    res.redirect(302, url);
  });
  // A person following a wrong or stale link gets a page in their language; `/status` and JSON callers get the API's error.
  router.use((error: unknown, req: Request, res: Response, next: express.NextFunction) => {
    const known = knownApiError(error);
    if (!known || req.method !== 'GET' || req.path.endsWith('/status') || req.accepts(['html', 'json']) !== 'html')
      return next(error);
    const page = known.code === 'download_link_invalid' ? 'download' : known.status === 404 ? 'notFound' : null;
    if (!page) return next(error);
    const t = translator(
      chooseLocale({
        explicit: [queryText(req.query.locale), cookieLocale(req)],
        acceptLanguage: req.get('accept-language'),
      }),
    );
    const context: BuyerPageContext = {
      t,
      shop: { name: 'Kassa', logoUrl: null, brandStylesheet: null },
      languageSwitch: page === 'notFound',
    };
    res
      .status(known.status)
      .type('html')
      .send(messagePage(context, t.t(`buyer.errors.${page}Title`), t.t(`buyer.errors.${page}`)));
  });
  return router;
}
