import express, { Router } from 'express';
import { openStatuses } from '../../domain/payment';
import { linkSecretOf, loadBuyerView, methodOptions, resolveDownload, resultLinks } from '../../services/buyer';
import type { ServiceDeps } from '../../services/deps';
import { selectMethod } from '../../services/payments';
import { ApiError, knownApiError } from '../errors';
import { refuseUnsafeInput } from '../input-safety';
import { messagePage, methodChoicePage, resultPage } from '../hosted-pages';
import { selectMethodBody } from '../schemas';

/** The buyer's hosted pages (docs/api.md §6): no auth, the payment id is the capability. */
export function buyerRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '8kb' }));
  router.use(refuseUnsafeInput());

  router.get('/:id', async (req, res) => {
    const { payment, checkout, merchantName } = await loadBuyerView(deps, req.params.id);
    if (payment.status === 'awaiting_payment' && payment.redirectUrl) return res.redirect(303, payment.redirectUrl);
    // A method the merchant chose at creation skips this page (the workflow may still be creating its provider payment).
    if (payment.status === 'awaiting_method' && payment.method && !payment.failureReason) {
      return res.redirect(303, (await selectMethod(deps, payment.id, payment.method)).redirectUrl);
    }
    if (!openStatuses.includes(payment.status)) return res.redirect(303, `/pay/${payment.id}/return`);
    const notice = payment.failureReason ? 'Your last attempt did not go through. Please choose a method.' : undefined;
    res.type('html').send(methodChoicePage(payment, merchantName, methodOptions(deps, payment, checkout), notice));
  });

  router.post('/:id/method', async (req, res) => {
    const wantsJson = req.is('application/json') || req.accepts(['html', 'json']) === 'json';
    const { method } = selectMethodBody.parse(req.body ?? {});
    try {
      const { redirectUrl } = await selectMethod(deps, req.params.id, method);
      if (wantsJson) return res.json({ redirect_url: redirectUrl });
      res.redirect(303, redirectUrl);
    } catch (error) {
      const known = knownApiError(error);
      if (wantsJson || !known || known.status === 404) throw error;
      res.status(known.status).type('html').send(messagePage('This payment cannot continue', known.message));
    }
  });

  router.get('/:id/return', async (req, res) => {
    const { payment, checkout, merchantName } = await loadBuyerView(deps, req.params.id);
    res
      .type('html')
      .send(
        resultPage(payment, merchantName, resultLinks(deps, payment, checkout, await linkSecretOf(deps, checkout))),
      );
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
  return router;
}
