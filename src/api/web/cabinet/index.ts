import { Router } from 'express';
import type { ServiceDeps } from '../../../services/deps';
import { merchantAuthRoutes, requireMerchantSession } from '../auth';
import { checkoutScreens, notFoundScreen } from './checkouts';
import { developerScreens } from './developers';
import { homeScreens } from './home';
import { moneyScreens } from './money';
import { paymentScreens } from './payments';
import { teamScreens } from './team';

/**
 * The merchant's cabinet under `/dashboard`: the sign-in pages first (sign in, invitation,
 * password reset), then everything behind the session guard, which also checks every form's CSRF token.
 */
export function cabinetRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.use(merchantAuthRoutes(deps));
  router.use(requireMerchantSession(deps));
  router.use(homeScreens(deps));
  router.use(checkoutScreens(deps));
  router.use(paymentScreens(deps));
  router.use(moneyScreens(deps));
  router.use(developerScreens(deps));
  router.use(teamScreens(deps));
  router.use((_req, res) => notFoundScreen(res, '/dashboard', 'home'));
  return router;
}
