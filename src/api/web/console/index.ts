import { Router } from 'express';
import type { ServiceDeps } from '../../../services/deps';
import { operatorAuthRoutes, requireOperatorSession } from '../auth';
import { operatorScreens } from './screens';

/** The operator's console under `/admin/console`: its sign-in pages, then the screens behind the session guard. */
export function consoleRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.use(operatorAuthRoutes(deps));
  router.use(requireOperatorSession(deps));
  router.use(operatorScreens(deps));
  return router;
}
