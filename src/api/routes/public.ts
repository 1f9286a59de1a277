import { Router } from 'express';
import { type Metrics, metricsRoutes } from '../../observability/metrics';
import type { ServiceDeps } from '../../services/deps';
import { requireAdmin } from '../auth';
import { docsRoutes } from './docs';
import { healthRoutes } from './health';

/** What anyone may ask without a key: health, the API reference; and the metrics, behind the operator token. */
export function publicRoutes(deps: ServiceDeps, metrics: Metrics): Router {
  const router = Router();
  router.use(metricsRoutes(metrics, requireAdmin(deps.config.adminToken!)));
  router.use(healthRoutes(deps));
  router.use(docsRoutes(deps));
  return router;
}
