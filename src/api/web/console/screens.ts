import { Router } from 'express';
import { notFound } from '../../../domain/errors';
import type { ServiceDeps } from '../../../services/deps';
import { connectorScreens } from './connectors';
import { merchantScreens } from './merchants';
import { operatorScreensForInvitations } from './operators';
import { paymentScreens } from './payments';
import { reconciliationScreens } from './reconciliation';
import { reviewScreens } from './review';
import { consoleErrors } from './screen';

/**
 * The console's screens behind the operator's session: merchants, connectors, the review queue,
 * reconciliation, payment lookup and operator invitations. Refused input and missing objects
 * answer a page in the operator's language.
 */
export function operatorScreens(deps: ServiceDeps): Router {
  const router = Router();
  router.use(merchantScreens(deps));
  router.use(connectorScreens(deps));
  router.use(reviewScreens(deps));
  router.use(reconciliationScreens(deps));
  router.use(paymentScreens(deps));
  router.use(operatorScreensForInvitations(deps));
  router.use((_req, _res, next) => next(notFound('page')));
  router.use(consoleErrors);
  return router;
}
